import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { describeIssues, ForbiddenError, InvalidInputError } from '../../lib/errors.js'
import { EventInput, EventPatch, type EventService } from '../../services/events/event.service.js'
import { canManage, type EventView } from '../../services/events/event.views.js'
import { requireActor, requireCommunity, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

export const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/i, '活动编号格式不正确') })
export const ListQuery = z.object({
  communityId: z
    .string()
    .regex(/^[0-9a-f]{24}$/i)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  /** With communityId: `upcoming` (default) or `past` events. */
  when: z
    .enum(['upcoming', 'past'], { error: '只能查看 upcoming（未结束）或 past（已结束）的活动' })
    .optional(),
})
export const CancelBody = z.object({ reason: z.string().max(200).default('') }).strict()
export const CheckInBody = z.object({ code: z.string().trim().min(1, '请填写签到码').max(12) })
/** The create form, strictly: an unknown field is a mistake, not something to ignore. */
export const EventBody = EventInput.strict()
export const EventPatchBody = EventPatch

/** The form's field names, for an error message that says which field to fix. */
const FIELD_LABELS: Record<string, string> = {
  communityId: '所属社区',
  gridIds: '活动范围',
  title: '活动名称',
  description: '活动介绍',
  place: '活动地点',
  startsAt: '开始时间',
  endsAt: '结束时间',
  capacity: '人数上限',
  signupDeadline: '报名截止时间',
  remindOffsetsMinutes: '提醒时间',
  remindRooms: '群里提醒',
  volunteerHours: '志愿时长',
}

/** Parses an event form; a mistake is a 400 whose message names the first wrong field in Chinese. */
function parseEventBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const body = parseBody(ctx, z.unknown())
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const details = describeIssues(result.error.issues)
  if (!issue || issue.path.length === 0) {
    const keys = issue && 'keys' in issue ? (issue.keys as string[]) : []
    const what = keys.length ? `不认识的字段：${keys.join('、')}` : '活动信息要是一个表单对象'
    throw new InvalidInputError(what, details)
  }
  const field = FIELD_LABELS[String(issue.path[0])] ?? String(issue.path[0])
  const readable = /[\u4e00-\u9fff]/.test(issue.message) ? issue.message : '格式不正确'
  throw new InvalidInputError(readable.startsWith(field) ? readable : `${field}：${readable}`, details)
}

/** A resident's view of an event: everything but the check-in code, which is shown only at the event. */
function withoutCode(view: EventView): Omit<EventView, 'checkinCode'> {
  const { checkinCode: _checkinCode, ...rest } = view
  return rest
}
const STAFF = ['community_staff', 'admin', 'grid_worker'] as const

/** `/api/v1/events`: residents list, sign up and check in; staff create, edit and cancel. */
export function eventsRoutes(deps: { events: EventService }): Router {
  const { events } = deps
  const router = new Router({ prefix: '/api/v1/events' })

  /** The event, when the caller may manage it (staff of its community, or a worker of all its grids). */
  async function managed(ctx: Context) {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, IdParams)
    const event = await events.get(id)
    if (!canManage(actor, event.communityId, event.gridIds)) throw new ForbiddenError('只能查看本社区的活动')
    return { actor, id, event }
  }

  router.get('/', async (ctx) => {
    const actor = requireActor(ctx)
    const query = parseQuery(ctx, ListQuery)
    const options = { limit: query.limit, ...(query.when ? { when: query.when } : {}) }
    if (query.communityId) requireCommunity(actor, query.communityId)
    const items = query.communityId
      ? await events.listForCommunity(query.communityId, options)
      : await events.listForPerson(actor.personId, { limit: query.limit })
    // The check-in code proves presence: only those who manage the event see it.
    ctx.body = {
      items: items.map((e) => (canManage(actor, e.communityId, e.gridIds) ? e : withoutCode(e))),
    }
  })
  router.post('/', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const body = parseEventBody(ctx, EventBody)
    ctx.status = 201
    ctx.body = await events.create(body, actor)
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
  router.get('/:id', async (ctx) => {
    ctx.body = (await managed(ctx)).event
  })
  router.get('/:id/signups', async (ctx) => {
    const { id } = await managed(ctx)
    ctx.body = await events.roster(id)
  })
  router.patch('/:id', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, IdParams)
    const patch = parseEventBody(ctx, EventPatchBody)
    ctx.body = await events.update(id, patch, actor)
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
