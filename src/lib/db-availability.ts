import { withTimeout } from './async.js'
import type { Logger } from './logger.js'

const UNREACHABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'DatabaseUnreachableError',
])

/** Thrown by Linli itself when work failed because the database was away (so it is retried). */
export class DatabaseUnreachableError extends Error {
  constructor(message = 'database unreachable') {
    super(message)
    this.name = 'DatabaseUnreachableError'
  }
}

/**
 * True when `err` (or its cause) says the database cannot be reached — as opposed to a query it
 * refused. Such a failure is temporary: the work is retried, and the API answers 503.
 */
export function isDatabaseUnreachable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false
  const e = err as { name?: unknown; message?: unknown; cause?: unknown }
  if (typeof e.name === 'string' && UNREACHABLE_NAMES.has(e.name)) return true
  if (
    typeof e.message === 'string' &&
    /buffering timed out|ECONNREFUSED|connection .*closed/i.test(e.message)
  )
    return true
  return isDatabaseUnreachable(e.cause, depth + 1)
}

export interface RetryOptions {
  /** Give up (rethrow) after this long; default 15 minutes. */
  maxWaitMs?: number
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  baseDelayMs?: number
  maxDelayMs?: number
  logger?: Logger
  /** What is being retried, for the log. */
  what?: string
}

/**
 * Runs fn, and while it fails because the database is unreachable runs it again after a growing
 * pause (the work must be idempotent). Other errors, and an outage longer than `maxWaitMs`, are thrown.
 */
export async function retryWhileUnreachable<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.maxWaitMs ?? 15 * 60_000)
  let delay = options.baseDelayMs ?? 250
  let warned = false
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (!isDatabaseUnreachable(err) || Date.now() > deadline) throw err
      if (!warned)
        options.logger?.warn({ what: options.what }, 'database unreachable; holding the work and retrying')
      warned = true
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(delay * 2, options.maxDelayMs ?? 3000)
    }
  }
}

export interface DatabaseWatch {
  /** False from a failed ping (or a request that found the database unreachable) until a ping succeeds. */
  isUp(): boolean
  /** Tells the watch a request found the database unreachable. */
  reportUnreachable(): void
  stop(): void
}

/**
 * Pings the database every `intervalMs` (each ping bounded by `timeoutMs`) and keeps its last
 * answer, so the API can refuse at once with 503 while it is down instead of waiting on it.
 */
export function watchDatabase(
  ping: () => Promise<void>,
  options: {
    intervalMs?: number
    timeoutMs?: number
    logger?: Logger
    /** Called every `reconnectAfterMs` of an outage: a fresh connection in case the old one is stuck. */
    reconnect?: () => Promise<void>
    reconnectAfterMs?: number
    /**
     * When the database last finished an operation (ms since the epoch). A ping that only timed out
     * while operations keep finishing means a busy server, not a lost one: the API keeps serving and
     * nothing reconnects (a reconnect would kill the queries in flight).
     */
    lastProgressAt?: () => number
  } = {},
): DatabaseWatch {
  let up = true
  let busy = false
  let slow = false
  let downSince = 0
  const timeoutMs = options.timeoutMs ?? 1000
  const intervalMs = options.intervalMs ?? 1000
  const stillWorking = (err: unknown) =>
    !isDatabaseUnreachable(err) &&
    options.lastProgressAt !== undefined &&
    Date.now() - options.lastProgressAt() <= timeoutMs + 2 * intervalMs
  const check = async () => {
    if (busy) return
    busy = true
    try {
      await withTimeout(ping(), timeoutMs)
      if (!up) options.logger?.info('database reachable again')
      up = true
      slow = false
      downSince = 0
    } catch (err) {
      if (up && stillWorking(err)) {
        if (!slow)
          options.logger?.warn('database slow: a ping took over its limit while queries still finish')
        slow = true
        return
      }
      if (up) options.logger?.warn('database unreachable; the API answers 503 until it is back')
      up = false
      downSince ||= Date.now()
      if (options.reconnect && Date.now() - downSince >= (options.reconnectAfterMs ?? 15_000)) {
        downSince = Date.now()
        options.logger?.warn('database still unreachable; opening a fresh connection')
        await withTimeout(options.reconnect(), 10_000).catch(() => undefined)
      }
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void check(), intervalMs)
  timer.unref()
  return {
    isUp: () => up,
    reportUnreachable() {
      up = false
    },
    stop: () => clearInterval(timer),
  }
}
