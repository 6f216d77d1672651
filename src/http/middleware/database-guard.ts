import type { Context, Next } from 'koa'
import { type DatabaseWatch, isDatabaseUnreachable } from '../../lib/db-availability.js'
import { UnavailableError } from '../../lib/errors.js'

export const DATABASE_AWAY_MESSAGE = '数据库暂时无法访问，请稍后再试'

/** Paths answered without the guard: liveness, readiness (reports the database itself), metrics. */
const UNGUARDED = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * While the database is away the API answers 503 UNAVAILABLE at once instead of waiting on it; a
 * request that finds it away mid-way also gets 503 (not a 500) and tells the watch.
 */
export function databaseGuard(watch: DatabaseWatch) {
  return async function guardDatabase(ctx: Context, next: Next): Promise<void> {
    if (UNGUARDED.has(ctx.path)) return next()
    if (!watch.isUp()) throw new UnavailableError(DATABASE_AWAY_MESSAGE)
    try {
      await next()
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err
      watch.reportUnreachable()
      throw new UnavailableError(DATABASE_AWAY_MESSAGE, undefined, { cause: err })
    }
  }
}
