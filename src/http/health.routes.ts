import Router from '@koa/router'
import { withTimeout } from '../lib/async.js'

export interface HealthDeps {
  /** Resolves when the database answers; rejects with the reason when it does not. */
  pingDatabase(): Promise<void>
  /** True while the process is shutting down: readiness fails so load balancers stop sending. */
  isShuttingDown(): boolean
}

/** `/healthz`: the process is up. `/readyz`: the database answers (503 with a reason when not). */
export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router()
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/readyz', async (ctx) => {
    if (deps.isShuttingDown()) {
      ctx.status = 503
      ctx.body = { status: 'unavailable', reason: 'shutting down' }
      return
    }
    try {
      await withTimeout(deps.pingDatabase(), 2000)
      ctx.body = { status: 'ready', database: 'ok' }
    } catch (err) {
      ctx.status = 503
      ctx.body = {
        status: 'unavailable',
        reason: `database: ${err instanceof Error ? err.message : 'unreachable'}`,
      }
    }
  })
  return router
}
