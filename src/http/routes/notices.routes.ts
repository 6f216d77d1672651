import Router from '@koa/router'
import { z } from 'zod'
import { systemClock } from '../../lib/clock.js'
import { ForbiddenError } from '../../lib/errors.js'
import { canManage } from '../../services/events/event.views.js'
import { serves } from '../../services/notices/notice.batch.js'
import type { NoticeService } from '../../services/notices/notice.service.js'
import { createWeComGroupDrafts, type WeComGroupDrafts } from '../../services/notices/wecom-group-drafts.js'
import { requireRole } from '../middleware/auth.js'
import { parseBody, parseParams } from '../validate.js'
import { requestKey } from './cases.routes.js'
import { EmptyInput } from './cases.schemas.js'

export const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/i, '通知编号格式不正确') })
export const SendBody = z.object({
  confirm: z.boolean().optional(),
  at: z.string().min(1).max(40).optional(),
})
export const AnyBody = z.record(z.string(), z.unknown())
export const FollowUpBody = z
  .object({ personId: z.string().regex(/^[0-9a-f]{24}$/i, '居民编号格式不正确') })
  .strict()
/** 企业群发: whose customer groups get the draft (a WeCom userid); unset, the caller's own account. */
export const GroupDraftBody = z
  .object({
    sender: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,64}$/, '企业微信账号格式不正确')
      .optional(),
  })
  .strict()
const STAFF = ['community_staff', 'admin', 'grid_worker', 'street_staff'] as const

/**
 * `/api/v1/notices`: staff write, send (or schedule) notices and follow delivery and acknowledgements;
 * community staff also turn a notice into 企业群发 drafts for their WeCom customer groups.
 */
export function noticesRoutes(deps: { notices: NoticeService; groupDrafts?: WeComGroupDrafts }): Router {
  const { notices } = deps
  // Without WeCom set up, the drafts answer 409 (and the notice detail lists none).
  const groupDrafts = deps.groupDrafts ?? createWeComGroupDrafts({ notices, clock: systemClock })
  const router = new Router({ prefix: '/api/v1/notices' })

  /** The notice, when the caller may see it (staff of its community or of all its grids). */
  async function readable(ctx: Parameters<typeof requireRole>[0]) {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, IdParams)
    const notice = await notices.get(id)
    // Staff who manage it, and a street office for the notices of its communities (its 街道通知).
    const street = actor.roles.includes('street_staff') && serves(actor, notice.communityId)
    if (!canManage(actor, notice.communityId, notice.gridIds) && !street)
      throw new ForbiddenError('只能查看本社区的通知')
    return { actor, id }
  }

  router.post('/', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.status = 201
    ctx.body = await notices.create(parseBody(ctx, AnyBody) as never, actor)
  })
  // 街道、城市通知: one request, one notice per community, to every bound group of each.
  router.post('/batch', async (ctx) => {
    const actor = requireRole(ctx, 'street_staff', 'community_staff', 'admin')
    const key = requestKey(ctx)
    const result = await notices.sendBatch(parseBody(ctx, AnyBody) as never, actor, key)
    // 201 when notices were written; a retry of the same request or a preview writes none.
    ctx.status = result.replayed || result.dryRun ? 200 : 201
    ctx.body = result
  })
  router.post('/:id/send', async (ctx) => {
    const { actor, id } = await readable(ctx)
    ctx.body = await notices.send(id, parseBody(ctx, SendBody), actor)
  })
  router.get('/:id', async (ctx) => {
    const { id } = await readable(ctx)
    ctx.body = { ...(await notices.get(id)), wecomGroupDrafts: await groupDrafts.list(id) }
  })
  router.post('/:id/wecom-group-drafts', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'admin')
    const { id } = parseParams(ctx, IdParams)
    const { sender } = parseBody(ctx, GroupDraftBody)
    ctx.body = await groupDrafts.create(id, sender, actor)
  })
  router.post('/:id/wecom-group-drafts/refresh', async (ctx) => {
    const { id } = await readable(ctx)
    parseBody(ctx, EmptyInput)
    ctx.body = await groupDrafts.refresh(id)
  })
  router.get('/:id/delivery', async (ctx) => {
    const { id } = await readable(ctx)
    ctx.body = await notices.delivery(id)
  })
  router.get('/:id/acks', async (ctx) => {
    const { id } = await readable(ctx)
    ctx.body = await notices.acks(id)
  })
  router.get('/:id/reach', async (ctx) => {
    const { id } = await readable(ctx)
    ctx.body = await notices.reach(id)
  })
  router.post('/:id/follow-ups', async (ctx) => {
    const { id } = await readable(ctx)
    const { personId } = parseBody(ctx, FollowUpBody)
    const result = await notices.followUp(id, personId)
    ctx.status = result.queued ? 201 : 200
    ctx.body = result
  })
  return router
}
