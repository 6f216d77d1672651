import Router from '@koa/router'
import { withTimeout } from '../lib/async.js'
import type { ChannelSource } from '../services/channels/channel.js'

/** `wechaty` for the main account's bot, `wechaty:<account>` for the pool's others; else the channel. */
function channelKey(c: ChannelSource): string {
  return c.channel === 'wechaty' && c.account !== 'default' ? `wechaty:${c.account}` : c.channel
}

export interface HealthDeps {
  /** Resolves when the database answers; rejects with the reason when it does not. */
  pingDatabase(): Promise<void>
  /** True while the process is shutting down: readiness fails so load balancers stop sending. */
  isShuttingDown(): boolean
  /** The channels of every bot account, whose health `/readyz` shows (it does not decide readiness). */
  channels?: () => readonly ChannelSource[]
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
      const channels = deps.channels?.()
      ctx.body = {
        status: 'ready',
        database: 'ok',
        ...(channels
          ? { channels: Object.fromEntries(channels.map((c) => [channelKey(c), c.health().state])) }
          : {}),
      }
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
