import { withTimeout } from '../../lib/async.js'
import type { Clock } from '../../lib/clock.js'
import { systemClock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { startOfLocalDay } from '../../lib/time.js'
import { OnceMarkerModel } from '../../models/chat-message.model.js'
import { type OutboxDoc, OutboxModel, OutboxPendingModels } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import type { Conversations } from '../conversations/conversation.service.js'
import type { ChatTransport } from './chat-transport.js'
import { OUTBOX_LANES, type OutboxLane } from './outbox.lanes.js'
import { createPacer, lanesWithinDailyBudget, type OutboxLimits } from './outbox.pacing.js'
import { type Outbox, reconcilePending } from './outbox.service.js'
import { createPendingHeads } from './pending-heads.js'
import { type Lease, takeLease, withLease } from './sender-lease.js'

export type { ChatTransport }

/** How long the sender's lease lasts without a heartbeat (a crashed holder on another host). */
const SENDER_LEASE_MS = 15_000

export interface OutboxSenderOptions {
  /** Pace, budgets and the share reserved for replies (config `outbox`). */
  limits: OutboxLimits
  timezone: string
  logger: Logger
  transport: ChatTransport
  /** The queue, for the sender's own messages (the daily-budget warning to admins). */
  outbox: Outbox
  /** The conversation log, where each sent message is recorded. */
  conversations?: Pick<Conversations, 'logOutbound'>
  clock?: Clock
  account?: string
  /** First retry delay; doubles each attempt (capped at 30 minutes). */
  retryBaseMs?: number
  /** A message left `sending` longer than this (a crash mid-send) becomes `sent_unknown`. */
  sendingTimeoutMs?: number
  /** How often to look for new messages when nothing is due (the longest a reply waits for a look). */
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
  /** Sends at most one due message now, the highest lane's first, ignoring the pace (tests, tools). */
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

/** A due message and the lane it waits in. */
interface Due {
  msg: OutboxDoc
  lane: OutboxLane
}

/**
 * Drains the outbox for one bot account: always the next due message of the highest lane (replies ›
 * urgent alerts › task notices › reminders and broadcasts), each lane at its share of `perMinute`
 * with random jitter, within a daily budget of which replies and urgent alerts keep a reserve,
 * retrying with exponential back-off. Only one sender per account works at a time (a lease taken
 * by a unique insert, held by the running loop, per step for `sendNext`). Each message is marked `sending` before the call and `sent`
 * after; a crash in between leaves it `sending`, and at start it becomes `sent_unknown`:
 * at-most-once, never a deliberate repeat.
 */
export function createOutboxSender(options: OutboxSenderOptions): OutboxSender {
  const o = { ...options, clock: options.clock ?? systemClock, account: options.account ?? 'default' }
  const limits = o.limits
  const idleMs = o.idleMs ?? 1000
  const pacer = createPacer(limits)
  const heads = createPendingHeads(o.account)
  let running = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined

  async function sentSince(since: Date): Promise<number> {
    return OutboxModel.countDocuments({ account: o.account, status: 'sent', sentAt: { $gte: since } })
  }

  async function warnBudget(sentToday: number): Promise<void> {
    const day = startOfLocalDay(o.clock.now(), o.timezone).toISOString().slice(0, 10)
    const marker = `budget-warning:${o.account}:${day}`
    if (await OnceMarkerModel.exists({ _id: marker })) return
    const admins = await ResidentModel.find({ roles: 'admin', 'wechat.contactId': { $exists: true } }).lean()
    const reserve = limits.replyReservePercent
    const text =
      reserve > 0
        ? `提醒：机器人账号今天已发送 ${sentToday} 条消息，达到每日额度 ${limits.dailyBudget} 的 80%。最后 ${reserve}% 的额度只留给对话回复和紧急提醒，其他消息会顺延到明天发送。`
        : `提醒：机器人账号今天已发送 ${sentToday} 条消息，达到每日额度 ${limits.dailyBudget} 的 80%。超出额度后消息会顺延到明天发送。`
    await o.outbox.enqueueMany(
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

  /** The lanes among `lanes` whose share of today's budget is left (warning the admins at 80%). */
  async function withinBudget(lanes: readonly OutboxLane[]): Promise<OutboxLane[]> {
    const sentToday = await sentTodayCount()
    const open = lanesWithinDailyBudget(limits, sentToday)
    if (open.length > 0 && sentToday >= limits.dailyBudget * 0.8) await warnBudget(sentToday)
    return lanes.filter((lane) => open.includes(lane))
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

  async function deliver({ msg, lane }: Due): Promise<SendResult> {
    const attempts = msg.attempts + 1
    const pending = OutboxPendingModels[lane]
    await OutboxModel.updateOne({ _id: msg._id }, { $set: { status: 'sending', attempts } })
    const to = await recipient(msg)
    if (typeof to === 'string') {
      await OutboxModel.updateOne({ _id: msg._id }, { $set: { status: 'undeliverable', lastError: to } })
      await pending.deleteOne({ _id: msg._id })
      return 'undeliverable'
    }
    try {
      const send =
        to.type === 'room'
          ? o.transport.sendToRoom(to.id, msg.text)
          : o.transport.sendToContact(to.id, msg.text)
      await withTimeout(send, o.sendTimeoutMs ?? 30_000, 'from WeChat')
    } catch (err) {
      return recordFailure({ msg, lane }, attempts, err)
    }
    const sentAt = o.clock.now()
    await OutboxModel.updateOne(
      { _id: msg._id },
      { $set: { status: 'sent', sentAt }, $unset: { lastError: 1 } },
    )
    await pending.deleteOne({ _id: msg._id })
    if (today) today.sent++
    await logSent(msg, to, sentAt)
    return 'sent'
  }

  async function recordFailure({ msg, lane }: Due, attempts: number, err: unknown): Promise<SendResult> {
    const lastError = (err instanceof Error ? err.message : String(err)).slice(0, 300)
    const final = attempts >= limits.maxAttempts
    const delay = Math.min((o.retryBaseMs ?? 2000) * 2 ** (attempts - 1), 30 * 60_000)
    const notBefore = new Date(o.clock.now().getTime() + delay)
    await OutboxModel.updateOne(
      { _id: msg._id },
      { $set: final ? { status: 'failed', lastError } : { status: 'queued', lastError, notBefore } },
    )
    const pending = OutboxPendingModels[lane]
    if (final) await pending.deleteOne({ _id: msg._id })
    else await pending.updateOne({ _id: msg._id }, { $set: { notBefore } })
    o.logger.warn(
      { outboxId: msg._id.toString(), key: msg.key, lane, attempts, final, err: lastError },
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

  /**
   * The oldest due queued message of the highest of `lanes` that has one, found through the lanes'
   * indexes (entries of finished messages are dropped on the way). A lane is read only when every
   * higher one has nothing due, so a reply is found without reading a waiting broadcast.
   */
  async function nextDue(lanes: readonly OutboxLane[]): Promise<Due | undefined> {
    const now = o.clock.now()
    for (const lane of lanes) {
      const pending = OutboxPendingModels[lane]
      for (;;) {
        const head = await heads.next(lane, now)
        if (!head) break
        const msg = await OutboxModel.findById(head._id).lean<OutboxDoc>()
        if (msg?.status !== 'queued') {
          await pending.deleteOne({ _id: head._id })
          continue
        }
        if (msg.notBefore.getTime() <= now.getTime()) return { msg, lane }
        // Backed off since the lane was read (or the index lags behind a retry): not due yet.
        await pending.updateOne({ _id: head._id }, { $set: { notBefore: msg.notBefore } })
      }
    }
    return undefined
  }

  const attemptListeners: Array<(result: AttemptResult) => void> = []

  const leaseKey = `outbox-sender:${o.account}`
  /** The lease the running loop holds from step to step, renewed by a heartbeat; undefined when not held. */
  let held: { lease: Lease; heartbeat: NodeJS.Timeout } | undefined

  /**
   * Takes the account's lease for the loop, or keeps it: one insert when it starts sending, not two
   * writes a message (or a look). Lost when a renewal finds another holder (ours ran out).
   */
  async function holdLease(): Promise<boolean> {
    if (held) return true
    const lease = await takeLease(leaseKey, SENDER_LEASE_MS)
    if (!lease) return false
    const heartbeat = setInterval(() => {
      void lease.renew().then(
        (kept) => {
          if (!kept && held?.lease === lease) {
            clearInterval(heartbeat)
            held = undefined
            o.logger.warn({ account: o.account }, 'outbox sender lease lost; taking it again when free')
          }
        },
        () => undefined,
      )
    }, SENDER_LEASE_MS / 3)
    heartbeat.unref()
    held = { lease, heartbeat }
    return true
  }

  async function releaseLease(): Promise<void> {
    if (!held) return
    const { lease, heartbeat } = held
    clearInterval(heartbeat)
    held = undefined
    await lease.release().catch((err: unknown) => o.logger.warn({ err }, 'outbox sender lease not released'))
  }

  /**
   * One step within `lanes` (those the pace lets through): the result, and the lane it used. Under
   * the loop's lease when held; otherwise (sendNext) under a lease taken for this step only.
   */
  async function step(lanes: readonly OutboxLane[]): Promise<{ result: SendResult; lane?: OutboxLane }> {
    if (!o.transport.self()) return { result: 'offline' }
    const body = async (): Promise<{ result: SendResult; lane?: OutboxLane }> => {
      const open = await withinBudget(lanes)
      if (open.length === 0) return { result: 'budget' }
      const due = await nextDue(open)
      if (!due) return { result: open.length < lanes.length ? 'budget' : 'idle' }
      return { result: await deliver(due), lane: due.lane }
    }
    // One sender per account: a short lease renewed while held; a dead holder on this host is
    // recognised at once, so a restart after a crash does not wait for its lease to run out.
    let out: { result: SendResult; lane?: OutboxLane }
    if (held) out = await body()
    else {
      const ran = await withLease(leaseKey, SENDER_LEASE_MS, body)
      out = ran.ran ? ran.value : { result: 'busy' }
    }
    if (ATTEMPTS.has(out.result)) for (const fn of attemptListeners) fn(out.result as AttemptResult)
    return out
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
    if (last?.sentAt) pacer.seed(last.sentAt.getTime())
  }

  /** Sleeps until `at` (ms epoch) or until stop() wakes the loop. */
  function sleepUntil(at: number): Promise<void> {
    const ms = at - Date.now()
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /**
   * When to look again after a step with `result`: when the first lane opens after a send (the
   * reply lane, normally), at once after an undeliverable one, in a minute when even replies are out
   * of today's budget, else after `idleMs` (or sooner, when a lane opens sooner).
   */
  function nextLook(result: SendResult, replyBudgetLeft: boolean): number {
    const now = Date.now()
    if (result === 'undeliverable') return now
    if (result === 'budget' && !replyBudgetLeft) return now + 60_000
    const gate = pacer.open(now)
    if (gate.lanes.length === 0) return gate.nextOpenAt
    if (result === 'sent' || result === 'retry' || result === 'failed') return now
    return Math.min(now + idleMs, gate.nextOpenAt)
  }

  /** A step of the loop: under the loop's lease (taken when free), errors logged. */
  async function loopStep(lanes: readonly OutboxLane[]): Promise<{ result: SendResult; lane?: OutboxLane }> {
    try {
      if (!(await holdLease())) return { result: 'busy' }
      return await step(lanes)
    } catch (err) {
      o.logger.error({ err }, 'outbox sender step failed')
      return { result: 'idle' }
    }
  }

  async function run(): Promise<void> {
    let lookAt = 0
    while (running) {
      await sleepUntil(lookAt)
      if (!running) break
      const gate = pacer.open(Date.now())
      if (gate.lanes.length === 0) {
        lookAt = gate.nextOpenAt
        continue
      }
      const { result, lane } = await loopStep(gate.lanes)
      const reachedWeChat = result === 'sent' || result === 'retry' || result === 'failed'
      if (lane && reachedWeChat) pacer.record(lane, Date.now())
      const replyBudgetLeft = today === undefined || lanesWithinDailyBudget(limits, today.sent).length > 0
      lookAt = nextLook(result, replyBudgetLeft)
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
      wake?.()
      await loop
      await releaseLease()
    },
    async sendNext() {
      return (await step(OUTBOX_LANES)).result
    },
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
