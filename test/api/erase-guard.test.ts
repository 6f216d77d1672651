import { describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

/** Erasing accounts over HTTP: nobody erases themselves, the last admin stays, a reason is a reason. */
describe('POST /api/v1/residents/:id/erase guards', () => {
  useTestDatabase()

  async function world() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const erase = async (id: unknown, auth: string, reason = '本人申请注销') =>
      api.http
        .post(`/api/v1/residents/${String(id)}/erase`)
        .set('authorization', auth)
        .send({ reason })
    return { api, w, erase }
  }
  const alive = (id: unknown) => ResidentModel.countDocuments({ _id: id, erasedAt: null })

  it('refuses an admin erasing their own account with 409 and keeps it', async () => {
    const { api, w, erase } = await world()
    await createPerson('第二管理员', ['admin'])
    const res = await erase(w.admin._id, await api.bearer(w.admin._id))
    expect(res.status).toBe(409)
    expect(res.body.error).toEqual({ code: 'CONFLICT', message: '不能删除自己的账号' })
    expect(await alive(w.admin._id)).toBe(1)
  })

  it('refuses erasing the last admin with 409, and allows it while another admin remains', async () => {
    const { api, w, erase } = await world()
    // An admin of 康和 (w.community), whom 康和's staff may erase like any of its people.
    const local = await createPerson('社区管理员', ['admin'], {
      communityId: w.community._id,
      staff: { communityIds: [w.community._id] },
    })
    const staff = await api.bearer(w.staff._id)
    const second = await createPerson('第二管理员', ['admin'])
    expect((await erase(second._id, await api.bearer(w.admin._id))).status).toBe(200)
    expect(await alive(second._id)).toBe(0)
    // 管理员 leaves the admins too: an erased admin does not count, so 社区管理员 is the last one.
    await ResidentModel.updateOne({ _id: w.admin._id }, { $set: { erasedAt: new Date() } })
    const last = await erase(local._id, staff)
    expect(last.status).toBe(409)
    expect(last.body.error).toEqual({ code: 'CONFLICT', message: '这是最后一位管理员，不能删除' })
    expect(await alive(local._id)).toBe(1)
  })

  it('decides two admins erasing each other at once: one goes, the other is refused, one admin stays', async () => {
    const { api, w, erase } = await world()
    const second = await createPerson('第二管理员', ['admin'])
    const [a, b] = await Promise.all([api.bearer(w.admin._id), api.bearer(second._id)])
    const results = await Promise.all([erase(second._id, a), erase(w.admin._id, b)])
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 409])
    const refused = results.find((r) => r.status === 409)
    expect(refused?.body.error.message).toBe('这是最后一位管理员，不能删除')
    expect(await ResidentModel.countDocuments({ roles: 'admin', erasedAt: null })).toBe(1)
  })

  it('refuses a reason that says nothing (「00」) with 400 and a Chinese message', async () => {
    const { api, w, erase } = await world()
    const staff = await api.bearer(w.staff._id)
    for (const reason of ['00', '0000', '啊啊', 'ab', '！！']) {
      const res = await erase(w.zhang._id, staff, reason)
      expect(res.status, reason).toBe(400)
      expect(res.body.error.message, reason).toMatch(/删除原因/)
    }
    expect(await alive(w.zhang._id)).toBe(1)
    expect((await erase(w.zhang._id, staff, '搬走')).status).toBe(200)
    expect(await alive(w.zhang._id)).toBe(0)
  })
})
