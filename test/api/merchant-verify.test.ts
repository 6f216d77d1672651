import { describe, expect, it } from 'vitest'
import { ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'
import { givePoints } from './shop-world.js'

describe('a merchant verifier (商户核销员) over HTTP', () => {
  useTestDatabase()

  it('is created by staff with an invite, verifies only its own items once, and sees only their redemptions', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const community = String(w.community._id)
    const made = await api.http
      .post('/api/v1/shop/merchant-staff')
      .set(staff)
      .send({ communityId: community, merchantName: '老李修鞋铺', name: '李师傅' })
    expect(made.status).toBe(201)
    expect(made.body.invite.code).toMatch(/^[A-Z0-9]{8}$/)
    const verifier = await ResidentModel.findById(made.body.personId).lean()
    expect([verifier?.roles, verifier?.staff?.merchantName]).toEqual([['merchant'], '老李修鞋铺'])
    const refused = await api.http
      .post('/api/v1/shop/merchant-staff')
      .set(await w.headers('otherStaff'))
      .send({ communityId: community, merchantName: '老李修鞋铺', name: '冒名' })
    expect(refused.status).toBe(403)

    const { shop } = api.services
    const offer = (title: string, merchant?: string) =>
      shop.createItem(
        {
          communityId: community,
          title,
          cost: 10,
          stock: 5,
          perHouseholdLimit: 5,
          ...(merchant ? { offeredBy: { type: 'merchant', name: merchant, contact: '' } } : {}),
        },
        String(w.staff._id),
      )
    const mine = await offer('免费修鞋一次', '老李修鞋铺')
    const theirs = await offer('理发一次', '老王理发店')
    const community_ = await offer('环保袋')
    await givePoints(api, w, w.zhang._id, 100)
    const redeem = (itemId: string, key: string) =>
      shop.redeem({ itemId, personId: String(w.zhang._id), key, channel: 'api' })
    const [a, b, c] = [
      await redeem(mine.id, 'r-1'),
      await redeem(theirs.id, 'r-2'),
      await redeem(community_.id, 'r-3'),
    ]

    const li = { authorization: await api.bearer(made.body.personId) }
    const verify = (code: string) => api.http.post('/api/v1/shop/redemptions/verify').set(li).send({ code })
    for (const other of [b, c]) {
      const no = await verify(other.code as string)
      expect([no.status, no.body.error.message]).toEqual([404, '这个取货码没有待领取的兑换，请核对后再输入'])
    }
    const ok = await verify(a.code as string)
    expect(ok.status).toBe(200)
    expect([ok.body.title, ok.body.status, ok.body.residentName]).toEqual([
      '免费修鞋一次',
      'picked_up',
      '张*',
    ])
    const again = await verify(a.code as string)
    expect([again.status, again.body.error.message]).toEqual([
      409,
      '这个取货码已经核销过了，不能重复领取。如有疑问请联系社区',
    ])
    const list = await api.http.get(`/api/v1/shop/redemptions?communityId=${community}`).set(li)
    expect(list.body.items.map((r: { title: string }) => r.title)).toEqual(['免费修鞋一次'])
    // Nothing else: not the shop's items for staff, not the cases, not the registry.
    for (const path of [
      `/api/v1/community/cases?communityId=${community}`,
      '/api/v1/grids',
      `/api/v1/volunteers?communityId=${community}`,
    ])
      expect((await api.http.get(path).set(li)).status).toBe(403)
  })
})
