import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../db.js'
import { PNG } from '../security/platform-rows.js'
import { type ApiWorld, makeApiApp, makeApiWorld, type Who } from './api-world.js'
import { makeTargets } from './case-targets.js'

/** The console's staff actions over HTTP: who may, in which state, with what body. */
describe('staff actions on a case over HTTP (post, close, reject, call-backs, departments)', () => {
  useTestDatabase()

  async function setup() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = await makeTargets(api, w)
    const as = async (who: Who, path: string, body: Record<string, unknown>) =>
      api.http
        .post(path)
        .set(await w.headers(who))
        .send(body)
    return { api, w, t, as }
  }
  const deptOf = (w: ApiWorld) => [String(w.heatA._id)]

  it('staff post a case to a department; the department claims it and the view shows who claimed', async () => {
    const { api, w, t, as } = await setup()
    const n = await t.fresh('assigned')
    const posted = await as('staff', `/api/v1/cases/${n}/post`, {
      departmentIds: deptOf(w),
      reason: '需要热力公司',
    })
    expect(posted.status).toBe(200)
    expect(posted.body).toMatchObject({ status: 'posted', statusLabel: '待部门抢单' })
    const claim = await as('dept', `/api/v1/cases/${n}/claim`, {})
    expect(claim.status).toBe(200)
    const view = await api.http.get(`/api/v1/cases/${n}`).set(await w.headers('staff'))
    expect(view.body.claims).toMatchObject({
      departments: [{ id: String(w.heatA._id), name: '热力一公司' }],
      claimedBy: { departmentName: '热力一公司', personId: String(w.deptA._id) },
    })
  })

  it('refuses the wrong role or community with 403, a wrong state with a Chinese 409, bad bodies with 400', async () => {
    const { w, t, as } = await setup()
    const n = await t.fresh('assigned')
    const body = { departmentIds: deptOf(w), reason: '需要热力公司' }
    for (const who of ['worker', 'otherStaff', 'reporter', 'dept'] as const) {
      const res = await as(who, `/api/v1/cases/${n}/post`, body)
      expect(res.status, who).toBe(403)
      expect(res.body.error.message).toMatch(/[\u4e00-\u9fa5]/)
    }
    expect(
      (await as('worker', `/api/v1/cases/${t.R}/callbacks`, { reached: true, note: '居民满意' })).status,
    ).toBe(403)
    expect((await as('otherStaff', `/api/v1/cases/${t.R}/close`, { reason: '居民满意' })).status).toBe(403)
    expect((await as('worker', `/api/v1/cases/${n}/reject`, { reason: '不是真实诉求' })).status).toBe(403)

    const close = await as('staff', `/api/v1/cases/${n}/close`, { reason: '居民满意' })
    expect(close.status).toBe(409)
    expect(close.body.error.message).toBe(`工单 ${n} 当前状态为“已派单”，只有已办结的工单可以关闭`)
    const call = await as('staff', `/api/v1/cases/${n}/callbacks`, { reached: true, note: '居民满意' })
    expect(call.status).toBe(409)
    expect(call.body.error.message).toContain('需要回访')
    const post = await as('staff', `/api/v1/cases/${t.R}/post`, body)
    expect(post.status).toBe(409)
    expect(post.body.error.message).toBe('工单当前状态为“已办结待评价”，不能变为“待部门抢单”')

    for (const bad of [
      { departmentIds: [], reason: '需要' },
      { departmentIds: ['x'], reason: '需要热力' },
      {},
    ]) {
      expect((await as('staff', `/api/v1/cases/${n}/post`, bad)).status).toBe(400)
    }
    const unknown = await as('staff', `/api/v1/cases/${n}/post`, {
      departmentIds: ['0123456789abcdef01234567'],
      reason: '需要热力公司',
    })
    expect(unknown.status).toBe(404)
    expect(
      (await as('staff', `/api/v1/cases/${t.R}/callbacks`, { reached: 'yes', note: '居民满意' })).status,
    ).toBe(400)
    expect((await as('staff', `/api/v1/cases/${t.R}/close`, { reason: '' })).status).toBe(400)
  })

  it('call-backs, close and reject change the case as the console expects', async () => {
    const { t, as } = await setup()
    const called = await as('staff', `/api/v1/cases/${t.R}/callbacks`, {
      reached: true,
      satisfied: true,
      note: '居民说灯已经亮了',
    })
    expect(called.status).toBe(201)
    expect(called.body.callbacks).toEqual([expect.objectContaining({ reached: true, satisfied: true })])
    expect(called.body.timeline.at(-1)).toMatchObject({ action: 'called_back', actionLabel: '电话回访' })
    const closed = await as('staff', `/api/v1/cases/${t.R}/close`, { reason: '回访居民满意' })
    expect(closed.body).toMatchObject({ status: 'closed', statusLabel: '已关闭' })
    const n = await t.fresh('assigned')
    const rejected = await as('admin', `/api/v1/cases/${n}/reject`, { reason: '经核实不是真实诉求' })
    expect(rejected.body).toMatchObject({ status: 'rejected' })
  })

  it('lists the departments serving the community to its staff only', async () => {
    const { api, w } = await setup()
    const path = `/api/v1/departments?communityId=${String(w.community._id)}`
    const ok = await api.http.get(path).set(await w.headers('staff'))
    expect(ok.body.items.map((d: { name: string }) => d.name)).toEqual(['热力一公司', '热力二公司'])
    expect((await api.http.get(path).set(await w.headers('otherStaff'))).status).toBe(403)
    expect((await api.http.get(path).set(await w.headers('worker'))).status).toBe(403)
  })

  it('a second accept by the same worker is a 409 saying they already took it', async () => {
    const { t, as } = await setup()
    const n = await t.fresh('assigned')
    expect((await as('worker', `/api/v1/cases/${n}/accept`, {})).status).toBe(200)
    const again = await as('worker', `/api/v1/cases/${n}/accept`, {})
    expect(again.status).toBe(409)
    expect(again.body.error.message).toBe(`您已接单 ${n}，正在处理中。`)
  })

  it('serves a case’s photo to those who may see the case, and nothing that is not the case’s', async () => {
    const { api, w } = await setup()
    const up = await api.http
      .post('/api/v1/uploads')
      .set(await w.headers('reporter'))
      .set('content-type', 'image/png')
      .send(PNG)
    const opened = await api.http
      .post('/api/v1/cases')
      .set(await w.headers('reporter'))
      .set('idempotency-key', 'photo-case-0001')
      .send({ text: '3号楼门口垃圾桶坏了', photos: [up.body.ref] })
    const n = opened.body.case.number
    const file = String(up.body.ref).slice('upload:'.length)
    const photo = await api.http.get(`/api/v1/cases/${n}/photos/${file}`).set(await w.headers('staff'))
    expect(photo.status).toBe(200)
    expect(photo.headers['content-type']).toBe('image/png')
    expect(
      (await api.http.get(`/api/v1/cases/${n}/photos/${file}`).set(await w.headers('otherStaff'))).status,
    ).toBe(403)
    const other = `${'b'.repeat(64)}.png`
    expect(
      (await api.http.get(`/api/v1/cases/${n}/photos/${other}`).set(await w.headers('staff'))).status,
    ).toBe(404)
  })
})
