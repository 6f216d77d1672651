import { afterEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { seedGridWithWorker } from '../handlers/handler-fixtures.test-helper.js'
import { BotReachModel, SelfTestProbeModel } from '../models/bot-account.model.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { ResidentModel } from '../models/registry.model.js'
import { createScriptedChannel } from '../services/channels/scripted-channel.js'
import { PROBE_PREFIX } from '../services/channels/self-test.js'
import { eventually, startTestBot } from './bot-test-world.test-helper.js'

describe('a pool of bot accounts', () => {
  useTestDatabase()
  const running: Array<{ stop(): Promise<void> }> = []
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop()
  })

  async function start(extra: Parameters<typeof startTestBot>[0] = {}) {
    const bot = await startTestBot(extra)
    running.push(bot)
    return bot
  }

  it('answers each group from the account in it, and spreads a broadcast over the accounts', async () => {
    const bot = await start({ wechaty: { accounts: [{ id: 'kanghe2', botName: '邻里小助手二号' }] } })
    expect(bot.accounts.map((a) => a.id)).toEqual(['default', 'kanghe2'])
    const [one, two] = bot.accounts.map((a) => a.mock)
    if (!one || !two) throw new Error('both accounts run on the mock puppet')
    await seedGridWithWorker()
    const zhang = one.createContact('张阿姨')
    const li = two.createContact('李大爷')
    const roomOne = one.createRoom('康和小区7号楼', [zhang])
    const roomTwo = two.createRoom('康和小区8号楼', [li])
    for (const [room, topic] of [
      [roomOne, '康和小区7号楼'],
      [roomTwo, '康和小区8号楼'],
    ] as const) {
      await bot.rooms.bindAsSystem({ roomId: room.id, topic, target: { scope: 'grid', code: 'KH-07' } })
    }

    // Each resident is answered in their own group by the account that is in it.
    two.say({ from: li.id, roomId: roomTwo.id, text: '请问社区医院几点开门', mentionBot: true })
    one.say({ from: zhang.id, roomId: roomOne.id, text: '请问社区医院几点开门', mentionBot: true })
    await eventually(() => two.delivered.some((d) => d.to === roomTwo.id))
    await eventually(() => one.delivered.some((d) => d.to === roomOne.id))
    expect(two.delivered.every((d) => d.to !== roomOne.id)).toBe(true)
    expect(one.delivered.every((d) => d.to !== roomTwo.id)).toBe(true)
    expect((await BotReachModel.findById(`room:${roomTwo.id}`).lean())?.account).toBe('kanghe2')

    // A notice queued for both groups (no account named) goes out once in each, by its own account.
    const before = { one: one.delivered.length, two: two.delivered.length }
    await bot.services.outbox.enqueueMany(
      [roomOne, roomTwo].map((room) => ({
        key: `notice-1:${room.id}`,
        to: { type: 'room' as const, id: room.id },
        text: '【通知】周六上午九点小区消杀，请关好门窗。',
        kind: 'notice',
      })),
    )
    await eventually(async () => (await OutboxModel.countDocuments({ kind: 'notice', status: 'sent' })) === 2)
    const sent = await OutboxModel.find({ kind: 'notice' }).lean()
    expect(Object.fromEntries(sent.map((m) => [m.to?.id, m.account]))).toEqual({
      [roomOne.id]: 'default',
      [roomTwo.id]: 'kanghe2',
    })
    const notices = (w: typeof one) => w.delivered.filter((d) => d.text.startsWith('【通知】'))
    expect(notices(one).map((d) => d.to)).toEqual([roomOne.id])
    expect(notices(two).map((d) => d.to)).toEqual([roomTwo.id])
    expect(one.delivered.length - before.one).toBe(1)
    expect(two.delivered.length - before.two).toBe(1)
  })

  it("keeps each account's own daily budget: one account spent does not stop the other", async () => {
    const bot = await start({
      wechaty: { accounts: [{ id: 'kanghe2', dailyBudget: 10 }] },
      outbox: { dailyBudget: 1000 },
    })
    const [one, two] = bot.accounts
    if (!one?.mock || !two?.mock) throw new Error('both accounts run on the mock puppet')
    expect(await two.sender.usage()).toMatchObject({ budget: 10 })
    expect(await one.sender.usage()).toMatchObject({ budget: 1000 })
    const roomOne = one.mock.createRoom('康和小区7号楼')
    const roomTwo = two.mock.createRoom('康和小区8号楼')
    const notices = (room: { id: string }, account: string) =>
      Array.from({ length: 12 }, (_, i) => ({
        key: `n${i}:${room.id}`,
        to: { type: 'room' as const, id: room.id },
        text: `【通知】第${i + 1}条`,
        kind: 'notice',
        account,
      }))
    await bot.services.outbox.enqueueMany([...notices(roomTwo, 'kanghe2'), ...notices(roomOne, 'default')])
    await eventually(() => one.mock?.delivered.length === 12)
    // Broadcasts may use their share of the budget only (20% is kept for replies): 8 of 10.
    await eventually(async () => (await two.sender.usage()).sentToday === 8)
    await new Promise((r) => setTimeout(r, 300))
    expect(two.mock.delivered.length).toBe(8)
    expect(one.mock.delivered.length).toBe(12)
    expect(await OutboxModel.countDocuments({ account: 'kanghe2', status: 'queued' })).toBe(
      12 - two.mock.delivered.length,
    )
  })

  it('marks an account down when its self-test probe stops coming back, and up when it returns', async () => {
    const wecom = createScriptedChannel('wecom_app')
    const bot = await start({
      selfTestMs: { interval: 150, timeout: 250, first: 10 },
      channels: [wecom],
    })
    const world = bot.world
    const { worker } = await seedGridWithWorker()
    await ResidentModel.updateOne({ _id: worker._id }, { $set: { wecomUserId: 'wangfang' } })
    const wechaty = () => bot.channelSources().find((c) => c.channel === 'wechaty' && c.account === 'default')
    await eventually(() => wechaty()?.selfTest?.().state === 'ok')
    expect(wechaty()?.health().state).toBe('up')
    expect(world.watch.probes).toBeGreaterThan(0)
    // Probes and receipts are the bots' own: neither is stored as a resident's message nor shown.
    expect(await ChatMessageModel.countDocuments({ text: { $regex: '邻里自检' } })).toBe(0)
    expect(world.delivered.filter((d) => d.text.includes('邻里自检'))).toEqual([])

    // WeChat keeps taking the messages, but nobody receives them: a silent ban.
    world.watch.echo = false
    await eventually(() => wechaty()?.health().state === 'down', 3000)
    expect(bot.bot.status().loggedIn).toBe(true)
    expect(wechaty()?.health().detail).toMatch(/自检消息.*未返回/)
    // A task notice for the grid worker now goes by WeCom instead of the silent bot.
    await bot.services.outbox.enqueue({
      key: 'task-1',
      to: { type: 'person', id: String(worker._id) },
      text: '新工单 261207-0001：3号楼电梯停运，请今天内处理。',
      kind: 'task',
    })
    await eventually(async () => (await OutboxModel.findOne({ key: 'task-1' }).lean())?.status === 'sent')
    expect((await OutboxModel.findOne({ key: 'task-1' }).lean())?.deliveredVia?.channel).toBe('wecom_app')
    expect(wecom.delivered.map((d) => d.to.id)).toEqual(['wangfang'])
    expect(world.delivered.some((d) => d.text.includes('261207-0001'))).toBe(false)

    world.watch.echo = true
    await eventually(() => wechaty()?.health().state === 'up', 3000)
    const probes = await SelfTestProbeModel.find({ account: 'default' }).lean()
    expect(probes.some((p) => p.returnedAt)).toBe(true)
    expect(probes.some((p) => !p.returnedAt)).toBe(true)
  })

  it('treats 【邻里自检】 from a stranger with a made-up code as an ordinary message', async () => {
    const bot = await start()
    const stranger = bot.world.createContact('路人')
    const id = bot.world.say({ from: stranger.id, text: `${PROBE_PREFIX}0123456789abcdef` })
    await eventually(async () => (await ChatMessageModel.findOne({ messageId: id }).lean()) !== null)
    await bot.bot.idle()
    expect(bot.world.delivered.some((d) => d.text.includes('邻里自检回执'))).toBe(false)
  })
})
