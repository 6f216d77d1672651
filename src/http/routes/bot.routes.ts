import Router from '@koa/router'
import type { BotStatus } from '../../bot/bot.js'
import type { ChannelHealth } from '../../services/channels/channel.js'
import type { SelfTestVerdict } from '../../services/channels/self-test.js'
import { requireRole } from '../middleware/auth.js'

/** One bot account of the pool, as the status route reads it. */
export interface BotAccountView {
  id: string
  status(): BotStatus
  usage(): Promise<{ sentToday: number; budget: number }>
  health(): ChannelHealth
  selfTest(): SelfTestVerdict
}

export interface BotRoutesDeps {
  /** Every account, the main one (`default`) first. */
  accounts(): BotAccountView[]
}

async function present(a: BotAccountView) {
  const s = a.status()
  const h = a.health()
  const t = a.selfTest()
  return {
    loggedIn: s.loggedIn,
    user: s.user,
    qrcode: s.loggedIn ? undefined : s.qrcode,
    since: s.since.toISOString(),
    outbox: await a.usage(),
    health: { state: h.state, detail: h.detail, since: h.since.toISOString() },
    selfTest: { state: t.state, at: t.at?.toISOString(), detail: t.detail },
  }
}

/**
 * `GET /api/v1/bot/status` (admins): per bot account, logged in or not, the login QR code while
 * waiting (an admin scans it to log that account in), its health and self-test, today's sends.
 * The main account's fields are also at the top level.
 */
export function botRoutes(deps: BotRoutesDeps): Router {
  const router = new Router({ prefix: '/api/v1/bot' })
  router.get('/status', async (ctx) => {
    requireRole(ctx, 'admin')
    const accounts = await Promise.all(
      deps.accounts().map(async (a) => ({ id: a.id, ...(await present(a)) })),
    )
    const { id: _main, ...main } = accounts[0] ?? { id: '' }
    ctx.body = { ...main, accounts }
  })
  return router
}
