import Router from '@koa/router'
import { z } from 'zod'
import {
  DecisionInput,
  DeliberationInput,
  type DeliberationService,
  OpinionInput,
} from '../../services/polls/deliberation.service.js'
import { PollInput, type PollService, VoteInput } from '../../services/polls/poll.service.js'
import { requireActor, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'
import { EmptyInput } from './cases.schemas.js'

const ObjectId = (what: string) => z.string().regex(/^[0-9a-f]{24}$/i, `${what}编号格式不正确`)
export const PollIdParams = z.object({ id: ObjectId('投票') })
export const TopicIdParams = z.object({ id: ObjectId('议事') })
export const PollListQuery = z
  .object({
    communityId: ObjectId('社区').optional(),
    status: z.enum(['open', 'closed'], { error: '状态只能是 open（进行中）或 closed（已结束）' }).optional(),
  })
  .strict()
export const TopicListQuery = z.object({ communityId: ObjectId('社区').optional() }).strict()
export const PollBody = PollInput
export const VoteBody = VoteInput
export const TopicBody = DeliberationInput
export const OpinionBody = OpinionInput
export const DecisionBody = DecisionInput

const STAFF = ['community_staff', 'admin', 'grid_worker'] as const

/**
 * `/api/v1/polls` and `/api/v1/deliberations`: staff open polls and 议事 topics to an audience,
 * close them and record decisions; residents of the audience vote and give opinions (the
 * mini-program; the chat does the same through the same services).
 */
export function pollsRoutes(deps: { polls: PollService; deliberations: DeliberationService }): Router {
  const { polls, deliberations } = deps
  const router = new Router({ prefix: '/api/v1' })

  router.post('/polls', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.status = 201
    ctx.body = await polls.create(parseBody(ctx, PollBody), actor)
  })
  router.get('/polls', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.body = { items: await polls.list(actor, parseQuery(ctx, PollListQuery)) }
  })
  router.get('/polls/open', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = { items: await polls.openFor(actor.personId) }
  })
  router.get('/polls/:id', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = await polls.viewFor(parseParams(ctx, PollIdParams).id, actor)
  })
  router.post('/polls/:id/close', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, PollIdParams)
    parseBody(ctx, EmptyInput)
    ctx.body = await polls.close(id, actor)
  })
  router.post('/polls/:id/votes', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, PollIdParams)
    const receipt = await polls.vote(id, actor.personId, parseBody(ctx, VoteBody), 'api')
    ctx.status = 201
    ctx.body = { pollId: id, choices: receipt.choices, forHousehold: receipt.forHousehold }
  })

  router.post('/deliberations', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.status = 201
    ctx.body = await deliberations.create(parseBody(ctx, TopicBody), actor)
  })
  router.get('/deliberations', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    ctx.body = { items: await deliberations.list(actor, parseQuery(ctx, TopicListQuery)) }
  })
  router.get('/deliberations/:id', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = await deliberations.viewFor(parseParams(ctx, TopicIdParams).id, actor)
  })
  router.get('/deliberations/:id/opinions', async (ctx) => {
    const actor = requireActor(ctx)
    ctx.body = { items: await deliberations.opinions(parseParams(ctx, TopicIdParams).id, actor) }
  })
  router.post('/deliberations/:id/opinions', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, TopicIdParams)
    const { topic } = await deliberations.addOpinion(id, actor.personId, parseBody(ctx, OpinionBody), 'api')
    ctx.status = 201
    ctx.body = { deliberationId: id, opinions: topic.opinions }
  })
  router.post('/deliberations/:id/decision', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, TopicIdParams)
    ctx.body = await deliberations.decide(id, parseBody(ctx, DecisionBody), actor)
  })
  return router
}
