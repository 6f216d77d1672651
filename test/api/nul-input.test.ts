import { describe, expect, it } from 'vitest'
import { NoticeModel } from '../../src/models/notice.model.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('NUL in what people send over HTTP', () => {
  useTestDatabase()

  // schemathesis found this: a notice whose tags held a NUL was a 500 on the PostgreSQL backend
  // (jsonb refuses U+0000). NUL means nothing in any field, so it is removed at the door.
  it('a notice with NUL in its title and tags is created, stored without the NUL', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const res = await api.http
      .post('/api/v1/notices')
      .set(await w.headers('staff'))
      .send({
        communityId: String(w.community._id),
        gridIds: [String(w.grid._id)],
        title: '燃气\u0000检修通知',
        body: '本周六上午燃气检修，请家中留人。',
        tags: ['燃气\u0000', 'b\u0019\u0000'],
      })
    expect(res.status).toBe(201)
    const stored = await NoticeModel.findById(res.body.id).lean()
    expect(stored?.title).toBe('燃气检修通知')
    expect(stored?.tags).toEqual(['燃气', 'b\u0019'])
  })
})
