import Router from '@koa/router'
import { z } from 'zod'
import type { AuthService, Session } from '../../services/auth/auth.service.js'
import type { ConsoleLoginService } from '../../services/auth/console-login.service.js'
import { requireActor, requireRole } from '../middleware/auth.js'
import { rateLimit } from '../middleware/rate-limit.js'
import { parseBody, parseParams } from '../validate.js'

export const WxLoginInput = z.object({
  code: z.string().min(1).max(128),
  inviteCode: z.string().min(4).max(32).optional(),
})
export const RefreshInput = z.object({ refreshToken: z.string().min(10).max(200) })
export const DevLoginInput = z.object({
  personId: z
    .string()
    .regex(/^[a-f0-9]{24}$/)
    .optional(),
  name: z.string().min(1).max(40).optional(),
})
export const InviteInput = z.object({ personId: z.string().regex(/^[a-f0-9]{24}$/) })
export const ApiKeyInput = z.object({ name: z.string().min(1).max(60) })
/** A console sign-in ticket as shown in its QR code (24 random bytes, base64url). */
export const ConsoleTicketParams = z.object({ ticket: z.string().regex(/^[A-Za-z0-9_-]{32}$/) })
const EmptyInput = z.object({}).strict()

/** Console sign-in tickets one client address may ask for per minute (the console asks one per 3 minutes). */
const TICKETS_PER_IP_MINUTE = 20

function present(s: Session) {
  return {
    accessToken: s.accessToken,
    refreshToken: s.refreshToken,
    expiresIn: s.expiresIn,
    user: { id: s.actor.personId, roles: s.actor.roles },
  }
}

/**
 * `/api/v1/auth/*`: WeChat login, refresh, logout, invites, API keys, the console's sign-in by QR code
 * (扫码登录), and the dev login when enabled.
 */
export function authRoutes(deps: { auth: AuthService; consoleLogin: ConsoleLoginService }): Router {
  const { auth } = deps
  const router = new Router({ prefix: '/api/v1/auth' })
  mountConsoleTickets(router, deps.consoleLogin)
  router.post('/wx-login', async (ctx) => {
    const input = parseBody(ctx, WxLoginInput)
    ctx.body = present(await auth.wxLogin(input.code, input.inviteCode))
  })
  router.post('/refresh', async (ctx) => {
    const input = parseBody(ctx, RefreshInput)
    ctx.body = present(await auth.refresh(input.refreshToken))
  })
  router.post('/logout', async (ctx) => {
    const input = parseBody(ctx, RefreshInput)
    await auth.logout(input.refreshToken)
    ctx.status = 204
  })
  router.post('/invites', async (ctx) => {
    const actor = requireRole(ctx, 'admin', 'community_staff')
    const input = parseBody(ctx, InviteInput)
    ctx.status = 201
    ctx.body = await auth.createInvite(input.personId, actor)
  })
  router.post('/api-keys', async (ctx) => {
    const actor = requireRole(ctx, 'admin')
    const input = parseBody(ctx, ApiKeyInput)
    ctx.status = 201
    ctx.body = await auth.createApiKey(actor.personId, input.name)
  })
  if (auth.devLoginEnabled) {
    router.post('/dev-login', async (ctx) => {
      const input = parseBody(ctx, DevLoginInput)
      ctx.body = present(await auth.devLogin(input))
    })
  }
  return router
}

/**
 * 扫码登录: the console creates a ticket (anonymous, limited per client address) and polls it; a staff
 * member signed in to the mini-program approves or refuses it. The ticket itself is the credential of
 * the poll, so the poll needs no login.
 */
function mountConsoleTickets(router: Router, consoleLogin: ConsoleLoginService): void {
  const limitTickets = rateLimit({
    limit: TICKETS_PER_IP_MINUTE,
    windowMs: 60_000,
    keyOf: (ctx) => `console-ticket:${ctx.ip}`,
  })
  router.post('/console-tickets', limitTickets, async (ctx) => {
    parseBody(ctx, EmptyInput)
    ctx.status = 201
    ctx.body = await consoleLogin.createTicket()
  })
  router.get('/console-tickets/:ticket', async (ctx) => {
    const { ticket } = parseParams(ctx, ConsoleTicketParams)
    const { status, expiresAt, session } = await consoleLogin.poll(ticket)
    ctx.set('cache-control', 'no-store')
    ctx.body = { status, expiresAt, ...(session ? { session: present(session) } : {}) }
  })
  for (const [path, decision] of [
    ['approve', 'approved'],
    ['refuse', 'refused'],
  ] as const) {
    router.post(`/console-tickets/:ticket/${path}`, async (ctx) => {
      const actor = requireActor(ctx)
      const { ticket } = parseParams(ctx, ConsoleTicketParams)
      parseBody(ctx, EmptyInput)
      ctx.body = await consoleLogin.decide(ticket, actor, decision)
    })
  }
}
