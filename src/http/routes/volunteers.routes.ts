import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { describeIssues, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import type { CaseService } from '../../services/cases/case.service.js'
import type { NoticeService } from '../../services/notices/notice.service.js'
import { ProxyLinkInput, type ProxyService } from '../../services/proxies/proxy.service.js'
import {
  CaseNeedInput,
  needInput,
  profileInput,
  type VolunteerService,
} from '../../services/volunteers/volunteer.service.js'
import { requireActor, requireCommunity, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'
import { requestKey } from './cases.routes.js'
import { CaseNumberParams, EmptyInput } from './cases.schemas.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
export const VolunteerIdParams = z.object({ id: ObjectIdString })
export const CommunityQuery = z.object({ communityId: ObjectIdString }).strict()
export const NeedListQuery = z
  .object({ communityId: ObjectIdString, limit: z.coerce.number().int().min(1).max(100).optional() })
  .strict()
export const DoneBody = z
  .object({
    hours: z
      .number({ error: '请填写服务时长（小时）' })
      .gt(0, '服务时长要大于 0')
      .max(24, '服务时长最多 24 小时'),
  })
  .strict()
export const NeedRatingBody = z
  .object({
    score: z
      .number({ error: '请打 1 到 5 分' })
      .int('请打 1 到 5 分')
      .min(1, '请打 1 到 5 分')
      .max(5, '请打 1 到 5 分'),
    comment: z.string({ error: '评价要是文字' }).trim().max(200, '评价最多 200 字').default(''),
  })
  .strict()
export const ProxyCaseBody = z
  .object({
    text: z
      .string({ error: '请描述一下问题' })
      .trim()
      .min(2, '请简单描述一下问题')
      .max(2000, '描述最多 2000 字'),
  })
  .strict()
export const ProxyLinkBody = ProxyLinkInput
export const HouseholdAckBody = z.object({ noticeId: ObjectIdString }).strict()

const STAFF = ['community_staff', 'admin'] as const

/** Parses a form; a mistake is a 400 with the first issue's Chinese sentence. */
function parseForm<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const result = schema.safeParse(parseBody(ctx, z.unknown()))
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const keys = issue && 'keys' in issue ? (issue.keys as string[]) : []
  const message = keys.length
    ? `不认识的字段：${keys.join('、')}`
    : issue && /[\u4e00-\u9fff]/.test(issue.message)
      ? issue.message
      : '填写的内容格式不正确'
  throw new InvalidInputError(message, describeIssues(result.error.issues))
}

/**
 * `/api/v1/volunteers`, `/api/v1/volunteer-needs`: residents register as volunteers and take needs;
 * staff post needs and see matches. `/api/v1/households/:id/proxies`, `/api/v1/proxies`: people who
 * act for a household (代办) and what they report for it.
 */
export function volunteersRoutes(deps: {
  volunteers: VolunteerService
  proxies: ProxyService
  /** For a proxy's 收到 to a notice on the household's behalf (absent: that route answers 404). */
  notices?: Pick<NoticeService, 'acknowledgeForHousehold'>
  cases: Pick<CaseService, 'open' | 'caseForNeed' | 'recordVolunteerNeed'>
}): Router {
  const { volunteers, proxies } = deps
  const ProfileBody = profileInput(volunteers.skills)
  const NeedBody = needInput(volunteers.skills)
  const router = new Router({ prefix: '/api/v1' })

  router.get('/volunteers', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { communityId } = parseQuery(ctx, CommunityQuery)
    requireCommunity(actor, communityId)
    ctx.body = { items: await volunteers.listVolunteers(communityId, actor), skills: volunteers.skills }
  })
  router.get('/volunteers/me', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = { profile: (await volunteers.profileOf(actor.personId)) ?? null, skills: volunteers.skills }
  })
  router.put('/volunteers/me', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = await volunteers.register(actor.personId, parseForm(ctx, ProfileBody), {
      channel: 'miniprogram',
    })
  })

  router.get('/volunteer-needs', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const q = parseQuery(ctx, NeedListQuery)
    requireCommunity(actor, q.communityId)
    ctx.body = { items: await volunteers.listNeeds(q.communityId, actor, { limit: q.limit }) }
  })
  router.get('/volunteer-needs/offered', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = { items: await volunteers.offersFor(actor.personId) }
  })
  router.post('/volunteer-needs', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const body = parseForm(ctx, NeedBody)
    requireCommunity(actor, body.communityId)
    ctx.status = 201
    ctx.body = await volunteers.postNeed(body, actor)
  })
  /** The need, when the caller is staff of its community. */
  async function managedNeed(ctx: Context) {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, VolunteerIdParams)
    const need = await volunteers.getNeed(id)
    requireCommunity(actor, need.communityId)
    return { actor, id, need }
  }
  router.get('/volunteer-needs/:id', async (ctx) => {
    ctx.body = (await managedNeed(ctx)).need
  })
  router.get('/volunteer-needs/:id/matches', async (ctx) => {
    const { id } = await managedNeed(ctx)
    ctx.body = { items: await volunteers.matches(id) }
  })
  router.post('/volunteer-needs/:id/cancel', async (ctx) => {
    const { id, actor } = await managedNeed(ctx)
    parseBody(ctx, EmptyInput)
    ctx.body = await volunteers.cancelNeed(id, actor)
  })
  router.post('/volunteer-needs/:id/accept', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    parseBody(ctx, EmptyInput)
    const result = await volunteers.accept(id, actor.personId, { channel: 'miniprogram' })
    ctx.status = result.already ? 200 : 201
    ctx.body = result
  })
  router.post('/volunteer-needs/:id/checkin', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    parseBody(ctx, EmptyInput)
    ctx.body = await volunteers.checkIn(id, actor.personId)
  })
  router.post('/volunteer-needs/:id/done', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    const { hours } = parseForm(ctx, DoneBody)
    ctx.body = await volunteers.complete(id, actor.personId, hours)
  })
  router.post('/volunteer-needs/:id/rating', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    const body = parseForm(ctx, NeedRatingBody)
    ctx.body = await volunteers.rate(id, actor.personId, body.score, body.comment)
  })

  router.get('/households/:id/proxies', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    ctx.body = { items: await proxies.listForHousehold(id, actor) }
  })
  router.post('/households/:id/proxies', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    ctx.status = 201
    ctx.body = await proxies.link(id, parseForm(ctx, ProxyLinkBody), actor)
  })
  router.delete('/household-proxies/:id', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF, 'grid_worker')
    const { id } = parseParams(ctx, VolunteerIdParams)
    await proxies.revoke(id, actor)
    ctx.status = 204
  })
  router.get('/proxies/mine', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = { items: await proxies.listForPerson(actor.personId) }
  })
  /** A proxy reports a problem for the household it is linked to; refused for any other household. */
  router.post('/households/:id/cases', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    const body = parseForm(ctx, ProxyCaseBody)
    const key = requestKey(ctx)
    await proxies.assertProxy(actor.personId, id)
    const opened = await deps.cases.open({
      channel: 'miniprogram',
      sourceKey: `mp-proxy:${actor.personId}:${key}`,
      reporter: { personId: actor.personId },
      text: body.text,
      proxyFor: { householdId: id },
    })
    ctx.status = opened.created ? 201 : 200
    ctx.body = { case: opened.case, created: opened.created, duplicateOf: opened.duplicateOf }
  })
  /**
   * 需要志愿者: the case's grid worker or community staff flag it; one need per case (a repeat answers
   * 200 with the first), offered to matching volunteers; the case records it on its timeline.
   */
  router.post('/cases/:number/volunteer-need', async (ctx) => {
    const actor = requireRole(ctx, 'grid_worker', 'community_staff', 'street_staff', 'admin')
    const { number } = parseParams(ctx, CaseNumberParams)
    const body = parseForm(ctx, CaseNeedInput)
    const c = await deps.cases.caseForNeed(number, actor)
    const need = await volunteers.postNeedForCase(c, body, actor.personId)
    ctx.status = need.created ? 201 : 200
    if (!need.created) {
      // The first request records it on the case (with whom it was offered to).
      ctx.body = { need, case: { number: c.number } }
      return
    }
    const ref = { id: need.id, code: need.code, skill: need.skill, offered: need.offeredTo.length }
    const updated = await deps.cases.recordVolunteerNeed(c.number, actor, ref)
    ctx.body = { need, case: { number: updated.number, volunteerNeed: updated.volunteerNeed } }
  })
  /** A proxy acknowledges a notice (收到) for the household: once per household, whoever gives it. */
  router.post('/households/:id/notice-acks', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, VolunteerIdParams)
    const { noticeId } = parseForm(ctx, HouseholdAckBody)
    if (!deps.notices) throw new NotFoundError('通知回执')
    await proxies.assertProxy(actor.personId, id)
    const ack = await deps.notices.acknowledgeForHousehold(noticeId, id, actor.personId, 'api')
    ctx.status = ack.recorded ? 201 : 200
    ctx.body = ack
  })
  return router
}
