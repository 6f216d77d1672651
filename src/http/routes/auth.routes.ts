import Router from '@koa/router'
import { z } from 'zod'
import type { AuthService, Session } from '../../services/auth/auth.service.js'
import { requireRole } from '../middleware/auth.js'
import { parseBody } from '../validate.js'

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

function present(s: Session) {
  return {
    accessToken: s.accessToken,
    refreshToken: s.refreshToken,
    expiresIn: s.expiresIn,
    user: { id: s.actor.personId, roles: s.actor.roles },
  }
}

/** `/api/v1/auth/*`: WeChat login, refresh, logout, invites, API keys, and the dev login when enabled. */
export function authRoutes(deps: { auth: AuthService }): Router {
  const { auth } = deps
  const router = new Router({ prefix: '/api/v1/auth' })
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
