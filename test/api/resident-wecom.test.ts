import { describe, expect, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('PATCH /api/v1/residents/:id: a staff member’s WeCom userid', () => {
  useTestDatabase()

  it('community staff set, change and clear it; a clash is a 409 in Chinese; each change is audited', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const worker = String(w.worker._id)
    const patch = (id: string, body: unknown, who = staff) =>
      api.http
        .patch(`/api/v1/residents/${id}`)
        .set(who)
        .send(body as object)

    const set = await patch(worker, { wecomUserId: ' wang.wangge@kh ' })
    expect(set.status).toBe(200)
    expect(set.body).toMatchObject({ id: worker, wecomUserId: 'wang.wangge@kh' })
    expect((await api.http.get(`/api/v1/residents/${worker}`).set(staff)).body.wecomUserId).toBe(
      'wang.wangge@kh',
    )
    // The WeCom app now recognises the worker by it.
    expect((await api.services.registry.findResidentByWeComUser('wang.wangge@kh'))?.id).toBe(worker)

    // Another person cannot take the same id.
    const clash = await patch(String(w.worker2._id), { wecomUserId: 'wang.wangge@kh' })
    expect(clash.status).toBe(409)
    expect(clash.body.error).toMatchObject({ code: 'CONFLICT', message: '该企业微信账号已经关联了其他人员' })

    // Two people claiming one free id at once: exactly one wins.
    const race = await Promise.all([
      patch(String(w.worker2._id), { wecomUserId: 'same-time' }),
      patch(String(w.staff._id), { wecomUserId: 'same-time' }),
    ])
    expect(race.map((r) => r.status).sort()).toEqual([200, 409])
    expect(await ResidentModel.countDocuments({ wecomUserId: 'same-time' })).toBe(1)

    // Changing frees the old id for someone else; clearing removes it.
    expect((await patch(worker, { wecomUserId: 'wangwangge' })).status).toBe(200)
    expect((await patch(String(w.worker2._id), { wecomUserId: 'wang.wangge@kh' })).status).toBe(200)
    const cleared = await patch(worker, { wecomUserId: null })
    expect(cleared.status).toBe(200)
    expect(cleared.body.wecomUserId).toBeUndefined()
    expect(await api.services.registry.findResidentByWeComUser('wangwangge')).toBeUndefined()

    const audits = await AuditModel.find({ action: 'change_wecom_user_id', residentId: w.worker._id })
      .sort({ at: 1, _id: 1 })
      .lean()
    expect(audits.map((a) => [a.actorId, a.subject, a.reason])).toEqual([
      [String(w.staff._id), 'wecomUserId:→wang.wangge@kh', '设置企业微信账号'],
      [String(w.staff._id), 'wecomUserId:wang.wangge@kh→wangwangge', '设置企业微信账号'],
      [String(w.staff._id), 'wecomUserId:wangwangge→', '清除企业微信账号'],
    ])
  })

  it('refuses a malformed id, other fields, grid workers and staff of another community', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const worker = String(w.worker._id)
    const patch = async (body: unknown, who: Parameters<typeof w.headers>[0] = 'staff') =>
      api.http
        .patch(`/api/v1/residents/${worker}`)
        .set(await w.headers(who))
        .send(body as object)

    for (const bad of ['王网格', 'a b', 'x'.repeat(65), 'semi;colon']) {
      const res = await patch({ wecomUserId: bad })
      expect(res.status, bad).toBe(400)
      expect(JSON.stringify(res.body.error.details), bad).toContain(
        '企业微信账号只能由 1–64 位字母、数字和 _ . @ - 组成',
      )
    }
    expect((await patch({ wecomUserId: 'ok', name: '改名' })).status).toBe(400)
    expect((await patch({ wecomUserId: 'ok' }, 'worker')).status).toBe(403)
    const foreign = await patch({ wecomUserId: 'ok' }, 'otherStaff')
    expect(foreign.status).toBe(403)
    expect(foreign.body.error.message).toBe('只有本社区的工作人员可以修改人员的企业微信账号')
    expect(await ResidentModel.countDocuments({ wecomUserId: 'ok' })).toBe(0)
  })

  it('the roster import reads a 企业微信账号 column: sets it, and lists a malformed or taken id as that row’s error', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await api.services.registry.updateResident(String(w.worker._id), { wecomUserId: 'wangwangge' })
    const roster = [
      '网格编号,楼栋,单元,房号,姓名,手机号,企业微信账号（userid）',
      'KH-01,8,1,101,社工甲,13900000201,shegong.jia',
      'KH-01,8,1,102,社工乙,13900000202,社工乙',
      'KH-01,8,1,103,社工丙,13900000203,wangwangge',
      'KH-01,8,1,104,居民丁,13900000204,',
    ].join('\n')
    const res = await api.http
      .post('/api/v1/admin/import')
      .set(await w.headers('staff'))
      .set('content-type', 'text/csv')
      .send(roster)
    expect(res.status).toBe(200)
    expect(res.body.errors).toEqual([
      { row: 3, column: '企业微信账号', reason: '企业微信账号只能由 1–64 位字母、数字和 _ . @ - 组成' },
      { row: 4, column: '企业微信账号', reason: '该企业微信账号已经关联了其他人员' },
    ])
    const jia = await api.services.registry.findResidentByWeComUser('shegong.jia')
    expect(jia?.name).toBe('社工甲')
    expect((await api.services.registry.findResidentByWeComUser('wangwangge'))?.id).toBe(String(w.worker._id))
    // Importing the same sheet again changes nothing and reports the same rows.
    const again = await api.http
      .post('/api/v1/admin/import')
      .set(await w.headers('staff'))
      .set('content-type', 'text/csv')
      .send(roster)
    expect(again.body.errors).toEqual(res.body.errors)
    expect(await ResidentModel.countDocuments({ wecomUserId: 'shegong.jia' })).toBe(1)
  })
})
