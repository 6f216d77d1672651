import { Writable } from 'node:stream'
import mongoose from 'mongoose'
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { systemClock } from '../../lib/clock.js'
import { createLogger, silentLogger } from '../../lib/logger.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { LockModel } from '../../models/lock.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createConversations } from '../conversations/conversation.service.js'
import { createMemoryTransport, type MemoryTransport } from './memory-transport.js'
import { createOutboxSender, startOfLocalDay } from './outbox.sender.js'
import { countQueued, createOutbox } from './outbox.service.js'
import { eventually, testLimits } from './outbox.test-helper.js'

void ChatMessageModel

describe('outbox sender', () => {
  useTestDatabase()
  const outbox = createOutbox({ clock: systemClock })
  const conversations = createConversations({ clock: systemClock })
  let transport: MemoryTransport
  let roomId = ''

  beforeEach(() => {
    transport = createMemoryTransport()
    roomId = transport.addRoom('kanghe-7@chatroom')
  })

  const senderWith = (outboxConfig: Record<string, number>, logger = silentLogger, retryBaseMs = 30) =>
    createOutboxSender({
      limits: testLimits(outboxConfig),
      timezone: 'Asia/Shanghai',
      logger,
      transport,
      outbox,
      conversations,
      retryBaseMs,
      idleMs: 20,
    })

  async function drain(sender: ReturnType<typeof senderWith>): Promise<string[]> {
    const results: string[] = []
    for (let i = 0; i < 50; i++) {
      const r = await sender.sendNext()
      if (r === 'idle' || r === 'budget') break
      results.push(r)
    }
    return results
  }

  it('marks only waiting messages as queued, and at start marks one stored before the marker existed', async () => {
    await outbox.enqueue({ key: 'p1', to: { type: 'room', id: roomId }, text: '第一条', kind: 'reply' })
    await outbox.enqueue({ key: 'p2', to: { type: 'room', id: roomId }, text: '第二条', kind: 'reply' })
    expect(await countQueued()).toBe(2)
    // Stored by the former layout: no marker on the message, an entry in a lane collection of its own.
    const old = await OutboxModel.findOneAndUpdate({ key: 'p2' }, { $unset: { pendingLane: 1 } }).lean()
    const db = mongoose.connection.db
    await db?.collection('outbox_pending_reply').insertOne({ _id: old?._id, account: 'default' } as never)
    expect(await countQueued()).toBe(1)
    const sender = senderWith({ perMinute: 6000, jitterMs: 0 })
    await sender.start() // marks it, drops the old collection, then drains
    await eventually(async () => (await OutboxModel.countDocuments({ status: 'sent' })) === 2)
    await sender.stop()
    expect(await countQueued()).toBe(0)
    expect(await OutboxModel.countDocuments({ pendingLane: { $exists: true } })).toBe(0)
    const left = await db?.listCollections({ name: 'outbox_pending_reply' }).toArray()
    expect(left).toEqual([])
    expect(transport.delivered.map((d) => d.text)).toEqual(expect.arrayContaining(['第一条', '第二条']))
  })

  it('sends due messages oldest first, resolves people to their WeChat, and records delivery', async () => {
    const t = Date.now()
    const resident = await ResidentModel.create({
      name: '张阿姨',
      token: 't1',
      wechat: { contactId: transport.addContact('zhang-ayi') },
    })
    const offline = await ResidentModel.create({ name: '李大爷', token: 't2' })
    await outbox.enqueue({
      key: 'k2',
      to: { type: 'room', id: roomId },
      text: '第二条',
      kind: 'reply',
      notBefore: new Date(t - 1000),
    })
    await outbox.enqueue({
      key: 'k1',
      to: { type: 'room', id: roomId },
      text: '第一条',
      kind: 'reply',
      notBefore: new Date(t - 2000),
    })
    await outbox.enqueue({
      key: 'k3',
      to: { type: 'person', id: resident._id.toString() },
      text: '您的工单已受理',
      kind: 'update',
      notBefore: new Date(t - 500),
    })
    await outbox.enqueue({
      key: 'k4',
      to: { type: 'person', id: offline._id.toString() },
      text: '您的工单已办结',
      kind: 'update',
      notBefore: new Date(t - 400),
    })
    await outbox.enqueue({
      key: 'later',
      to: { type: 'room', id: roomId },
      text: '明天的提醒',
      kind: 'reminder',
      notBefore: new Date(t + 3_600_000),
    })
    const results = await drain(senderWith({}))
    expect(results).toEqual(['sent', 'sent', 'sent', 'undeliverable'])
    expect(transport.delivered.map((d) => d.text)).toEqual(['第一条', '第二条', '您的工单已受理'])
    const docs = await OutboxModel.find().lean()
    const byKey = Object.fromEntries(docs.map((d) => [d.key, d]))
    expect(byKey.k1?.status).toBe('sent')
    expect(byKey.k1?.sentAt).toBeInstanceOf(Date)
    expect(byKey.k4?.status).toBe('undeliverable')
    expect(byKey.k4?.lastError).toContain('没有绑定微信')
    expect(byKey.later?.status).toBe('queued')
    const transcript = await conversations.transcript(`room:${roomId}`)
    expect(transcript.map((m) => [m.direction, m.senderName, m.text])).toEqual([
      ['out', '邻里小助手', '第一条'],
      ['out', '邻里小助手', '第二条'],
    ])
  })

  it('keeps the configured pace between messages', async () => {
    for (let i = 1; i <= 4; i++) {
      await outbox.enqueue({
        key: `p${i}`,
        to: { type: 'room', id: roomId },
        text: `通知${i}`,
        kind: 'notice',
      })
    }
    const sender = senderWith({ perMinute: 300, jitterMs: 0 }) // one message per 200 ms
    const started = Date.now()
    await sender.start()
    await eventually(() => transport.delivered.length === 4)
    await sender.stop()
    const gaps = transport.delivered
      .slice(1)
      .map((d, i) => d.at.getTime() - (transport.delivered[i]?.at.getTime() ?? 0))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(180)
    expect(Date.now() - started).toBeGreaterThanOrEqual(580)
    expect(transport.delivered.map((d) => d.text)).toEqual(['通知1', '通知2', '通知3', '通知4'])
  })

  it('retries a failing send with growing pauses, then gives up as failed', async () => {
    await outbox.enqueue({
      key: 'gone',
      to: { type: 'room', id: 'gone@chatroom' },
      text: '群已解散',
      kind: 'notice',
    })
    // Back-off long enough that "not due yet" holds on a busy machine, short enough for a test.
    const sender = senderWith({ maxAttempts: 3 }, silentLogger, 500)
    expect(await sender.sendNext()).toBe('retry')
    let doc = await OutboxModel.findOne({ key: 'gone' }).lean()
    expect(doc?.attempts).toBe(1)
    expect(doc?.status).toBe('queued')
    expect(doc?.notBefore.getTime()).toBeGreaterThan(Date.now())
    expect(await sender.sendNext()).toBe('idle') // not due yet: back-off
    await eventually(async () => (await sender.sendNext()) === 'retry')
    await eventually(async () => (await sender.sendNext()) === 'failed')
    doc = await OutboxModel.findOne({ key: 'gone' }).lean()
    expect(doc?.status).toBe('failed')
    expect(doc?.attempts).toBe(3)
    expect(doc?.lastError).toBeTruthy()
  })

  it('warns the admins once when 80% of the daily budget is used, and stops at the budget', async () => {
    const lines: string[] = []
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk))
          cb()
        },
      }),
    })
    const admin = await ResidentModel.create({
      name: '赵主任',
      roles: ['admin'],
      token: 'ta',
      wechat: { contactId: transport.addContact('zhao-zhuren') },
    })
    for (let i = 1; i <= 8; i++) {
      await outbox.enqueue({
        key: `b${i}`,
        to: { type: 'room', id: roomId },
        text: `消息${i}`,
        kind: 'notice',
        notBefore: new Date(Date.now() - 10_000 + i),
      })
    }
    const sender = senderWith({ dailyBudget: 5, replyReservePercent: 0 }, logger)
    const results = await drain(sender)
    expect(results).toEqual(['sent', 'sent', 'sent', 'sent', 'sent'])
    expect(await sender.sendNext()).toBe('budget')
    expect(await sender.usage()).toEqual({ sentToday: 5, budget: 5 })
    const warnings = await OutboxModel.find({ kind: 'warning' }).lean()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.to).toEqual({ type: 'person', id: admin._id.toString() })
    expect(warnings[0]?.text).toContain('80%')
    expect(lines.filter((l) => l.includes('budget 80% used'))).toHaveLength(1)
  })

  it('never repeats a message left in sending by a crash: it becomes sent_unknown', async () => {
    await outbox.enqueue({
      key: 'crash',
      to: { type: 'room', id: roomId },
      text: '可能已发出',
      kind: 'reply',
    })
    await OutboxModel.collection.updateOne(
      { key: 'crash' },
      { $set: { status: 'sending', attempts: 1, updatedAt: new Date(Date.now() - 10 * 60_000) } },
    )
    const sender = senderWith({})
    expect(await sender.recoverStuck()).toBe(1)
    expect(await sender.sendNext()).toBe('idle')
    expect((await OutboxModel.findOne({ key: 'crash' }).lean())?.status).toBe('sent_unknown')
    expect(transport.delivered).toHaveLength(0)
  })

  it('sends each message once when two senders drain the same account at the same time', async () => {
    for (let i = 1; i <= 6; i++) {
      await outbox.enqueue({
        key: `c${i}`,
        to: { type: 'room', id: roomId },
        text: `并发${i}`,
        kind: 'notice',
      })
    }
    const a = senderWith({})
    const b = senderWith({})
    const step = async (s: typeof a) => {
      for (let i = 0; i < 40; i++) {
        const r = await s.sendNext()
        if (r === 'idle') return
      }
    }
    await Promise.all([step(a), step(b), step(a)])
    await eventually(async () => (await OutboxModel.countDocuments({ status: 'sent' })) === 6)
    expect(transport.delivered.map((d) => d.text).sort()).toEqual([
      '并发1',
      '并发2',
      '并发3',
      '并发4',
      '并发5',
      '并发6',
    ])
  })

  it('sends a message queued before lanes existed (no lane, not in any lane index) after a start', async () => {
    const now = new Date()
    await OutboxModel.collection.insertOne({
      key: 'legacy:1',
      to: { type: 'room', id: roomId },
      text: '旧版排队的通知',
      kind: 'notice',
      account: 'default',
      status: 'queued',
      attempts: 0,
      notBefore: now,
      createdAt: now,
      updatedAt: now,
    })
    const sender = senderWith({ perMinute: 6000 })
    await sender.start()
    await eventually(() => transport.delivered.length === 1)
    await sender.stop()
    expect(transport.delivered[0]?.text).toBe('旧版排队的通知')
    expect((await OutboxModel.findOne({ key: 'legacy:1' }).lean())?.status).toBe('sent')
  })

  it('holds the lease while running: a second sender of the account waits, then takes over', async () => {
    const a = senderWith({ perMinute: 6000 })
    const b = senderWith({ perMinute: 6000 })
    const attemptsOfB: string[] = []
    b.onAttempt((r) => attemptsOfB.push(r))
    await a.start()
    await eventually(async () => (await LockModel.exists({ _id: 'outbox-sender:default' })) !== null)
    await b.start()
    for (let i = 1; i <= 3; i++) {
      await outbox.enqueue({ key: `h${i}`, to: { type: 'room', id: roomId }, text: `先${i}`, kind: 'reply' })
    }
    await eventually(() => transport.delivered.length === 3)
    expect(attemptsOfB).toEqual([])
    await a.stop()
    await outbox.enqueue({ key: 'h4', to: { type: 'room', id: roomId }, text: '后来的', kind: 'reply' })
    await eventually(() => transport.delivered.length === 4)
    await b.stop()
    expect(attemptsOfB).toEqual(['sent'])
    expect(transport.delivered.map((d) => d.text)).toEqual(['先1', '先2', '先3', '后来的'])
  })

  it('counts the day in the configured time zone', () => {
    const d = startOfLocalDay(new Date('2026-11-28T17:30:00Z'), 'Asia/Shanghai')
    expect(d.toISOString()).toBe('2026-11-28T16:00:00.000Z')
  })
})

describe('outbox lanes', () => {
  useTestDatabase()
  const outbox = createOutbox({ clock: systemClock })
  const conversations = createConversations({ clock: systemClock })
  let transport: MemoryTransport
  let groups: string[] = []
  let residentRoom = ''

  beforeEach(() => {
    transport = createMemoryTransport()
    groups = Array.from({ length: 300 }, (_, i) => transport.addRoom(`grid-${i}@chatroom`))
    residentRoom = transport.addRoom('kanghe-7@chatroom')
  })

  const senderWith = (limits: Record<string, number>) =>
    createOutboxSender({
      limits: testLimits(limits),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport,
      outbox,
      conversations,
      idleMs: 20,
    })

  /** A 停水通知 to each of the 300 groups, queued at once (as notices.send does). */
  const broadcast = () =>
    outbox.enqueueMany(
      groups.map((id, i) => ({
        key: `notice:water:${i}`,
        to: { type: 'room' as const, id },
        text: `停水通知 ${i}`,
        kind: 'notice',
      })),
    )

  it('sends a reply queued behind a 300-group broadcast next, before the rest of the broadcast', async () => {
    expect(await broadcast()).toBe(300)
    const sender = senderWith({})
    for (let i = 0; i < 3; i++) expect(await sender.sendNext()).toBe('sent')
    await outbox.enqueue({
      key: 'reply:m1:0',
      to: { type: 'room', id: residentRoom },
      text: '您已报名成功',
      kind: 'reply',
    })
    expect(await sender.sendNext()).toBe('sent')
    expect(transport.delivered.map((d) => d.text)).toEqual([
      '停水通知 0',
      '停水通知 1',
      '停水通知 2',
      '您已报名成功',
    ])
    expect(await sender.sendNext()).toBe('sent')
    expect(transport.delivered.at(-1)?.text).toBe('停水通知 3')
    expect(await countQueued()).toBe(296)
  })

  it('sends an urgent alert before task notices, and task notices before the broadcast', async () => {
    await broadcast()
    await outbox.enqueue({
      key: 'case:c1:task',
      to: { type: 'room', id: residentRoom },
      text: '【新工单】楼道灯不亮',
      kind: 'task',
    })
    await outbox.enqueue({
      key: 'case:c2:alert',
      to: { type: 'room', id: residentRoom },
      text: '【紧急】3号楼冒烟',
      kind: 'warning',
      lane: 'urgent',
    })
    await outbox.enqueue({
      key: 'case:c3:update',
      to: { type: 'room', id: residentRoom },
      text: '您的工单已受理',
      kind: 'update',
    })
    const sender = senderWith({})
    for (let i = 0; i < 4; i++) await sender.sendNext()
    expect(transport.delivered.map((d) => d.text)).toEqual([
      '【紧急】3号楼冒烟',
      '【新工单】楼道灯不亮',
      '您的工单已受理',
      '停水通知 0',
    ])
    const alert = await OutboxModel.findOne({ key: 'case:c2:alert' }).lean()
    expect(alert?.lane).toBe('urgent')
    expect((await OutboxModel.findOne({ key: 'notice:water:7' }).lean())?.lane).toBe('bulk')
  })

  it('keeps the reserve of the daily budget for replies when the broadcast has used its share', async () => {
    await broadcast()
    // 10 a day, 20% kept for replies: the broadcast stops at 8.
    const sender = senderWith({ dailyBudget: 10, replyReservePercent: 20 })
    const results: string[] = []
    for (let i = 0; i < 12; i++) results.push(await sender.sendNext())
    expect(results.filter((r) => r === 'sent')).toHaveLength(8)
    expect(results.at(-1)).toBe('budget')
    for (const n of [1, 2, 3]) {
      await outbox.enqueue({
        key: `reply:m${n}:0`,
        to: { type: 'room', id: residentRoom },
        text: `回复${n}`,
        kind: 'reply',
      })
    }
    expect(await sender.sendNext()).toBe('sent')
    expect(await sender.sendNext()).toBe('sent')
    expect(await sender.sendNext()).toBe('budget') // the whole day's budget is used now
    expect(transport.delivered.slice(-2).map((d) => d.text)).toEqual(['回复1', '回复2'])
    expect(await sender.usage()).toEqual({ sentToday: 10, budget: 10 })
  })

  it('while a broadcast goes out at its pace, sends a reply at the shorter reply spacing', async () => {
    await broadcast()
    // 600 a minute: replies 100 ms apart; the broadcast at 50% of that, 200 ms apart.
    const sender = senderWith({ perMinute: 600, bulkPercent: 50, replyReservePercent: 20 })
    await sender.start()
    await eventually(() => transport.delivered.length >= 4)
    const queuedAt = Date.now()
    await outbox.enqueue({
      key: 'reply:m9:0',
      to: { type: 'room', id: residentRoom },
      text: '收到，已为您登记',
      kind: 'reply',
    })
    await eventually(() => transport.delivered.some((d) => d.text === '收到，已为您登记'))
    await eventually(() => transport.delivered.length >= 10)
    await sender.stop()
    const texts = transport.delivered.map((d) => d.text)
    const reply = texts.indexOf('收到，已为您登记')
    const noticesBefore = texts.slice(0, reply).length
    const sentAt = transport.delivered[reply]?.at.getTime() ?? 0
    // At most the notice in flight went between; the reply did not wait a broadcast gap more.
    expect(sentAt - queuedAt).toBeLessThan(400)
    expect(noticesBefore).toBeLessThanOrEqual(6)
    const notices = transport.delivered.filter((d) => d.text.startsWith('停水通知'))
    const gaps = notices.slice(1).map((d, i) => d.at.getTime() - (notices[i]?.at.getTime() ?? 0))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(180)
  })
})
