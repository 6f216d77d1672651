import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { scrapeMetrics } from '../../../test/metrics-scrape.js'
import { createMetrics } from '../../http/metrics.js'
import { systemClock } from '../../lib/clock.js'
import { createFieldCrypto } from '../../lib/crypto.js'
import { silentLogger } from '../../lib/logger.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { LockModel } from '../../models/lock.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createMemoryTransport } from '../outbox/memory-transport.js'
import type { OutboxLimits } from '../outbox/outbox.pacing.js'
import { createOutboxSender } from '../outbox/outbox.sender.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { eventually, testLimits } from '../outbox/outbox.test-helper.js'
import { ChannelError, sourcesOf } from './channel.js'
import { type ChannelsConfig, createChannelRegistry } from './channels.registry.js'
import { createScriptedChannel, type ScriptedChannel } from './scripted-channel.js'
import { createWechatyChannel } from './wechaty-channel.js'

void ChatMessageModel

const crypto = createFieldCrypto({ env: 'test' })
const ORDER: ChannelsConfig['order'] = {
  task: ['wechaty', 'wecom_app', 'sms'],
  update: ['wechaty', 'wecom_app', 'sms'],
  reply: ['wechaty', 'wecom_app'],
}

describe('channel layer: routing and failover in the outbox sender', () => {
  useTestDatabase()
  const outbox = createOutbox({ clock: systemClock })
  let wechaty: ScriptedChannel
  let wecom: ScriptedChannel
  let sms: ScriptedChannel

  beforeEach(() => {
    wechaty = createScriptedChannel('wechaty')
    wecom = createScriptedChannel('wecom_app')
    sms = createScriptedChannel('sms', ['alert', 'task', 'update'])
  })

  function senderWith(
    config: Partial<ChannelsConfig> = {},
    extra: { sendingTimeoutMs?: number; retryBaseMs?: number; limits?: OutboxLimits } = {},
  ) {
    const channels = createChannelRegistry({
      channels: [wechaty, wecom, sms],
      config: { order: ORDER, limits: {}, unavailableTries: 2, ...config },
      timezone: 'Asia/Shanghai',
    })
    return createOutboxSender({
      limits: testLimits({ perMinute: 60_000, jitterMs: 0, maxAttempts: 6 }),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport: createMemoryTransport(),
      channels,
      crypto,
      outbox,
      retryBaseMs: 20,
      idleMs: 10,
      ...extra,
    })
  }

  async function person(name: string, with_: { wecom?: boolean; phone?: string } = {}) {
    return ResidentModel.create({
      name,
      token: `t-${name}`,
      wechat: { contactId: `wx-${name}` },
      ...(with_.wecom ? { wecomUserId: `wecom-${name}` } : {}),
      ...(with_.phone ? { phoneEnc: crypto.encrypt(with_.phone) } : {}),
    })
  }

  async function drain(sender: ReturnType<typeof senderWith>): Promise<string[]> {
    const results: string[] = []
    for (let i = 0; i < 50; i++) {
      const r = await sender.sendNext()
      if (r === 'idle' || r === 'budget' || r === 'offline') break
      results.push(r)
    }
    return results
  }

  const notifyRoom = (key: string, roomId: string, text: string) =>
    outbox.enqueue({ key, to: { type: 'room', id: roomId }, text, kind: 'notice' })

  const keysOf = (c: ScriptedChannel) => c.delivered.map((d) => d.message.key)

  it('delivers messages queued while Wechaty goes dead by the next channel, each once, none lost', async () => {
    const workers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => person(`网格员${i}`, { wecom: true })),
    )
    await outbox.enqueueMany(
      workers.map((w, i) => ({
        key: `task-${i}`,
        to: { type: 'person' as const, id: String(w._id) },
        text: `新工单 ${i}`,
        kind: 'assign',
      })),
    )
    wechaty.deadAfter(3) // works for three messages, then the bot is logged out
    const sender = senderWith()
    await sender.start()
    await eventually(async () => (await OutboxModel.countDocuments({ status: 'sent' })) === 10)
    await sender.stop()

    const all = [...keysOf(wechaty), ...keysOf(wecom)].sort()
    expect(all).toEqual(Array.from({ length: 10 }, (_, i) => `task-${i}`).sort())
    expect(new Set(all).size).toBe(10) // none twice
    expect(keysOf(wechaty)).toHaveLength(3)
    expect(keysOf(wecom)).toHaveLength(7)
    expect(sms.calls).toBe(0)
    const docs = await OutboxModel.find().lean()
    for (const d of docs) {
      const via = keysOf(wechaty).includes(d.key) ? 'wechaty' : 'wecom_app'
      expect(d.deliveredVia?.channel).toBe(via)
      expect(d.purpose).toBe('task')
    }
    const moved = docs.find((d) => d.attemptsLog?.some((l) => l.channel === 'wechaty'))
    expect(moved?.deliveredVia?.address).toMatch(/^wecom-网格员/)
    expect(moved?.deliveredVia?.providerMessageId).toMatch(/^wecom_app-/)
  })

  it('never fails a group message over to a person channel: it waits for Wechaty', async () => {
    await notifyRoom('room-1', 'kanghe@chatroom', '停水通知')
    wechaty.deadAfter(0)
    const sender = senderWith({}, { retryBaseMs: 300 })
    expect(await drain(sender)).toEqual(['retry']) // the send fails, the bot is now down
    await new Promise((r) => setTimeout(r, 350)) // due again
    expect(await drain(sender)).toEqual(['waiting']) // nothing else may carry a group message
    expect(wecom.calls + sms.calls).toBe(0)
    expect((await OutboxModel.findOne({ key: 'room-1' }).lean())?.status).toBe('queued')

    wechaty.revive()
    await eventually(async () => (await sender.sendNext()) === 'sent')
    const doc = await OutboxModel.findOne({ key: 'room-1' }).lean()
    expect(doc?.deliveredVia?.channel).toBe('wechaty')
    expect(doc?.deliveredVia?.address).toBe('room:kanghe@chatroom')
    expect(keysOf(wechaty)).toEqual(['room-1'])
  })

  it('fails a group message the group cannot receive, without trying another channel', async () => {
    await notifyRoom('room-2', 'gone@chatroom', '通知')
    wechaty.script([new ChannelError('recipient', 'room not found')])
    expect(await drain(senderWith())).toEqual(['failed'])
    expect(wecom.calls + sms.calls).toBe(0)
    const doc = await OutboxModel.findOne({ key: 'room-2' }).lean()
    expect(doc?.status).toBe('failed')
    expect(doc?.attemptsLog?.map((l) => [l.channel, l.kind])).toEqual([['wechaty', 'recipient']])
  })

  it('moves on when a channel says its quota is spent, and records where it went (phone masked)', async () => {
    const w = await person('王师傅', { wecom: true, phone: '13812345678' })
    await outbox.enqueue({
      key: 'u1',
      to: { type: 'person', id: String(w._id) },
      text: '您的工单已办结',
      kind: 'update',
    })
    wechaty.script([new ChannelError('recipient', 'not a friend')])
    wecom.script([new ChannelError('quota_exhausted', 'app daily quota used', 45009)])
    expect(await drain(senderWith())).toEqual(['retry', 'retry', 'sent'])
    const doc = await OutboxModel.findOne({ key: 'u1' }).lean()
    expect(doc?.deliveredVia?.channel).toBe('sms')
    expect(doc?.deliveredVia?.address).toBe('138****5678')
    expect(doc?.channelsDone).toEqual(['wechaty', 'wecom_app'])
    expect(doc?.attemptsLog?.map((l) => [l.channel, l.kind, l.code ?? null])).toEqual([
      ['wechaty', 'recipient', null],
      ['wecom_app', 'quota_exhausted', '45009'],
    ])
    expect(sms.delivered.map((d) => d.to.id)).toEqual(['13812345678'])
  })

  it('sends an elderly resident (by registry tag) a case update by SMS first, others by WeChat first', async () => {
    const elder = await person('刘奶奶', { phone: '13912345678' })
    await ResidentModel.updateOne({ _id: elder._id }, { $set: { tags: ['独居老人'] } })
    const younger = await person('小周', { phone: '13700001111' })
    for (const [key, who] of [
      ['e1', elder],
      ['y1', younger],
    ] as const) {
      await outbox.enqueue({
        key,
        to: { type: 'person', id: String(who._id) },
        text: '您反映的楼道灯已修好，工单已办结。',
        kind: 'update',
      })
    }
    // A reply is not an SMS purpose: the elder still gets it by WeChat.
    await outbox.enqueue({
      key: 'e2',
      to: { type: 'person', id: String(elder._id) },
      text: '收到',
      kind: 'reply',
    })
    await drain(senderWith({ smsFirstTags: ['独居老人'] }))
    expect(sms.delivered.map((d) => d.message.key)).toEqual(['e1'])
    expect(keysOf(wechaty).sort()).toEqual(['e2', 'y1'])
    expect((await OutboxModel.findOne({ key: 'e1' }).lean())?.deliveredVia?.address).toBe('139****5678')
  })

  it("sends a staff group's robot feed by its webhook only, and waits while the robot is down", async () => {
    const robot = createScriptedChannel('wecom_robot', ['alert', 'digest'])
    const sender = createOutboxSender({
      limits: testLimits({ perMinute: 60_000, jitterMs: 0, maxAttempts: 6 }),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport: createMemoryTransport(),
      channels: createChannelRegistry({
        channels: [wechaty, wecom, robot],
        config: { order: ORDER, limits: {}, unavailableTries: 2 },
        timezone: 'Asia/Shanghai',
      }),
      crypto,
      outbox,
      retryBaseMs: 20,
      idleMs: 10,
    })
    robot.deadAfter(0)
    await outbox.enqueue({
      key: 'feed-1',
      to: { type: 'robot', id: 'kc-staff' },
      text: '【昨日简报】…',
      kind: 'digest',
    })
    expect(await sender.sendNext()).toBe('retry') // the webhook fails: the robot is now down
    await new Promise((r) => setTimeout(r, 50))
    expect(await sender.sendNext()).toBe('waiting') // nothing else may carry a staff group's feed
    robot.revive()
    await eventually(async () => (await sender.sendNext()) === 'sent')
    expect(robot.delivered.map((d) => d.to)).toEqual([{ channel: 'wecom_robot', id: 'kc-staff' }])
    expect(keysOf(wechaty)).toEqual([])
    expect(keysOf(wecom)).toEqual([])
  })

  it('skips a channel over its configured quota without trying it', async () => {
    const w = await person('赵主任', { wecom: true })
    await outbox.enqueueMany(
      [1, 2, 3].map((i) => ({
        key: `q${i}`,
        to: { type: 'person' as const, id: String(w._id) },
        text: `第${i}条`,
        kind: 'task',
      })),
    )
    const sender = senderWith({ limits: { wechaty: { perMinute: 100, daily: 2 } } })
    expect(await drain(sender)).toEqual(['sent', 'sent', 'sent'])
    expect(wechaty.calls).toBe(2)
    expect(keysOf(wecom)).toEqual(['q3'])
  })

  it('never retries a message a channel rejected: the next channel carries it, or it fails with none left', async () => {
    const w = await person('钱阿姨', { wecom: true })
    await outbox.enqueue({ key: 'r1', to: { type: 'person', id: String(w._id) }, text: '内容', kind: 'task' })
    wechaty.script([new ChannelError('rejected', 'content refused')])
    expect(await drain(senderWith())).toEqual(['retry', 'sent'])
    expect(wechaty.calls).toBe(1)
    expect(keysOf(wecom)).toEqual(['r1'])

    // A group message has only the bot: rejected there, it fails (recorded, not silently dropped).
    await notifyRoom('r2', 'kanghe@chatroom', '内容')
    wechaty.script([new ChannelError('rejected', 'content refused')])
    expect(await drain(senderWith())).toEqual(['failed'])
    const failed = await OutboxModel.findOne({ key: 'r2' }).lean()
    expect(failed?.status).toBe('failed')
    expect(failed?.lastError).toBe('content refused')
    expect(wecom.calls + sms.calls).toBe(1)
  })

  it('retries a rate-limited channel later instead of moving on', async () => {
    const w = await person('孙大哥', { wecom: true })
    await outbox.enqueue({ key: 'rl', to: { type: 'person', id: String(w._id) }, text: '提醒', kind: 'task' })
    wechaty.script([new ChannelError('rate_limited', 'too often')])
    const sender = senderWith({}, { retryBaseMs: 300 })
    expect(await drain(sender)).toEqual(['retry'])
    await eventually(async () => (await sender.sendNext()) === 'sent')
    expect(keysOf(wechaty)).toEqual(['rl'])
    expect(wecom.calls).toBe(0)
  })

  it('a sender stopped after recording a failover sends by the next channel once, not twice', async () => {
    const w = await person('周老师', { wecom: true, phone: '13900001111' })
    await outbox.enqueue({ key: 'c1', to: { type: 'person', id: String(w._id) }, text: '通知', kind: 'task' })
    wechaty.script([new ChannelError('recipient', 'blocked')])
    const first = senderWith()
    expect(await first.sendNext()).toBe('retry') // failover recorded; the sender stops here
    const marked = await OutboxModel.findOne({ key: 'c1' }).lean()
    expect(marked?.status).toBe('queued')
    expect(marked?.channelsDone).toEqual(['wechaty'])

    // A new process: wecom hangs mid-send (the process dies), then a third one starts.
    wecom.script(['hang'])
    const second = senderWith()
    void second.sendNext()
    await eventually(() => wecom.calls === 1)
    const third = senderWith({}, { sendingTimeoutMs: 0 })
    await new Promise((r) => setTimeout(r, 5))
    expect(await third.recoverStuck()).toBe(1)
    const stuck = await OutboxModel.findOne({ key: 'c1' }).lean()
    expect(stuck?.status).toBe('sent_unknown')
    expect(stuck?.sendingVia?.channel).toBe('wecom_app')
    await LockModel.deleteMany({}) // the dead process's lease has run out
    expect(await third.sendNext()).toBe('idle')
    expect(wechaty.calls).toBe(1)
    expect(wecom.calls).toBe(1)
    expect(sms.calls).toBe(0) // not sent again by another channel either
  })

  it('wraps the Wechaty transport: logged out is down, and a person falls over to WeCom', async () => {
    const transport = createMemoryTransport()
    let loggedIn = true
    const bot = createWechatyChannel({ ...transport, self: () => (loggedIn ? transport.self() : undefined) })
    const w = await person('吴姐', { wecom: true })
    transport.addContact(`wx-吴姐`)
    const channels = createChannelRegistry({
      channels: [bot, wecom],
      config: { order: ORDER },
      timezone: 'Asia/Shanghai',
    })
    const sender = createOutboxSender({
      limits: testLimits({ perMinute: 60_000, jitterMs: 0 }),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport,
      channels,
      outbox,
    })
    await outbox.enqueue({ key: 'w1', to: { type: 'person', id: String(w._id) }, text: '一', kind: 'task' })
    expect(await sender.sendNext()).toBe('sent')
    expect(bot.health().state).toBe('up')
    loggedIn = false
    expect(bot.health()).toMatchObject({ state: 'down', detail: '机器人已掉线' })
    await outbox.enqueue({ key: 'w2', to: { type: 'person', id: String(w._id) }, text: '二', kind: 'task' })
    expect(await sender.sendNext()).toBe('sent')
    expect(transport.delivered.map((d) => d.text)).toEqual(['一'])
    expect(keysOf(wecom)).toEqual(['w2'])
    expect((await OutboxModel.findOne({ key: 'w2' }).lean())?.deliveredVia?.channel).toBe('wecom_app')
  })

  /** Task notices for `n` new workers reachable by Wechaty and WeCom, keys `${prefix}-<i>`. */
  async function tasksFor(prefix: string, n: number): Promise<void> {
    const workers = await Promise.all(
      Array.from({ length: n }, (_, i) => person(`${prefix}网格员${i}`, { wecom: true })),
    )
    await outbox.enqueueMany(
      workers.map((w, i) => ({
        key: `${prefix}-${i}`,
        to: { type: 'person' as const, id: String(w._id) },
        text: `新工单 ${prefix} ${i}`,
        kind: 'assign',
      })),
    )
  }

  it("counts only Wechaty deliveries in the bot account's daily budget", async () => {
    // A message sent before the channel layer recorded deliveredVia went by the bot: it counts.
    await tasksFor('old', 1)
    await OutboxModel.updateOne({ key: 'old-0' }, { $set: { status: 'sent', sentAt: new Date() } })
    await tasksFor('day', 6)
    wechaty.deadAfter(2) // two by the bot, then it is logged out
    const limits = testLimits({ perMinute: 60_000, jitterMs: 0, dailyBudget: 5, replyReservePercent: 0 })
    const sender = senderWith({}, { limits })
    const results = await drain(sender)
    expect(results.filter((r) => r === 'sent')).toHaveLength(6) // WeCom is not held by the bot's budget
    expect(keysOf(wechaty)).toHaveLength(2)
    expect(keysOf(wecom)).toHaveLength(4)
    expect(await sender.usage()).toEqual({ sentToday: 3, budget: 5 })

    // The bot's own budget still holds: two more by Wechaty, then the day's budget is used.
    wechaty.revive()
    await tasksFor('more', 3)
    expect(await drain(sender)).toEqual(['sent', 'sent'])
    expect(await sender.sendNext()).toBe('budget')
    expect(await sender.usage()).toEqual({ sentToday: 5, budget: 5 })
    expect(keysOf(wechaty)).toHaveLength(4)
  })

  it("counts only Wechaty sends in the bot account's per-minute pace", async () => {
    await tasksFor('pace', 6)
    // The bot is logged out before the run (a failed send by the bot would count in its pace).
    wechaty.deadAfter(0)
    const probe = { key: 'probe', purpose: 'task' as const, text: '' }
    await wechaty.send({ channel: 'wechaty', id: 'contact:x' }, probe).catch(() => undefined)
    expect(wechaty.health().state).toBe('down')
    const limits = testLimits({ perMinute: 2, jitterMs: 0, replyReservePercent: 0 })
    const sender = senderWith({}, { limits })
    await sender.start()
    // Two a minute is the bot's pace, not WeCom's (WeCom's own limit is `channels.limits`).
    await eventually(async () => (await OutboxModel.countDocuments({ status: 'sent' })) === 6, 5000)
    await sender.stop()
    expect(keysOf(wecom)).toHaveLength(6)
    expect(keysOf(wechaty)).toHaveLength(0)
  })

  it("counts sends per channel and reports each channel's health in /metrics", async () => {
    const metrics = createMetrics()
    const w = await person('郑叔', { wecom: true })
    const sender = senderWith()
    // What main.ts wires.
    sender.onChannelAttempt(({ channel, outcome, kind }) =>
      metrics.gauges.channelSends.inc({ channel, outcome, kind: kind ?? '' }),
    )
    metrics.watchChannels(() => sourcesOf(sender.channels.all()))
    wechaty.deadAfter(1)
    await outbox.enqueueMany(
      [1, 2].map((i) => ({
        key: `m${i}`,
        to: { type: 'person' as const, id: String(w._id) },
        text: `${i}`,
        kind: 'task',
      })),
    )
    await eventually(async () => {
      await sender.sendNext()
      return wecom.delivered.length === 1
    })
    const res = await scrapeMetrics(metrics)
    expect(res.text).toContain('linli_channel_sends_total{channel="wechaty",outcome="sent",kind=""} 1')
    expect(res.text).toContain(
      'linli_channel_sends_total{channel="wechaty",outcome="failed",kind="unavailable"} 1',
    )
    expect(res.text).toContain('linli_channel_sends_total{channel="wecom_app",outcome="sent",kind=""} 1')
    expect(res.text).toContain('linli_channel_health{channel="wechaty",account="default"} 0')
    expect(res.text).toContain('linli_channel_health{channel="wecom_app",account="default"} 1')
  })
})
