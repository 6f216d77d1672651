import Router from '@koa/router'
import { z } from 'zod'
import { SUBSCRIBE_RESULTS } from '../../models/mp-subscription.model.js'
import type { MpSubscriptions } from '../../services/channels/mp/subscriptions.js'
import { requireActor } from '../middleware/auth.js'
import { parseBody } from '../validate.js'

const TemplateId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '订阅消息模板编号格式不正确')

/** What the mini-program reports after `wx.requestSubscribeMessage`: the ids it asked for and each answer. */
export const SubscriptionsInput = z
  .object({
    templateIds: z.array(TemplateId).min(1, '至少要有一个模板').max(20, '一次最多 20 个模板'),
    results: z.record(TemplateId, z.enum(SUBSCRIBE_RESULTS, '订阅结果只能是 accept、reject、ban 或 filter')),
  })
  .strict()
  .refine((b) => Object.keys(b.results).every((id) => b.templateIds.includes(id)), {
    message: '订阅结果里有没有请求过的模板',
    path: ['results'],
  })

export const SubscriptionsBody = z.object({
  subscriptions: z.array(
    z.object({
      templateId: z.string(),
      kind: z.enum(['once', 'long']),
      result: z.enum(SUBSCRIBE_RESULTS),
      available: z.number().int(),
    }),
  ),
})

/** `/api/v1/me/subscriptions`: the signed-in person's subscribe-message answers (订阅消息). Only one's own. */
export function subscriptionsRoutes(deps: { subscriptions: MpSubscriptions }): Router {
  const router = new Router({ prefix: '/api/v1/me' })
  router.get('/subscriptions', async (ctx) => {
    ctx.body = { subscriptions: await deps.subscriptions.view(requireActor(ctx).personId) }
  })
  router.post('/subscriptions', async (ctx) => {
    const actor = requireActor(ctx)
    const input = parseBody(ctx, SubscriptionsInput)
    ctx.body = { subscriptions: await deps.subscriptions.record(actor.personId, input.results) }
  })
  return router
}
