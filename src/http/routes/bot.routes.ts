import Router from '@koa/router'
import type { BotStatus } from '../../bot/bot.js'
import { requireRole } from '../middleware/auth.js'

export interface BotRoutesDeps {
  status(): BotStatus
  usage(): Promise<{ sentToday: number; budget: number }>
}

/** `GET /api/v1/bot/status` (admins): logged in or not, the login QR code while waiting, today's sends. */
export function botRoutes(deps: BotRoutesDeps): Router {
  const router = new Router({ prefix: '/api/v1/bot' })
  router.get('/status', async (ctx) => {
    requireRole(ctx, 'admin')
    const s = deps.status()
    ctx.body = {
      loggedIn: s.loggedIn,
      user: s.user,
      qrcode: s.loggedIn ? undefined : s.qrcode,
      since: s.since.toISOString(),
      outbox: await deps.usage(),
    }
  })
  return router
}
