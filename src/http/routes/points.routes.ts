import Router from '@koa/router'
import { z } from 'zod'
import type { PointsService } from '../../services/points/points.service.js'
import { requireActor } from '../middleware/auth.js'
import { parseQuery } from '../validate.js'

export const LedgerQuery = z
  .object({
    cursor: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict()
export const PointsSummaryBody = z.object({
  balance: z.number(),
  month: z.string(),
  earnedThisMonth: z.number(),
  monthlyCap: z.number(),
})
export const LedgerPage = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.string().optional(),
})

/** `/api/v1/points/me…`: the signed-in person's balance and ledger (积分). Nobody reads another's. */
export function pointsRoutes(deps: { points: PointsService }): Router {
  const router = new Router({ prefix: '/api/v1/points' })
  router.get('/me', async (ctx) => {
    ctx.body = await deps.points.summary(requireActor(ctx).personId)
  })
  router.get('/me/ledger', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = await deps.points.ledger(actor.personId, parseQuery(ctx, LedgerQuery))
  })
  return router
}
