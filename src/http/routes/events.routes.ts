import Router from '@koa/router'
import { z } from 'zod'
import type { EventService } from '../../services/events/event.service.js'
import { requireActor, requireCommunity, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

export const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/i, '活动编号格式不正确') })
export const ListQuery = z.object({
  communityId: z
    .string()
    .regex(/^[0-9a-f]{24}$/i)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
})
export const CancelBody = z.object({ reason: z.string().max(200).default('') }).strict()
export const CheckInBody = z.object({ code: z.string().trim().min(1, '请填写签到码').max(12) })
export const AnyBody = z.record(z.string(), z.unknown())
const STAFF = ['community_staff', 'admin', 'grid_worker'] as const

/** `/api/v1/events`: residents list, sign up and check in; staff create, edit and cancel. */
export function eventsRoutes(deps: { events: EventService }): Router {
  const { events } = deps
  const router = new Router({ prefix: '/api/v1/events' })

  router.get('/', async (ctx) => {
    const actor = requireActor(ctx)
    const query = parseQuery(ctx, ListQuery)
    if (query.communityId) {
      requireCommunity(actor, query.communityId)
      ctx.body = { items: await events.listForCommunity(query.communityId, { limit: query.limit }) }
      return
    }
    ctx.body = { items: await events.listForPerson(actor.personId, { limit: query.limit }) }
  })
  router.post('/', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.status = 201
    ctx.body = await events.create(parseBody(ctx, AnyBody) as never, actor)
  })
  router.post('/checkin', async (ctx) => {
    const actor = requireActor(ctx)
    const { code } = parseBody(ctx, CheckInBody)
    const result = await events.checkIn(code, actor.personId)
    ctx.body = {
      eventId: result.event.id,
      title: result.event.title,
      already: result.already,
      pointsCredited: result.pointsCredited,
    }
  })
  router.patch('/:id', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, IdParams)
    ctx.body = await events.update(id, parseBody(ctx, AnyBody) as never, actor)
  })
  router.post('/:id/cancel', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, IdParams)
    ctx.body = await events.cancel(id, parseBody(ctx, CancelBody).reason, actor)
  })
  router.post('/:id/signup', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, IdParams)
    const signup = await events.signUp(id, actor.personId, { channel: 'miniprogram' })
    ctx.status = signup.already ? 200 : 201
    ctx.body = signup
  })
  router.delete('/:id/signup', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, IdParams)
    ctx.body = await events.cancelSignup(id, actor.personId)
  })
  return router
}
