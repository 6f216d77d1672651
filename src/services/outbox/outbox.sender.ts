import { withTimeout } from '../../lib/async.js'
import type { Clock } from '../../lib/clock.js'
import { systemClock } from '../../lib/clock.js'
import type { FieldCrypto } from '../../lib/crypto.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { maskPhone } from '../../lib/mask.js'
import { startOfLocalDay } from '../../lib/time.js'
import { OnceMarkerModel } from '../../models/chat-message.model.js'
import { type OutboxDoc, OutboxModel } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import {
  type ChannelAddress,
  ChannelError,
  type ChannelErrorKind,
  type ChannelName,
} from '../channels/channel.js'
import { type ChannelRegistry, createChannelRegistry } from '../channels/channels.registry.js'
import { routeMessage } from '../channels/channels.route.js'
import { purposeOf } from '../channels/purposes.js'
import { createWechatyChannel, parseWechatyAddress } from '../channels/wechaty-channel.js'
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
  /**
   * The channels to deliver by (src/services/channels): by default the Wechaty channel over
   * `transport` only. A registry passed here should hold a Wechaty channel over the same transport.
   */
  channels?: ChannelRegistry
  /** Decrypts a person's phone for the SMS channel. */
  crypto?: FieldCrypto
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
  /** The message's channels are down or over quota: it waits (no attempt counted). */
  | 'waiting'

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
  /** Calls fn after every send through a channel: delivered, or failed with the error's kind. */
  onChannelAttempt(fn: (attempt: ChannelAttempt) => void): void
  /** The channels it delivers by. */
  readonly channels: ChannelRegistry
}

/** One send through one channel. */
export interface ChannelAttempt {
  channel: ChannelName
  outcome: 'sent' | 'failed'
  kind?: ChannelErrorKind
}

/** The outcomes of an attempt to deliver one message. */
export type AttemptResult = Extract<SendResult, 'sent' | 'retry' | 'failed' | 'undeliverable'>
const ATTEMPTS: ReadonlySet<SendResult> = new Set(['sent', 'retry', 'failed', 'undeliverable'])

export { startOfLocalDay }

/** A due message and the lane it waits in. */
interface Due {
  msg: OutboxDoc
  lane: OutboxLane
  /** The channel a send was tried by in this step (set once the message is marked `sending`). */
  tried?: ChannelName
}

/** One step of the sender: its result, the lane it used and the channel it tried. */
interface StepOutcome {
  result: SendResult
  lane?: OutboxLane
  channel?: ChannelName
}

/**
 * Messages the bot account itself carried: delivered by Wechaty, or sent before the channel layer
 * recorded `deliveredVia` (the bot was the only channel then). The account's pace and daily budget
 * count only these; the other channels have their own (`channels.limits`).
 */
const BY_THE_BOT = { 'deliveredVia.channel': { $in: ['wechaty', null] } }

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
  const channels =
    o.channels ??
    createChannelRegistry({ channels: [createWechatyChannel(o.transport)], timezone: o.timezone })
  const channelListeners: Array<(attempt: ChannelAttempt) => void> = []
  let running = false
  let loop: Promise<void> | undefined
  let wake: (() => void) | undefined

  async function sentSince(since: Date): Promise<number> {
    return OutboxModel.countDocuments({
      account: o.account,
      status: 'sent',
      sentAt: { $gte: since },
      ...BY_THE_BOT,
    })
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

  /** A person's phone is shown masked wherever the outbox records where a message went. */
  function shownAddress(to: ChannelAddress): string {
    return to.channel === 'sms' ? maskPhone(to.id) : to.id
  }

  /**
   * Delivers one due message through the first usable channel of its route (channels.route.ts).
   * The message is marked `sending` (with the channel) before the send and `sent` after, so a crash
   * in between leaves it `sending` and it becomes `sent_unknown`: never sent twice. A failover is
   * recorded (the channel pushed to `channelsDone`, conditional on the message still being
   * `sending`) before any other channel is tried.
   */
  async function deliver(due: Due): Promise<SendResult> {
    const { msg } = due
    const now = o.clock.now()
    const purpose = purposeOf(msg)
    const route = await routeMessage({
      to: msg.to,
      purpose,
      registry: channels,
      done: msg.channelsDone ?? [],
      now,
      crypto: o.crypto,
    })
    if ('reason' in route) {
      await OutboxModel.updateOne(
        { _id: msg._id },
        {
          $set: { status: 'undeliverable', attempts: msg.attempts + 1, lastError: route.reason },
          $unset: { pendingLane: 1 },
        },
      )
      return 'undeliverable'
    }
    const target = route.usable[0]
    if (!target) {
      if (route.waiting.length === 0) {
        // Every channel that could reach the recipient was tried and given up.
        await OutboxModel.updateOne(
          { _id: msg._id },
          { $set: { status: 'failed' }, $unset: { pendingLane: 1 } },
        )
        return 'failed'
      }
      // The recipient's channels are down or over quota: wait for them (no attempt counted).
      const notBefore = new Date(now.getTime() + Math.max(o.retryBaseMs ?? 2000, idleMs))
      const why = route.waiting.map((w) => `${w.address.channel}:${w.why}`).join(', ')
      await OutboxModel.updateOne({ _id: msg._id, status: 'queued' }, { $set: { notBefore } })
      o.logger.info({ outboxId: msg._id.toString(), waiting: why }, 'outbox message waits for a channel')
      return 'waiting'
    }
    const attempts = msg.attempts + 1
    // Claimed as today: the conditional update under the account's lease (one sender at a time),
    // which also takes the message out of its lane (a retry puts it back in the same write).
    const claimed = await OutboxModel.updateOne(
      { _id: msg._id, status: 'queued' },
      {
        $set: { status: 'sending', attempts, sendingVia: { channel: target.channel, at: now } },
        $unset: { pendingLane: 1 },
      },
    )
    if (claimed.modifiedCount === 0) return 'idle' // taken or finished meanwhile
    due.tried = target.channel
    const channel = channels.get(target.channel)
    let providerMessageId: string | undefined
    try {
      if (!channel) throw new ChannelError('unavailable', `channel ${target.channel} not configured`)
      const res = await withTimeout(
        channel.send(target, { key: msg.key, purpose, text: msg.text, refs: refsOf(msg) }),
        o.sendTimeoutMs ?? 30_000,
        `from ${target.channel}`,
      )
      providerMessageId = res.providerMessageId
    } catch (err) {
      return recordFailure(due, attempts, target, err)
    }
    const sentAt = o.clock.now()
    const deliveredVia = {
      channel: target.channel,
      address: shownAddress(target),
      at: sentAt,
      ...(providerMessageId ? { providerMessageId } : {}),
    }
    await OutboxModel.updateOne(
      { _id: msg._id },
      { $set: { status: 'sent', sentAt, deliveredVia }, $unset: { lastError: 1 } },
    )
    if (today && target.channel === 'wechaty') today.sent++
    for (const fn of channelListeners) fn({ channel: target.channel, outcome: 'sent' })
    const wechaty = target.channel === 'wechaty' ? parseWechatyAddress(target.id) : undefined
    if (wechaty) await logSent(msg, wechaty, sentAt)
    return 'sent'
  }

  function refsOf(msg: OutboxDoc) {
    const refs = msg.refs ?? {}
    return {
      caseNumber: refs.caseNumber ?? undefined,
      noticeId: refs.noticeId ?? undefined,
      eventId: refs.eventId ?? undefined,
    }
  }

  /**
   * What a failed send leads to, by the error's kind: `rate_limited` retries the same channel later;
   * `unavailable` retries it up to `unavailableTries` times; those, `quota_exhausted`, `auth`,
   * `recipient` and `rejected` (never retried as is: SMS without a template for it, a card too long)
   * then move to the next channel (at once), or wait for one that is down. A message with no
   * channel left fails. Retries on one channel stop at `maxAttempts`.
   */
  async function recordFailure(
    { msg, lane }: Due,
    attempts: number,
    target: ChannelAddress,
    err: unknown,
  ): Promise<SendResult> {
    const error =
      err instanceof ChannelError
        ? err
        : new ChannelError('unavailable', err instanceof Error ? err.message : String(err))
    const lastError = error.message.slice(0, 300)
    const now = o.clock.now()
    const entry = {
      channel: target.channel,
      kind: error.kind,
      at: now,
      ...(error.providerCode !== undefined ? { code: String(error.providerCode) } : {}),
    }
    for (const fn of channelListeners) fn({ channel: target.channel, outcome: 'failed', kind: error.kind })
    const log = [...(msg.attemptsLog ?? []), entry]
    const unavailableHere = log.filter((l) => l.channel === target.channel && l.kind === 'unavailable').length
    const retrySame =
      attempts < limits.maxAttempts &&
      (error.kind === 'rate_limited' ||
        (error.kind === 'unavailable' && unavailableHere < channels.unavailableTries))
    const moveOn = !retrySame && error.kind !== 'rate_limited' && (await hasNext(msg, target))
    let result: SendResult
    if (retrySame) {
      const delay = Math.min((o.retryBaseMs ?? 2000) * 2 ** (attempts - 1), 30 * 60_000)
      const notBefore = new Date(now.getTime() + delay)
      await OutboxModel.updateOne(
        { _id: msg._id, status: 'sending' },
        {
          $set: { status: 'queued', pendingLane: lane, lastError, notBefore },
          $push: { attemptsLog: entry },
        },
      )
      result = 'retry'
    } else if (moveOn) {
      // The failover is recorded before the next channel is tried: a crash after this line sends
      // by the next channel once; a crash before it leaves the message `sending` (→ sent_unknown).
      await OutboxModel.updateOne(
        { _id: msg._id, status: 'sending', 'sendingVia.channel': target.channel },
        {
          $set: { status: 'queued', pendingLane: lane, lastError, notBefore: now },
          $push: { attemptsLog: entry, channelsDone: target.channel },
        },
      )
      result = 'retry'
    } else {
      await OutboxModel.updateOne(
        { _id: msg._id, status: 'sending' },
        { $set: { status: 'failed', lastError }, $push: { attemptsLog: entry } },
      )
      result = 'failed'
    }
    o.logger.warn(
      {
        outboxId: msg._id.toString(),
        key: msg.key,
        lane,
        attempts,
        channel: target.channel,
        kind: error.kind,
        code: error.providerCode,
        result: moveOn ? 'failover' : result,
        err: lastError,
      },
      'outbox send failed',
    )
    return result
  }

  /** Whether another channel than `target`'s could still carry the message (now or later). */
  async function hasNext(msg: OutboxDoc, target: ChannelAddress): Promise<boolean> {
    const route = await routeMessage({
      to: msg.to,
      purpose: purposeOf(msg),
      registry: channels,
      done: [...(msg.channelsDone ?? []), target.channel],
      now: o.clock.now(),
      crypto: o.crypto,
    })
    return !('reason' in route) && route.usable.length + route.waiting.length > 0
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
   * The oldest due queued message of the highest of `lanes` that has one, found by the messages'
   * lane markers (`pendingLane`). A lane is read only when every higher one has nothing due, so a
   * reply is found without reading a waiting broadcast.
   */
  async function nextDue(lanes: readonly OutboxLane[]): Promise<Due | undefined> {
    const now = o.clock.now()
    for (const lane of lanes) {
      for (;;) {
        const head = await heads.next(lane, now)
        if (!head) break
        const msg = await OutboxModel.findById(head._id).lean<OutboxDoc>()
        if (!msg) continue
        if (msg.status !== 'queued') {
          // Taken or finished since the lane was read; a marker left on it (never written so) goes.
          if (msg.pendingLane)
            await OutboxModel.updateOne({ _id: msg._id, status: msg.status }, { $unset: { pendingLane: 1 } })
          continue
        }
        // Backed off since the lane was read (a long lane is read from memory): not due yet.
        if (msg.notBefore.getTime() <= now.getTime()) return { msg, lane }
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
  async function step(lanes: readonly OutboxLane[]): Promise<StepOutcome> {
    // Offline when no channel is up (with Wechaty only: while the bot is logged out).
    if (channels.all().every((c) => c.health().state === 'down')) return { result: 'offline' }
    const body = async (): Promise<StepOutcome> => {
      const open = await withinBudget(lanes)
      if (open.length === 0) return { result: 'budget' }
      const due = await nextDue(open)
      if (!due) return { result: open.length < lanes.length ? 'budget' : 'idle' }
      const result = await deliver(due)
      return { result, lane: due.lane, channel: due.tried }
    }
    // One sender per account: a short lease renewed while held; a dead holder on this host is
    // recognised at once, so a restart after a crash does not wait for its lease to run out.
    let out: StepOutcome
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
    const last = await OutboxModel.findOne({ account: o.account, status: 'sent', ...BY_THE_BOT })
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
    if (result === 'undeliverable' || result === 'waiting') return now
    if (result === 'budget' && !replyBudgetLeft) return now + 60_000
    const gate = pacer.open(now)
    if (gate.lanes.length === 0) return gate.nextOpenAt
    if (result === 'sent' || result === 'retry' || result === 'failed') return now
    return Math.min(now + idleMs, gate.nextOpenAt)
  }

  /** A step of the loop: under the loop's lease (taken when free), errors logged. */
  async function loopStep(lanes: readonly OutboxLane[]): Promise<StepOutcome> {
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
      const { result, lane, channel } = await loopStep(gate.lanes)
      // The account's pace counts what the bot itself sent (or tried to); other channels have their own.
      const reachedWeChat = result === 'sent' || result === 'retry' || result === 'failed'
      if (lane && reachedWeChat && channel === 'wechaty') pacer.record(lane, Date.now())
      const replyBudgetLeft = today === undefined || lanesWithinDailyBudget(limits, today.sent).length > 0
      lookAt = nextLook(result, replyBudgetLeft)
    }
  }

  return {
    async start() {
      if (running) return
      await recoverStuck()
      // Under the account's lease, so no other sender claims a message while its marker is written.
      const checked = await withLease(leaseKey, SENDER_LEASE_MS, () => reconcilePending(o.account))
      const restored = checked.ran ? checked.value : 0
      if (restored > 0) o.logger.warn({ restored }, 'queued outbox messages given their lane marker')
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
    onChannelAttempt(fn) {
      channelListeners.push(fn)
    },
    channels,
  }
}
