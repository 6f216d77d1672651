import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('subscribe-message answers over HTTP (/api/v1/me/subscriptions)', () => {
  useTestDatabase()

  it('records each answer for the caller only, counting one-time grants', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const reporter = await w.headers('reporter')
    const post = (body: unknown) =>
      api.http
        .post('/api/v1/me/subscriptions')
        .set(reporter)
        .send(body as object)
    const first = await post({
      templateIds: ['TPL_A', 'TPL_B'],
      results: { TPL_A: 'accept', TPL_B: 'reject' },
    })
    expect(first.status).toBe(200)
    expect(first.body.subscriptions).toEqual([
      { templateId: 'TPL_A', kind: 'once', result: 'accept', available: 1 },
      { templateId: 'TPL_B', kind: 'once', result: 'reject', available: 0 },
    ])
    await post({ templateIds: ['TPL_A'], results: { TPL_A: 'accept' } })
    const mine = await api.http.get('/api/v1/me/subscriptions').set(reporter)
    expect(mine.body.subscriptions[0]).toMatchObject({ templateId: 'TPL_A', available: 2 })
    const theirs = await api.http.get('/api/v1/me/subscriptions').set(await w.headers('staff'))
    expect(theirs.body.subscriptions).toEqual([])
    expect(
      (await api.http.post('/api/v1/me/subscriptions').send({ templateIds: ['TPL_A'], results: {} })).status,
    ).toBe(401)
  })

  it('refuses malformed answers with a Chinese message and records nothing', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const reporter = await w.headers('reporter')
    const bad = [
      { templateIds: [], results: {} },
      { templateIds: ['TPL_A'], results: { TPL_A: 'yes' } },
      { templateIds: ['TPL_A'], results: { TPL_B: 'accept' } },
      { templateIds: ['bad id!'], results: {} },
    ]
    for (const body of bad) {
      const res = await api.http.post('/api/v1/me/subscriptions').set(reporter).send(body)
      expect(res.status).toBe(400)
      expect(res.body.error.message).toMatch(/[\u4e00-\u9fa5]/)
    }
    expect((await api.http.get('/api/v1/me/subscriptions').set(reporter)).body.subscriptions).toEqual([])
  })
})
