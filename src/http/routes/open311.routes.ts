import Router from '@koa/router'
import type { Context, Next } from 'koa'
import { z } from 'zod'
import { DomainError, describeIssues } from '../../lib/errors.js'
import type { Actor, AuthService } from '../../services/auth/auth.service.js'
import {
  CreateRequestInput,
  type Open311Facade,
  RequestsQuery,
} from '../../services/open311/open311.service.js'
import { STATUS_BY_CODE } from '../middleware/errors.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

export const ServiceCodeParams = z.object({ code: z.string().regex(/^[a-z_]+$/, '服务代码格式不正确') })
export const RequestIdParams = z.object({ id: z.string().regex(/^\d{6}-\d{4,}$/, '服务请求编号格式不正确') })
/** GeoReport's `api_key` as a query parameter (it may also come in the body or the X-Api-Key header). */
export const ApiKeyQuery = z.object({ api_key: z.string().max(200).optional() })

export const Open311ServiceBody = z.object({
  service_code: z.string(),
  service_name: z.string(),
  description: z.string(),
  metadata: z.boolean(),
  type: z.string(),
  keywords: z.string(),
  group: z.string(),
})
export const Open311RequestBody = z.object({
  service_request_id: z.string(),
  status: z.enum(['open', 'closed']),
  status_notes: z.string(),
  service_name: z.string(),
  service_code: z.string(),
  description: z.string(),
  agency_responsible: z.string(),
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  expected_datetime: z.string().nullable(),
  address: z.string(),
})
export const Open311CreatedBody = z.array(
  z.object({ service_request_id: z.string(), service_notice: z.string(), account_id: z.string().nullable() }),
)

/** Errors in GeoReport's own shape: `[{code, description}]` with the HTTP status as code. */
async function open311Errors(ctx: Context, next: Next): Promise<void> {
  try {
    await next()
  } catch (err) {
    if (err instanceof z.ZodError) {
      ctx.status = 400
      const what = describeIssues(err.issues).map((i) => `${i.path}: ${i.message}`)
      ctx.body = [{ code: 400, description: `请求参数不正确（${what.join('；')}）` }]
      return
    }
    if (!(err instanceof DomainError)) throw err
    ctx.status = STATUS_BY_CODE[err.code]
    ctx.body = [{ code: ctx.status, description: err.message }]
  }
}

/**
 * Open311 GeoReport v2 at `/open311/v2/` (JSON only): `services.json`, `services/{code}.json`,
 * `requests.json` (GET, and POST with an API key), `requests/{id}.json`.
 */
export function open311Routes(deps: {
  open311: Open311Facade
  auth: Pick<AuthService, 'verifyApiKey'>
}): Router {
  const { open311 } = deps
  const router = new Router({ prefix: '/open311/v2' })
  router.use(open311Errors)
  router.get('/services.json', (ctx) => {
    ctx.body = open311.services()
  })
  router.get('/services/:code.json', (ctx) => {
    ctx.body = [open311.service(parseParams(ctx, ServiceCodeParams).code)]
  })
  router.get('/requests.json', async (ctx) => {
    ctx.body = await open311.requests(parseQuery(ctx, RequestsQuery))
  })
  router.get('/requests/:id.json', async (ctx) => {
    ctx.body = [await open311.request(parseParams(ctx, RequestIdParams).id)]
  })
  router.post('/requests.json', async (ctx) => {
    const body = parseBody(ctx, CreateRequestInput)
    const actor = await submitter(ctx, deps.auth, body.api_key ?? parseQuery(ctx, ApiKeyQuery).api_key)
    const key = ctx.get('idempotency-key').trim() || undefined
    ctx.status = 201
    ctx.body = await open311.create(body, actor.personId, key)
  })
  return router
}

/** The integration filing the request: from `api_key` (param) or the X-Api-Key header; 401 without. */
async function submitter(
  ctx: Context,
  auth: Pick<AuthService, 'verifyApiKey'>,
  param: string | undefined,
): Promise<Actor> {
  if (param) return auth.verifyApiKey(param)
  const actor = ctx.state.actor as Actor | undefined
  if (actor?.via === 'api_key') return actor
  throw new DomainError('UNAUTHENTICATED', '提交服务请求需要 api_key')
}
