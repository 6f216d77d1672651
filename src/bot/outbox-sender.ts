import { sleep, withTimeout } from '../lib/async.js'
import type { Clock } from '../lib/clock.js'
import { systemClock } from '../lib/clock.js'
import type { Config } from '../lib/config.js'
import { isDuplicateKeyError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { startOfLocalDay } from '../lib/time.js'
import { OnceMarkerModel } from '../models/chat-message.model.js'
import { type OutboxDoc, OutboxModel, OutboxPendingModel } from '../models/outbox.model.js'
import { ResidentModel } from '../models/registry.model.js'
import type { Conversations } from '../services/conversations/conversation.service.js'
import { createOutbox, reconcilePending } from '../services/outbox/outbox.service.js'
import { withLease } from './sender-lease.js'

/** How long the sender's lease lasts without a heartbeat (a crashed holder on another host). */
const SENDER_LEASE_MS = 15_000

/** Where the sender delivers: Wechaty in production, the same through the mock puppet in tests. */
export interface ChatTransport {
  sendToRoom(roomId: string, text: string): Promise<void>
  sendToContact(contactId: string, text: string): Promise<void>
  /** The logged-in account, for the conversation log; undefined while logged out. */
  self(): { contactId: string; name: string } | undefined
}

export interface OutboxSenderOptions {
  outbox: Config['outbox']
  timezone: string
  logger: Logger
  transport: ChatTransport
  conversations?: Conversations
  clock?: Clock
  account?: string
  /** First retry delay; doubles each attempt (capped at 30 minutes). */
  retryBaseMs?: number
  /** A message left `sending` longer than this (a crash mid-send) becomes `sent_unknown`. */
  sendingTimeoutMs?: number
  /** How long to wait when nothing is due. */
  idleMs?: number
  sendTimeoutMs?: number
}

export type SendResult =
  | 'sent'
  | 'retry'
  | 'failed'
  | 'undeliverable'
  | 'idle'
  | 'busy'
  | 'budget'
  | 'offline'

export interface OutboxSender {
  /** Starts draining in the background (recovering stuck messages first). */
  start(): Promise<void>
  /** Stops after the message in flight, if any. */
  stop(): Promise<void>
  /** Sends at most one due message now, ignoring the pace (tests, and the loop's step). */
  sendNext(): Promise<SendResult>
  /** Marks messages stuck in `sending` as `sent_unknown`; returns how many. */
  recoverStuck(): Promise<number>
  /** Messages sent today (in the configured time zone) and the daily budget. */
  usage(): Promise<{ sentToday: number; budget: number }>
  /** Calls fn with the outcome of every delivery attempt (sent, retry, failed, undeliverable): metrics. */
  onAttempt(fn: (result: AttemptResult) => void): void
}

/** The outcomes of an attempt to deliver one message. */
export type AttemptResult = Extract<SendResult, 'sent' | 'retry' | 'failed' | 'undeliverable'>
const ATTEMPTS: ReadonlySet<SendResult> = new Set(['sent', 'retry', 'failed', 'undeliverable'])

export { startOfLocalDay }

/**
 * Drains the outbox for one bot account: oldest due message first, at `perMinute` with random jitter,
 * within a daily budget, retrying with exponential back-off. Only one sender per account works at a
 * time (a lease per message, taken by a unique insert). Each message is marked `sending` before the
 * call and `sent` after; a crash in between leaves it `sending`, and at start it becomes
 * `sent_unknown`: at-most-once, never a deliberate repeat.
 */
export function createOutboxSender(options: OutboxSenderOptions): OutboxSender {
  const o = { ...options, clock: options.clock ?? systemClock, account: options.account ?? 'default' }
  const limits = o.outbox
  const outbox = createOutbox({ clock: o.clock })
  const intervalMs = 60_000 / limits.perMinute
  let running = false
  let loop: Promise<void> | undefined
  let nextAt = 0

  async function sentSince(since: Date): Promise<number> {
    return OutboxModel.countDocuments({ account: o.account, status: 'sent', sentAt: { $gte: since } })
  }

  async function warnBudget(sentToday: number): Promise<void> {
    const day = startOfLocalDay(o.clock.now(), o.timezone).toISOString().slice(0, 10)
    const marker = `budget-warning:${o.account}:${day}`
    if (await OnceMarkerModel.exists({ _id: marker })) return
    const admins = await ResidentModel.find({ roles: 'admin', 'wechat.contactId': { $exists: true } }).lean()
    const text = `提醒：机器人账号今天已发送 ${sentToday} 条消息，达到每日额度 ${limits.dailyBudget} 的 80%。超出额度后消息会顺延到明天发送。`
    await outbox.enqueueMany(
      admins.map((a) => ({
        key: `${marker}:${a._id.toString()}`,
        to: { type: 'person' as const, id: a._id.toString() },
        text,
        kind: 'warning',
      })),
    )
    try {
      await OnceMarkerModel.create({ _id: marker, at: o.clock.now() })
    } catch (err) {
      if (isDuplicateKeyError(err)) return
      throw err
    }
    o.logger.warn(
      { account: o.account, sentToday, budget: limits.dailyBudget },
      'outbox daily budget 80% used',
    )
  }

  /** Today's sent count, counted in the database at most once a minute and kept up in between. */
  let today: { day: number; sent: number; countedAt: number } | undefined
  async function sentTodayCount(): Promise<number> {
    const day = startOfLocalDay(o.clock.now(), o.timezone)
    const stale = !today || today.day !== day.getTime() || Date.now() - today.countedAt > 60_000
    if (stale) today = { day: day.getTime(), sent: await sentSince(day), countedAt: Date.now() }
    return today?.sent ?? 0
  }

  async function budgetLeft(): Promise<boolean> {
    const sentToday = await sentTodayCount()
    if (sentToday >= limits.dailyBudget) return false
    if (sentToday >= limits.dailyBudget * 0.8) await warnBudget(sentToday)
    return true
  }

  async function recipient(msg: OutboxDoc): Promise<{ type: 'room' | 'contact'; id: string } | string> {
    const target = msg.to
    if (!target) return '没有收件人'
    if (target.type !== 'person') return { type: target.type, id: target.id }
    const person = /^[0-9a-f]{24}$/.test(target.id) ? await ResidentModel.findById(target.id).lean() : null
    if (!person) return '收件人不存在'
    if (!person.wechat?.contactId) return '该居民没有绑定微信，请网格员电话或上门告知'
    return { type: 'contact', id: person.wechat.contactId }
  }

  async function deliver(msg: OutboxDoc): Promise<SendResult> {
    const attempts = msg.attempts + 1
    await OutboxModel.updateOne({ _id: msg._id }, { $set: { status: 'sending', attempts } })
    const to = await recipient(msg)
    if (typeof to === 'string') {
      await OutboxModel.updateOne({ _id: msg._id }, { $set: { status: 'undeliverable', lastError: to } })
      await OutboxPendingModel.deleteOne({ _id: msg._id })
      return 'undeliverable'
    }
    try {
      const send =
        to.type === 'room'
          ? o.transport.sendToRoom(to.id, msg.text)
          : o.transport.sendToContact(to.id, msg.text)
      await withTimeout(send, o.sendTimeoutMs ?? 30_000, 'from WeChat')
    } catch (err) {
      return recordFailure(msg, attempts, err)
    }
    const sentAt = o.clock.now()
    await OutboxModel.updateOne(
      { _id: msg._id },
      { $set: { status: 'sent', sentAt }, $unset: { lastError: 1 } },
    )
    await OutboxPendingModel.deleteOne({ _id: msg._id })
    if (today) today.sent++
    await logSent(msg, to, sentAt)
    return 'sent'
  }

  async function recordFailure(msg: OutboxDoc, attempts: number, err: unknown): Promise<SendResult> {
    const lastError = (err instanceof Error ? err.message : String(err)).slice(0, 300)
    const final = attempts >= limits.maxAttempts
    const delay = Math.min((o.retryBaseMs ?? 2000) * 2 ** (attempts - 1), 30 * 60_000)
    const notBefore = new Date(o.clock.now().getTime() + delay)
    await OutboxModel.updateOne(
      { _id: msg._id },
      { $set: final ? { status: 'failed', lastError } : { status: 'queued', lastError, notBefore } },
    )
    if (final) await OutboxPendingModel.deleteOne({ _id: msg._id })
    else await OutboxPendingModel.updateOne({ _id: msg._id }, { $set: { notBefore } })
    o.logger.warn(
      { outboxId: msg._id.toString(), key: msg.key, attempts, final, err: lastError },
      'outbox send failed',
    )
    return final ? 'failed' : 'retry'
  }

  async function logSent(msg: OutboxDoc, to: { type: 'room' | 'contact'; id: string }, sentAt: Date) {
    const me = o.transport.self()
    if (!o.conversations || !me) return
    await o.conversations
      .logOutbound({
        messageId: `outbox:${msg._id.toString()}`,
        roomId: to.type === 'room' ? to.id : undefined,
        toContactId: to.type === 'contact' ? to.id : undefined,
        botContactId: me.contactId,
        botName: me.name,
        text: msg.text,
        outboxKey: msg.key,
        sentAt,
      })
      .catch((err: unknown) => o.logger.error({ err }, 'could not log a sent message'))
  }

  /** The oldest due queued message, found through the queue's index (entries of finished ones are dropped). */
  async function nextDue(): Promise<OutboxDoc | undefined> {
    for (;;) {
      const head = await OutboxPendingModel.findOne({
        account: o.account,
        notBefore: { $lte: o.clock.now() },
      })
        .sort({ notBefore: 1, createdAt: 1, _id: 1 })
        .lean()
      if (!head) return undefined
      const msg = await OutboxModel.findById(head._id).lean<OutboxDoc>()
      if (msg?.status === 'queued') return msg
      await OutboxPendingModel.deleteOne({ _id: head._id })
    }
  }

  const attemptListeners: Array<(result: AttemptResult) => void> = []

  async function sendNext(): Promise<SendResult> {
    if (!o.transport.self()) return 'offline'
    // One sender per account: a short lease renewed while held; a dead holder on this host is
    // recognised at once, so a restart after a crash does not wait for its lease to run out.
    const step = await withLease(`outbox-sender:${o.account}`, SENDER_LEASE_MS, async () => {
      if (!(await budgetLeft())) return 'budget' as const
      const msg = await nextDue()
      if (!msg) return 'idle' as const
      return deliver(msg)
    })
    const result = step.ran ? step.value : 'busy'
    if (ATTEMPTS.has(result)) for (const fn of attemptListeners) fn(result as AttemptResult)
    return result
  }

  async function recoverStuck(): Promise<number> {
    const before = new Date(o.clock.now().getTime() - (o.sendingTimeoutMs ?? 120_000))
    const res = await OutboxModel.updateMany(
      { account: o.account, status: 'sending', updatedAt: { $lt: before } },
      { $set: { status: 'sent_unknown', lastError: '发送中断，无法确认是否送达；为避免重复不再重发' } },
    )
    if (res.modifiedCount > 0)
      o.logger.warn({ count: res.modifiedCount }, 'outbox messages marked sent_unknown after a crash')
    return res.modifiedCount
  }

  async function seedPace(): Promise<void> {
    const last = await OutboxModel.findOne({ account: o.account, status: 'sent' })
      .sort({ sentAt: -1 })
      .lean<OutboxDoc>()
    if (last?.sentAt) nextAt = last.sentAt.getTime() + intervalMs
  }

  async function run(): Promise<void> {
    while (running) {
      const wait = nextAt - Date.now()
      if (wait > 0) await sleep(wait)
      if (!running) break
      const result = await sendNext().catch((err: unknown) => {
        o.logger.error({ err }, 'outbox sender step failed')
        return 'idle' as const
      })
      const sentSomething = result === 'sent' || result === 'retry' || result === 'failed'
      const pause = sentSomething
        ? intervalMs + Math.random() * limits.jitterMs
        : result === 'budget'
          ? 60_000
          : (o.idleMs ?? 1000)
      nextAt = Date.now() + pause
    }
  }

  return {
    async start() {
      if (running) return
      await recoverStuck()
      const restored = await reconcilePending(o.account)
      if (restored > 0) o.logger.warn({ restored }, 'queued outbox messages put back into the queue index')
      await seedPace()
      running = true
      loop = run()
    },
    async stop() {
      running = false
      nextAt = 0
      await loop
    },
    sendNext,
    recoverStuck,
    async usage() {
      return {
        sentToday: await sentSince(startOfLocalDay(o.clock.now(), o.timezone)),
        budget: limits.dailyBudget,
      }
    },
    onAttempt(fn) {
      attemptListeners.push(fn)
    },
  }
}
