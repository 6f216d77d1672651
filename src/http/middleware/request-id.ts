import { randomUUID } from 'node:crypto'
import type { Context, Next } from 'koa'
import type { Logger } from '../../lib/logger.js'

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/

/** Gives every request an id (the caller's X-Request-Id when sane) and logs one line when it ends. */
export function requestIdMiddleware(logger: Logger) {
  return async function requestId(ctx: Context, next: Next): Promise<void> {
    const given = ctx.get('x-request-id')
    const reqId = SAFE_ID.test(given) ? given : randomUUID()
    ctx.state.reqId = reqId
    ctx.set('X-Request-Id', reqId)
    const started = process.hrtime.bigint()
    try {
      await next()
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      logger.info(
        { reqId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 },
        'request',
      )
    }
  }
}
