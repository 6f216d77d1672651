import type { Context, Next } from 'koa'
import { DomainError } from '../../lib/errors.js'

export interface RateLimitOptions {
  /** Requests allowed per window for one key. */
  limit: number
  windowMs: number
  /** The bucket a request counts against; undefined skips limiting for it. */
  keyOf(ctx: Context): string | undefined
  /** Caps memory: the oldest keys are dropped past this many. */
  maxKeys?: number
}

/**
 * A fixed-window limiter kept in memory (per process). Over the limit the caller gets 429 with
 * Retry-After. Used twice: per client IP, and per signed-in user.
 */
export function rateLimit(options: RateLimitOptions) {
  const windows = new Map<string, { start: number; count: number }>()
  const maxKeys = options.maxKeys ?? 50_000
  return async function limitRate(ctx: Context, next: Next): Promise<void> {
    const key = options.keyOf(ctx)
    if (key === undefined) return next()
    const now = Date.now()
    let w = windows.get(key)
    if (!w || now - w.start >= options.windowMs) {
      windows.delete(key)
      w = { start: now, count: 0 }
      windows.set(key, w)
      if (windows.size > maxKeys) windows.delete(windows.keys().next().value as string)
    }
    w.count++
    if (w.count > options.limit) {
      ctx.set('Retry-After', String(Math.ceil((w.start + options.windowMs - now) / 1000)))
      throw new DomainError('RATE_LIMITED', '请求太频繁，请稍后再试')
    }
    await next()
  }
}
