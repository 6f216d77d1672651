import { bodyParser } from '@koa/bodyparser'
import type Router from '@koa/router'
import Koa from 'koa'
import type { Logger } from '../lib/logger.js'
import { errorMiddleware } from './middleware/errors.js'
import { requestIdMiddleware } from './middleware/request-id.js'

export interface AppOptions {
  logger: Logger
  /** JSON body limit in KiB. */
  bodyLimitKb: number
  routers: Router[]
  /** Middleware run before the routers (authentication, rate limits). */
  middleware?: Koa.Middleware[]
  /** Trust X-Forwarded-For (behind a reverse proxy). */
  proxy?: boolean
  /** The documented methods of a path: the `Allow` header of OPTIONS and 405 answers. */
  allowedMethods?: (path: string) => string[]
}

/** The Koa application: request id, error boundary, body parsing, then the given routers. */
export function createApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: options.proxy ?? false })
  app.silent = true
  app.use(requestIdMiddleware(options.logger))
  app.use(errorMiddleware(options.logger))
  app.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      jsonLimit: `${options.bodyLimitKb}kb`,
      formLimit: `${options.bodyLimitKb}kb`,
      onError: (err, ctx) => {
        const e = err as Error & { status?: number }
        ctx.throw(e.status === 413 ? 413 : 400, e.message)
      },
    }),
  )
  for (const mw of options.middleware ?? []) app.use(mw)
  const allowedMethods = options.allowedMethods
  if (allowedMethods) {
    // The routers match a path by its pattern alone, so `PATCH /events/checkin` would reach
    // `PATCH /events/:id` and `/events/checkin` would advertise PATCH. The document holds parameters
    // to their patterns: a method it does not list for the path is a 405 with the real Allow.
    app.use(async (ctx, next) => {
      const allowed = allowedMethods(ctx.path)
      if (allowed.length > 0 && !allowed.includes(ctx.method)) {
        ctx.status = 405
        ctx.set('Allow', allowed.join(', '))
        ctx.body = { error: { code: 'INVALID_INPUT', message: '不支持的请求方法' } }
        return
      }
      await next()
      if (ctx.method === 'OPTIONS' && allowed.length > 0) ctx.set('Allow', allowed.join(', '))
    })
  }
  for (const router of options.routers) {
    app.use(router.routes())
    app.use(router.allowedMethods())
  }
  return app
}
