import type { Clock } from '../../lib/clock.js'

/** Limits on LLM use: per asker per hour and for everyone per minute. */
export interface LlmRateLimits {
  perAskerPerHour: number
  globalPerMinute: number
}

/** In-memory token buckets; over the limit the caller answers extractively instead of asking the LLM. */
export interface RateLimiter {
  /** Takes one token from the global bucket and the asker's; false (nothing taken) when either is empty. */
  tryTake(askerId?: string): boolean
}

interface Bucket {
  tokens: number
  at: number
}

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
const MAX_TRACKED_ASKERS = 10_000

/** Token buckets refilled continuously: capacity N, refilled N per period. */
export function createRateLimiter(limits: LlmRateLimits, clock: Clock): RateLimiter {
  const global: Bucket = { tokens: limits.globalPerMinute, at: clock.now().getTime() }
  const askers = new Map<string, Bucket>()
  const refill = (b: Bucket, capacity: number, periodMs: number, now: number) => {
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) * capacity) / periodMs)
    b.at = now
  }
  return {
    tryTake(askerId) {
      const now = clock.now().getTime()
      refill(global, limits.globalPerMinute, MINUTE_MS, now)
      let own: Bucket | undefined
      if (askerId) {
        own = askers.get(askerId) ?? { tokens: limits.perAskerPerHour, at: now }
        refill(own, limits.perAskerPerHour, HOUR_MS, now)
        if (askers.size >= MAX_TRACKED_ASKERS && !askers.has(askerId))
          askers.delete(askers.keys().next().value as string)
        askers.set(askerId, own)
      }
      if (global.tokens < 1 || (own && own.tokens < 1)) return false
      global.tokens -= 1
      if (own) own.tokens -= 1
      return true
    },
  }
}
