import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'
import { givePoints } from './shop-world.js'

describe('points shop over HTTP', () => {
  useTestDatabase()

  async function setup() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const created = await api.http
      .post('/api/v1/shop/items')
      .set(staff)
      .send({
        communityId: String(w.community._id),
        title: '社区理发券',
        description: '凭码到阿芳理发店理发一次',
        cost: 30,
        stock: 1,
        perHouseholdLimit: 1,
        offeredBy: { type: 'merchant', name: '阿芳理发店', contact: '5号楼底商' },
      })
    expect(created.status).toBe(201)
    return { api, w, staff, item: created.body as { id: string } }
  }

  it('staff list, residents redeem with an Idempotency-Key, the code is verified once, the statement shows it', async () => {
    const { api, w, staff, item } = await setup()
    await givePoints(api, w, w.zhang._id, 50)
    const zhang = await w.headers('reporter')
    const list = await api.http.get('/api/v1/shop/items').set(zhang)
    expect(list.body.items).toEqual([
      expect.objectContaining({ title: '社区理发券', cost: 30, remaining: 1, kind: 'activity' }),
    ])
    const noKey = await api.http.post(`/api/v1/shop/items/${item.id}/redeem`).set(zhang).send({})
    expect(noKey.status).toBe(400)
    expect(noKey.body.error.message).toContain('Idempotency-Key')
    const url = `/api/v1/shop/items/${item.id}/redeem`
    const first = await api.http.post(url).set(zhang).set('Idempotency-Key', 'redeem-0001').send({})
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ status: 'open', already: false, title: '社区理发券' })
    expect(first.body.code).toMatch(/^\d{6}$/)
    const again = await api.http.post(url).set(zhang).set('Idempotency-Key', 'redeem-0001').send({})
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ id: first.body.id, already: true })
    const soldOut = await api.http
      .post(url)
      .set(await w.headers('neighbour'))
      .set('Idempotency-Key', 'redeem-0002')
    expect(soldOut.status).toBe(409)
    expect(soldOut.body.error.message).toBe('「社区理发券」已经兑完了')

    const pending = await api.http
      .get(`/api/v1/shop/redemptions?communityId=${String(w.community._id)}`)
      .set(staff)
    expect(pending.body.items).toEqual([expect.objectContaining({ status: 'open', code: first.body.code })])
    const foreign = await api.http
      .post('/api/v1/shop/redemptions/verify')
      .set(await w.headers('otherStaff'))
      .send({ code: first.body.code })
    expect(foreign.status).toBe(404)
    const ok = await api.http
      .post('/api/v1/shop/redemptions/verify')
      .set(staff)
      .send({ code: first.body.code })
    expect(ok.status).toBe(200)
    expect(ok.body.status).toBe('picked_up')
    const twice = await api.http
      .post('/api/v1/shop/redemptions/verify')
      .set(staff)
      .send({ code: first.body.code })
    expect([twice.status, twice.body.error.message]).toEqual([
      409,
      '这个取货码已经核销过了，不能重复领取。如有疑问请联系社区',
    ])
    const bad = await api.http.post('/api/v1/shop/redemptions/verify').set(staff).send({ code: '12ab' })
    expect(bad.status).toBe(400)

    const st = await api.http.get('/api/v1/points/statement?month=2026-11').set(zhang)
    expect(st.body.kinds.activity).toEqual({ opening: 0, earned: 50, spent: 30, closing: 20 })
    expect(st.body.entries.map((e: { reason: string }) => e.reason)).toEqual(['manual_adjust', 'redemption'])
    const badMonth = await api.http.get('/api/v1/points/statement?month=2026-13').set(zhang)
    expect(badMonth.status).toBe(400)
    expect(badMonth.body.error.message).toContain('YYYY-MM')
  })

  it('10 residents redeem the last unit at once over HTTP: one 201, nine 409, one debit', async () => {
    const { api, w, item } = await setup()
    const people = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createPerson(`居民${i}`, ['resident'], { communityId: w.community._id, gridId: w.grid._id }),
      ),
    )
    for (const p of people) await givePoints(api, w, p._id, 40)
    const heads = await Promise.all(people.map((p) => api.bearer(p._id)))
    const res = await Promise.all(
      heads.map((h, i) =>
        api.http
          .post(`/api/v1/shop/items/${item.id}/redeem`)
          .set('authorization', h)
          .set('Idempotency-Key', `race-key-${i}`)
          .send({}),
      ),
    )
    expect(res.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409])
    const balances = await Promise.all(people.map((p) => api.services.points.balance(String(p._id))))
    expect(balances.sort()).toEqual([10, 40, 40, 40, 40, 40, 40, 40, 40, 40])
  })

  it('awards follow the configured roles; the leaderboard masks names and leaves out who opted out', async () => {
    const { api, w, staff } = await setup()
    const award = (who: Parameters<typeof w.headers>[0], body: Record<string, unknown>, key: string) =>
      w
        .headers(who)
        .then((h) => api.http.post('/api/v1/points/awards').set(h).set('Idempotency-Key', key).send(body))
    const zhang = String(w.zhang._id)
    const li = String(w.li._id)
    expect(
      (
        await award(
          'worker',
          { personId: zhang, kind: 'conduct', rule: '助人为乐', note: '扶老人' },
          'aw-00001',
        )
      ).status,
    ).toBe(403)
    const noReason = await award('staff', { personId: zhang, kind: 'conduct', rule: '助人为乐' }, 'aw-00002')
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.message).toBe('品德积分请写明事由')
    const conduct = await award(
      'staff',
      { personId: zhang, kind: 'conduct', rule: '助人为乐', note: '扶老人' },
      'aw-00003',
    )
    expect(conduct.status).toBe(201)
    expect(conduct.body).toMatchObject({ applied: true, points: 10, label: '品德积分' })
    expect(
      (await award('worker', { personId: li, kind: 'activity', rule: '志愿服务' }, 'aw-00004')).status,
    ).toBe(201)
    expect(
      (await award('worker', { personId: zhang, kind: 'activity', rule: '参加活动' }, 'aw-00005')).status,
    ).toBe(201)
    expect(
      (await award('worker2', { personId: zhang, kind: 'activity', rule: '参加活动' }, 'aw-00006')).status,
    ).toBe(403)

    const board = async (kind = 'activity') =>
      (await api.http.get(`/api/v1/points/leaderboard?gridId=${String(w.grid._id)}&kind=${kind}`).set(staff))
        .body
    expect((await board()).items).toEqual([
      { rank: 1, name: '李*', points: 5 },
      { rank: 2, name: '张*', points: 3 },
    ])
    expect((await board('conduct')).items).toEqual([{ rank: 1, name: '张*', points: 10 }])
    const out = await api.http
      .patch('/api/v1/me/preferences')
      .set(await w.headers('neighbour'))
      .send({ leaderboardOptOut: true })
    expect(out.body).toEqual({ leaderboardOptOut: true })
    expect((await board()).items).toEqual([{ rank: 1, name: '张*', points: 3 }])
    const mine = await api.http
      .get(`/api/v1/points/leaderboard?gridId=${String(w.grid._id)}`)
      .set(await w.headers('reporter'))
    expect(mine.body.mine).toEqual({ rank: 1, points: 3 })
    const outsider = await api.http
      .get(`/api/v1/points/leaderboard?gridId=${String(w.grid._id)}`)
      .set(await w.headers('outsider'))
    expect(outsider.status).toBe(403)
    expect(outsider.body.error.message).toBe('只能查看自己所在网格的积分排行')
  })
})
