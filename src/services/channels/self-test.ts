import { randomBytes } from 'node:crypto'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import { SelfTestProbeModel } from '../../models/bot-account.model.js'
import type { ChatTransport } from '../outbox/chat-transport.js'

/**
 * A bot account's self-test (issue 15): a logged-in account can still be silently throttled or
 * banned — it sends, WeChat accepts, nobody receives. So every interval each account sends a probe
 * with a fresh nonce to a known contact (another account of the pool, or a watch account), whose bot
 * sends a receipt back. A probe not back within the timeout marks the account `down`.
 */
export const PROBE_PREFIX = '【邻里自检】'
export const RECEIPT_PREFIX = '【邻里自检回执】'
const NONCE = /^[0-9a-f]{16}$/

export interface SelfTestVerdict {
  state: 'ok' | 'failed' | 'pending' | 'off'
  /** When the verdict was reached: the receipt's arrival, the send error, the timeout. */
  at?: Date
  /** Chinese, for the console and alerts. */
  detail?: string
}

interface Probe {
  nonce: string
  sentAt: Date
  returnedAt?: Date
  sendError?: string
}

export interface SelfTest {
  readonly account: string
  /** Sends one probe now (when logged in and the contact is known and reachable). */
  runOnce(): Promise<void>
  /** The verdict of the last probe that came back, failed or timed out. */
  verdict(): SelfTestVerdict
  /** Called when this account's receipt for `nonce` arrived. */
  returned(nonce: string, at: Date): boolean
  start(): void
  stop(): Promise<void>
}

export interface SelfTestOptions {
  account: string
  transport: ChatTransport
  /** The probe's contact id now; undefined: no probe (none configured, or the peer is logged out). */
  contact: () => string | undefined
  clock: Clock
  intervalMs: number
  timeoutMs: number
  /** The first probe after start; default the interval or one minute, whichever is shorter. */
  firstDelayMs?: number
  logger: Logger
}

export function createSelfTest(o: SelfTestOptions): SelfTest {
  let last: Probe | undefined
  let settled: SelfTestVerdict = { state: 'pending' }
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  const minutes = Math.max(1, Math.round(o.timeoutMs / 60_000))

  function verdictOf(p: Probe, now: Date): SelfTestVerdict | undefined {
    if (p.returnedAt) return { state: 'ok', at: p.returnedAt }
    if (p.sendError) return { state: 'failed', at: p.sentAt, detail: '自检消息发不出去' }
    if (now.getTime() - p.sentAt.getTime() > o.timeoutMs) {
      return {
        state: 'failed',
        at: new Date(p.sentAt.getTime() + o.timeoutMs),
        detail: `自检消息${minutes}分钟未返回，账号可能被限制或封禁`,
      }
    }
    return undefined
  }

  async function probe(): Promise<void> {
    const to = o.contact()
    const now = o.clock.now()
    if (!to || !o.transport.self()) return
    // One probe at a time: the next goes once the last came back or timed out.
    if (last) {
      const done = verdictOf(last, now)
      if (!done) return
      settled = done
    }
    const p: Probe = { nonce: randomBytes(8).toString('hex'), sentAt: now }
    // Recorded first: the peer echoes only probes it finds here.
    await SelfTestProbeModel.create({ _id: p.nonce, account: o.account, to, sentAt: p.sentAt })
    last = p
    try {
      await o.transport.sendToContact(to, `${PROBE_PREFIX}${p.nonce}`)
    } catch (err) {
      p.sendError = err instanceof Error ? err.message : String(err)
      await SelfTestProbeModel.updateOne({ _id: p.nonce }, { $set: { sendError: p.sendError } })
    }
  }

  function verdict(): SelfTestVerdict {
    if (!last) return settled
    return verdictOf(last, o.clock.now()) ?? settled
  }

  async function runOnce(): Promise<void> {
    const run = probe().catch((err: unknown) =>
      o.logger.warn({ err, account: o.account }, 'self-test probe could not be sent'),
    )
    inFlight = run
    await run
  }

  return {
    account: o.account,
    runOnce,
    verdict,
    returned(nonce, at) {
      if (last?.nonce !== nonce || last.returnedAt) return false
      last.returnedAt = at
      return true
    },
    start() {
      if (timer) return
      const first = o.firstDelayMs ?? Math.min(o.intervalMs, 60_000)
      // After a failed probe the next comes within a minute, so a recovered account is seen soon.
      const tick = () => {
        void runOnce()
        const failed = verdict().state === 'failed'
        timer = setTimeout(tick, failed ? Math.min(o.intervalMs, 60_000) : o.intervalMs)
        timer.unref()
      }
      timer = setTimeout(tick, first)
      timer.unref()
    },
    async stop() {
      if (timer) clearTimeout(timer)
      timer = undefined
      await inFlight
    },
  }
}

/**
 * What each bot does with probe text it receives (before it is stored as a resident's message): a
 * probe recorded by the pool is answered with its receipt; a receipt completes its account's probe.
 * Returns true when the text was a self-test message (not stored, not handled); false otherwise,
 * so a stranger typing 【邻里自检】 is an ordinary message.
 */
export async function answerSelfTest(input: {
  text: string
  fromContactId: string
  transport: ChatTransport
  tests: readonly SelfTest[]
  now: Date
}): Promise<boolean> {
  const { text } = input
  const receipt = text.startsWith(RECEIPT_PREFIX)
  if (!receipt && !text.startsWith(PROBE_PREFIX)) return false
  const nonce = text.slice(receipt ? RECEIPT_PREFIX.length : PROBE_PREFIX.length).trim()
  if (!NONCE.test(nonce)) return false
  const probe = await SelfTestProbeModel.findById(nonce).lean()
  if (!probe) return false
  if (!receipt) {
    await input.transport.sendToContact(input.fromContactId, `${RECEIPT_PREFIX}${nonce}`)
    return true
  }
  if (!probe.returnedAt) {
    await SelfTestProbeModel.updateOne({ _id: nonce }, { $set: { returnedAt: input.now } })
  }
  for (const t of input.tests) if (t.account === probe.account) t.returned(nonce, input.now)
  return true
}

/** Probes a week old are deleted (daily retention): the console shows only the latest ones. */
export async function purgeOldProbes(now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 7 * 24 * 3600_000)
  const res = await SelfTestProbeModel.deleteMany({ sentAt: { $lt: cutoff } })
  return res.deletedCount
}
