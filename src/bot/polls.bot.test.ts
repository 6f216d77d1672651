import { afterEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { makePollWorld } from '../../test/poll-fixtures.js'
import { PollVoteModel } from '../models/poll.model.js'
import { ResidentModel } from '../models/registry.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { eventually, startTestBot } from './bot-test-world.test-helper.js'

describe('polls and 议事 on the mock puppet', () => {
  useTestDatabase()
  const running: Array<{ stop(): Promise<void> }> = []
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop()
  })

  /** The bot, the poll world, and grid 1's group in the mock world with 张大爷 and 张阿姨 in it. */
  async function setup() {
    const bot = await startTestBot()
    running.push(bot)
    const w = await makePollWorld()
    await RoomBindingModel.deleteMany({})
    const contact = (p: { _id: unknown; name: string }) => {
      const c = bot.world.createContact(p.name)
      return ResidentModel.updateOne({ _id: p._id }, { $set: { 'wechat.contactId': c.id } }).then(() => c)
    }
    const [zhang, wife, tenant] = await Promise.all([
      contact(w.zhang),
      contact(w.zhangWife),
      contact(w.tenant),
    ])
    const room = bot.world.createRoom('3号楼邻里群', [zhang, wife, tenant])
    await bot.rooms.bindAsSystem({
      roomId: room.id,
      topic: '3号楼邻里群',
      target: { scope: 'grid', code: 'KP-01' },
    })
    const said = (to: string) => bot.world.delivered.filter((d) => d.to === to).map((d) => d.text)
    /** Waits for the next message the bot sends to `to` that matches. */
    const next = async (to: string, re: RegExp) => {
      await eventually(() => said(to).some((t) => re.test(t)), 8000)
      return said(to).find((t) => re.test(t)) as string
    }
    return { bot, w, zhang, wife, tenant, room, said, next }
  }

  it('announces a poll in the group; 「投票 2」 there counts once per household, confirmed privately; results on close', async () => {
    const { bot, w, zhang, wife, room, said, next } = await setup()
    const poll = await bot.services.polls.create(
      {
        audience: { communityId: String(w.community._id), gridIds: [String(w.g1._id)] },
        question: '3号楼是否加装电梯？',
        options: ['同意', '不同意'],
        deadline: new Date(Date.now() + 3 * 86400_000).toISOString(),
        resultsVisibleTo: 'all',
      },
      w.as.staff,
    )
    expect(await next(room.id, /【社区投票】/)).toContain('1. 同意\n2. 不同意')

    bot.world.say({ from: zhang.id, roomId: room.id, text: '投票 2' })
    expect(await next(zhang.id, /投票/)).toBe(
      '已记录您家的投票：2. 不同意（3号楼是否加装电梯？）。每户一票，谢谢参与！',
    )
    bot.world.say({ from: wife.id, roomId: room.id, text: '投票 1' })
    expect(await next(wife.id, /投过票/)).toBe(
      '抱歉，您家已经投过票了（选的是「2. 不同意」），每户一票，投出后不能更改。',
    )
    // Nothing about anyone's vote is said in the group.
    expect(said(room.id)).toHaveLength(1)
    expect(await PollVoteModel.countDocuments({ pollId: poll.id })).toBe(1)

    await bot.services.polls.close(poll.id, w.as.staff)
    const results = await next(room.id, /【投票结果】/)
    expect(results).toContain('1. 同意：0 票\n2. 不同意：1 票')
    expect(results).toContain('共 1 户参与，参与率 50%')
  })

  it('in a direct chat 「投票」 shows the open poll; a resident without a household is told why not', async () => {
    const { bot, w, tenant, next } = await setup()
    await bot.services.polls.create(
      {
        audience: { communityId: String(w.community._id) },
        question: '周末是否开展大扫除？',
        options: ['参加', '不参加'],
        deadline: new Date(Date.now() + 86400_000).toISOString(),
      },
      w.as.staff,
    )
    bot.world.say({ from: tenant.id, text: '投票' })
    expect(await next(tenant.id, /【社区投票】周末/)).toContain('回复「投票 序号」参与')
    bot.world.say({ from: tenant.id, text: '投票 1' })
    expect(await next(tenant.id, /按户进行/)).toMatch(/^抱歉，这次投票按户进行，您还没有登记住户/)
    expect(await PollVoteModel.countDocuments()).toBe(0)
  })

  it('「意见 …」 in the group goes to the 议事 topic announced there; the decision is announced', async () => {
    const { bot, w, zhang, room, next } = await setup()
    const topic = await bot.services.deliberations.create(
      {
        audience: { communityId: String(w.community._id), gridIds: [String(w.g1._id)] },
        title: '楼下空地做什么',
        closesAt: new Date(Date.now() + 86400_000).toISOString(),
      },
      w.as.staff,
    )
    await next(room.id, /【居民议事】楼下空地做什么/)
    bot.world.say({ from: zhang.id, roomId: room.id, text: '意见 建议做成小花园' })
    expect(await next(zhang.id, /意见/)).toBe('已收到您对「楼下空地做什么」的意见，社区会认真研究，谢谢！')
    const opinions = await bot.services.deliberations.opinions(topic.id, w.as.staff)
    expect(opinions.map((o) => [o.name, o.text])).toEqual([['张大爷', '建议做成小花园']])
    await bot.services.deliberations.decide(
      topic.id,
      { text: '建小花园', basis: '居民意见和议事会讨论' },
      w.as.staff,
    )
    expect(await next(room.id, /【议事结果】/)).toContain('决定：建小花园')
  })
})
