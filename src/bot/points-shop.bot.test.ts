import { afterEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { seedGridWithWorker } from '../handlers/handler-fixtures.test-helper.js'
import { PointsEntryModel } from '../models/points.model.js'
import { HouseholdModel, ResidentModel } from '../models/registry.model.js'
import { RedemptionModel } from '../models/shop.model.js'
import { eventually, startTestBot } from './bot-test-world.test-helper.js'

describe('points and the shop in chat (mock puppet)', () => {
  useTestDatabase()
  const running: Array<{ stop(): Promise<void> }> = []
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop()
  })

  it('「积分」 lists balances and items, 「兑换 1」 gives a pickup code once, staff verify it, 「不参加排行」 is kept', async () => {
    const bot = await startTestBot()
    running.push(bot)
    const { community, grid, worker } = await seedGridWithWorker()
    const home = await HouseholdModel.create({
      communityId: community._id,
      gridId: grid._id,
      building: '7',
      room: '101',
      token: 'hh-points-chat',
    })
    const contact = bot.world.createContact('张阿姨')
    const zhang = await ResidentModel.findOneAndUpdate(
      { name: '张阿姨' },
      { $set: { 'wechat.contactId': contact.id, communityId: community._id, householdId: home._id } },
      { returnDocument: 'after' },
    ).orFail()
    const { shop, points } = bot.services
    const staffId = String(worker._id)
    await points.adjust({
      personId: String(zhang._id),
      delta: 50,
      refKey: 'gift-1',
      note: '志愿服务',
      byId: staffId,
    })
    const bag = await shop.createItem(
      { communityId: String(community._id), title: '环保袋', cost: 20, stock: 3, perHouseholdLimit: 1 },
      staffId,
    )
    await shop.createItem(
      {
        communityId: String(community._id),
        title: '理发一次',
        cost: 40,
        stock: 2,
        offeredBy: { type: 'merchant', name: '阿芳理发店', contact: '7号楼底商' },
      },
      staffId,
    )
    const to = (n: number) => bot.world.delivered.filter((d) => d.to === contact.id).length >= n
    bot.world.say({ from: contact.id, text: '积分' })
    await eventually(() => to(1))
    const list = bot.world.delivered.filter((d) => d.to === contact.id)[0]?.text ?? ''
    expect(list).toContain('活动积分 50 分，品德积分 0 分')
    expect(list).toContain('1. 环保袋｜20 分（活动积分）｜剩 3 件')
    expect(list).toContain('2. 理发一次｜40 分（活动积分）｜剩 2 件｜阿芳理发店提供')
    // A new item after the list was shown does not change what 「兑换 1」 means.
    await shop.createItem(
      { communityId: String(community._id), title: '便宜的毛巾', cost: 1, stock: 9 },
      staffId,
    )
    const id = bot.world.say({ from: contact.id, text: '兑换 1' })
    await eventually(() => to(2))
    const done = bot.world.delivered.filter((d) => d.to === contact.id)[1]?.text ?? ''
    expect(done).toContain('兑换成功！「环保袋」花费 20 分')
    const code = /取货码：(\d{6})/.exec(done)?.[1]
    expect(code).toBeDefined()
    bot.world.redeliver(id)
    bot.world.say({ from: contact.id, text: '兑换 9' })
    await eventually(() => to(3))
    await new Promise((r) => setTimeout(r, 300))
    const texts = bot.world.delivered.filter((d) => d.to === contact.id).map((d) => d.text)
    expect(texts).toHaveLength(3)
    expect(texts[2]).toContain('没有找到这个序号的商品')
    expect(await points.balances(String(zhang._id))).toEqual({ activity: 30, conduct: 0 })
    expect(await PointsEntryModel.countDocuments({ reason: 'redemption' })).toBe(1)
    const staff = { personId: staffId, mayActFor: (c: string) => c === String(community._id) }
    const picked = await shop.verify(code as string, staff)
    expect(picked).toMatchObject({ status: 'picked_up', title: '环保袋', channel: 'wechat' })
    await expect(shop.verify(code as string, staff)).rejects.toThrow(/已经核销过了/)
    expect((await RedemptionModel.findById(picked.id).lean())?.verifiedById?.toString()).toBe(staffId)
    expect((await shop.getItem(bag.id)).remaining).toBe(2)

    // Said again later (written without the space): the household limit of 1 is reached.
    bot.world.say({ from: contact.id, text: '兑换1' })
    await eventually(() => to(4))
    expect(bot.world.delivered.filter((d) => d.to === contact.id)[3]?.text).toBe(
      '抱歉，「环保袋」每户限兑 1 件，您家已经兑满了。',
    )
    bot.world.say({ from: contact.id, text: '不参加排行' })
    await eventually(() => to(5))
    expect(bot.world.delivered.filter((d) => d.to === contact.id)[4]?.text).toContain(
      '不会再出现在网格积分排行里',
    )
    expect((await ResidentModel.findById(zhang._id).lean())?.preferences?.leaderboardOptOut).toBe(true)
  })
})
