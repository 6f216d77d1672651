import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { createCommunity, createGrid, createHousehold, createPerson } from '../../../test/factories.js'
import { fixedClock } from '../../lib/clock.js'
import { DomainError } from '../../lib/errors.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { RedemptionModel, RedemptionSlotModel } from '../../models/shop.model.js'
import { createPointsService } from '../points/points.service.js'
import { createShopService, type ShopActor } from './shop.service.js'

const T0 = new Date('2026-11-27T09:00:00+08:00')

async function world() {
  const clock = fixedClock(T0)
  const points = createPointsService({ clock })
  const shop = createShopService({ clock, points, redemptionDays: 14 })
  const community = await createCommunity('KH')
  const grid = await createGrid(community._id, 'KH-01')
  const home = await createHousehold(grid, '3', '2', '301')
  const base = { communityId: community._id, gridId: grid._id, householdId: home._id }
  const zhang = await createPerson('张三', ['resident'], base)
  const zhangWife = await createPerson('刘芳', ['resident'], base)
  const staff = await createPerson('陈社区', ['community_staff'], {
    staff: { communityIds: [community._id] },
  })
  const give = async (person: { _id: unknown }, n: number, kind: 'activity' | 'conduct' = 'activity') => {
    await points.adjust({
      personId: String(person._id),
      delta: n,
      refKey: `seed:${String(person._id)}:${kind}:${n}`,
      note: '测试',
      byId: String(staff._id),
    })
    if (kind === 'conduct') {
      await PointsEntryModel.updateOne(
        { refKey: `seed:${String(person._id)}:${kind}:${n}` },
        { $set: { kind } },
      )
    }
  }
  const item = (over: Record<string, unknown> = {}) =>
    shop.createItem(
      {
        communityId: String(community._id),
        title: '环保袋',
        cost: 20,
        stock: 5,
        perHouseholdLimit: 2,
        ...over,
      },
      String(staff._id),
    )
  const redeem = (person: { _id: unknown }, itemId: string, key: string, channel: 'api' | 'wechat' = 'api') =>
    shop.redeem({ itemId, personId: String(person._id), key, channel })
  const staffActor: ShopActor = { personId: String(staff._id), mayActFor: (c) => c === String(community._id) }
  return { clock, points, shop, community, zhang, zhangWife, staff, give, item, redeem, staffActor }
}

/** 张三 redeems the item 10 times at once, each with its own key. */
function race(w: Awaited<ReturnType<typeof world>>, itemId: string) {
  return Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      w.shop.redeem({ itemId, personId: String(w.zhang._id), key: `race-${i}-xxxx`, channel: 'api' }),
    ),
  )
}

const code = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    return err instanceof DomainError ? err.code : String(err)
  }
  return 'ok'
}

describe('points shop', () => {
  useTestDatabase()

  it('redeems once per key, debits the ledger, hands out a 6-digit code that staff verify once', async () => {
    const w = await world()
    await w.give(w.zhang, 50)
    const item = await w.item()
    const r = await w.redeem(w.zhang, item.id, 'k-000001')
    expect(r).toMatchObject({ status: 'open', already: false, cost: 20, kind: 'activity' })
    expect(r.code).toMatch(/^\d{6}$/)
    const again = await w.redeem(w.zhang, item.id, 'k-000001')
    expect(again).toMatchObject({ id: r.id, already: true, code: r.code })
    expect(await w.points.balances(String(w.zhang._id))).toEqual({ activity: 30, conduct: 0 })
    expect((await w.shop.getItem(item.id)).remaining).toBe(4)
    const picked = await w.shop.verify(r.code as string, w.staffActor)
    expect(picked.status).toBe('picked_up')
    expect(picked.code).toBeUndefined()
    expect(await code(w.shop.verify(r.code as string, w.staffActor))).toBe('CONFLICT') // used: said politely, not "unknown"
    expect((await w.shop.getItem(item.id)).remaining).toBe(4)
  })

  it.each([
    ['the last unit (stock 1)', { stock: 1, perHouseholdLimit: 10 }, /兑完/],
    ['a household limit of 1 (stock 3)', { stock: 3, perHouseholdLimit: 1 }, /每户限兑 1 件/],
  ])(
    '10 redemptions at once for %s: exactly one wins, the balance is debited once',
    async (_n, over, refusal) => {
      const w = await world()
      await w.give(w.zhang, 500)
      const item = await w.item(over)
      const results = await race(w, item.id)
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as DomainError).message).toMatch(refusal)
      expect(await w.points.balance(String(w.zhang._id))).toBe(480)
      expect(await PointsEntryModel.countDocuments({ reason: 'redemption' })).toBe(1)
      expect(await RedemptionModel.countDocuments({ status: 'open' })).toBe(1)
      expect(await RedemptionModel.countDocuments({})).toBe(1)
      expect((await w.shop.getItem(item.id)).remaining).toBe(over.stock - 1)
    },
  )

  it('counts the limit per household, refuses a short balance and gives back what it took', async () => {
    const w = await world()
    await w.give(w.zhang, 100)
    await w.give(w.zhangWife, 10)
    const item = await w.item({ perHouseholdLimit: 1 })
    await w.redeem(w.zhang, item.id, 'hh-0000001')
    const second = w.redeem(w.zhangWife, item.id, 'hh-0000002')
    await expect(second).rejects.toThrow(/每户限兑 1 件/)
    const other = await w.item({ title: '理发券', cost: 30 })
    await expect(w.redeem(w.zhangWife, other.id, 'hh-0000003')).rejects.toThrow(
      /活动积分不够：需要 30 分，现有 10 分/,
    )
    expect((await w.shop.getItem(other.id)).remaining).toBe(5)
    expect(await RedemptionSlotModel.countDocuments({ itemId: other.id })).toBe(0)
    expect(await w.points.balance(String(w.zhangWife._id))).toBe(10)
    // The key is free again: with points the same request now succeeds.
    await w.give(w.zhangWife, 30)
    const ok = await w.redeem(w.zhangWife, other.id, 'hh-0000003')
    expect(ok.already).toBe(false)
  })

  it('a cancel or an expiry refunds by a reversal entry and frees the unit; pays with conduct points when the item costs them', async () => {
    const w = await world()
    await w.give(w.zhang, 40, 'conduct')
    const item = await w.item({ kind: 'conduct', stock: 1, perHouseholdLimit: 3 })
    const r = await w.redeem(w.zhang, item.id, 'c-0000001', 'wechat')
    expect(await w.points.balances(String(w.zhang._id))).toEqual({ activity: 0, conduct: 20 })
    const cancelled = await w.shop.cancel(r.id, { personId: String(w.zhang._id), mayActFor: () => false }, '')
    expect(cancelled).toMatchObject({ status: 'cancelled', closeReason: '本人取消兑换' })
    expect(await w.points.balances(String(w.zhang._id))).toEqual({ activity: 0, conduct: 40 })
    expect(await PointsEntryModel.countDocuments({ reason: 'reversal', kind: 'conduct' })).toBe(1)
    expect(await code(w.shop.cancel(r.id, w.staffActor, ''))).toBe('CONFLICT')
    const r2 = await w.redeem(w.zhang, item.id, 'c-0000002')
    w.clock.advance(15 * 24 * 3600_000)
    expect(await w.shop.expireDue()).toBe(1)
    expect((await w.shop.getRedemption(r2.id)).status).toBe('expired')
    expect(await w.points.balances(String(w.zhang._id))).toEqual({ activity: 0, conduct: 40 })
    expect((await w.shop.getItem(item.id)).remaining).toBe(1)
  })

  it('another community staff cannot verify or cancel; a resident of another community cannot redeem', async () => {
    const w = await world()
    await w.give(w.zhang, 100)
    const item = await w.item()
    const r = await w.redeem(w.zhang, item.id, 'x-0000001')
    const foreign: ShopActor = { personId: String(w.staff._id), mayActFor: () => false }
    expect(await code(w.shop.verify(r.code as string, foreign))).toBe('NOT_FOUND')
    expect(await code(w.shop.cancel(r.id, foreign, '不要了'))).toBe('NOT_FOUND')
    const qt = await createCommunity('QT')
    const outsider = await createPerson('外人', ['resident'], { communityId: qt._id })
    expect(await code(w.redeem(outsider, item.id, 'x-0000002'))).toBe('FORBIDDEN')
  })
})

describe('points kinds, awards and statements', () => {
  useTestDatabase()

  it('awards by configured rule, needs a reason for conduct points, counts old entries as activity', async () => {
    const w = await world()
    const me = String(w.zhang._id)
    const by = String(w.staff._id)
    await expect(
      w.points.award({ personId: me, kind: 'conduct', rule: '助人为乐', refKey: 'a1', byId: by }),
    ).rejects.toThrow(/品德积分请写明事由/)
    await expect(
      w.points.award({ personId: me, kind: 'conduct', rule: '随便', note: 'x', refKey: 'a1', byId: by }),
    ).rejects.toThrow(/没有「随便」这条积分规则/)
    const helped = {
      personId: me,
      kind: 'conduct' as const,
      rule: '助人为乐',
      note: '帮邻居搬家',
      refKey: 'a1',
      byId: by,
    }
    expect(await w.points.award(helped)).toEqual({ applied: true, points: 10, kind: 'conduct' })
    expect((await w.points.award(helped)).applied).toBe(false)
    // An entry from before kinds existed (no kind field) is activity points.
    await PointsEntryModel.collection.insertOne({
      personId: w.zhang._id,
      delta: 7,
      reason: 'event_checkin',
      refKey: 'old-1',
      month: '2026-10',
      at: new Date('2026-10-10T10:00:00+08:00'),
    })
    expect(await w.points.balances(me)).toEqual({ activity: 7, conduct: 10 })
    const item = await w.item({ cost: 5 })
    await w.shop.redeem({ itemId: item.id, personId: me, key: 's-0000001', channel: 'api' })
    const st = await w.points.statement(me, '2026-11')
    expect(st.kinds).toEqual({
      activity: { opening: 7, earned: 0, spent: 5, closing: 2 },
      conduct: { opening: 0, earned: 10, spent: 0, closing: 10 },
    })
    expect(st.entries.map((e) => [e.kind, e.delta, e.reason])).toEqual([
      ['conduct', 10, 'award'],
      ['activity', -5, 'redemption'],
    ])
    expect((await w.points.statement(me, '2026-10')).kinds.activity).toEqual({
      opening: 0,
      earned: 7,
      spent: 0,
      closing: 7,
    })
  })
})
