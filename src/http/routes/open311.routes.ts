import Router from '@koa/router'
import type { Context, Next } from 'koa'
import { z } from 'zod'
import { DomainError, describeIssues } from '../../lib/errors.js'
import { toXml, type XmlValue } from '../../lib/xml.js'
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

export const Open311ServiceDefinitionBody = z.object({
  service_code: z.string(),
  attributes: z.array(z.unknown()),
})
export const Open311DiscoveryBody = z.object({
  changeset: z.string(),
  contact: z.string(),
  key_service: z.string(),
  endpoints: z.array(
    z.object({
      specification: z.string(),
      url: z.string(),
      changeset: z.string(),
      type: z.string(),
      formats: z.array(z.string()),
    }),
  ),
})
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
  service_notice: z.string(),
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  expected_datetime: z.string().nullable(),
  address: z.string(),
  address_id: z.string().nullable(),
  zipcode: z.null(),
  lat: z.number().nullable(),
  long: z.number().nullable(),
  media_url: z.null(),
})
export const Open311CreatedBody = z.array(
  z.object({ service_request_id: z.string(), service_notice: z.string(), account_id: z.string().nullable() }),
)

export const FORMATS = ['json', 'xml'] as const
export type Open311Format = (typeof FORMATS)[number]

/** GeoReport answers in the format the path's suffix names (`.json` / `.xml`). */
const formatOf = (ctx: Context): Open311Format => (ctx.path.endsWith('.xml') ? 'xml' : 'json')

/** XML element names of each GeoReport answer: the root and its repeated item. */
const XML_SHAPES = {
  services: ['services', 'service'],
  requests: ['service_requests', 'request'],
  errors: ['errors', 'error'],
} as const

function send(ctx: Context, shape: keyof typeof XML_SHAPES, body: XmlValue[]): void {
  if (formatOf(ctx) === 'json') {
    ctx.body = body
    return
  }
  const [root, item] = XML_SHAPES[shape]
  ctx.type = 'text/xml; charset=utf-8'
  ctx.body = toXml(root, body, { [root]: item })
}

/** A validator's message in Chinese as it is, else a plain Chinese sentence naming the parameter. */
const chineseIssue = (i: { path: string; message: string }) =>
  /[\u3400-\u9fff]/.test(i.message)
    ? `${i.path || '请求'}：${i.message}`
    : `参数 ${i.path || '（请求体）'} 的值不正确`

/** Errors in GeoReport's own shape: `[{code, description}]` (XML `<errors><error>…`), code = HTTP status. */
async function open311Errors(ctx: Context, next: Next): Promise<void> {
  try {
    await next()
  } catch (err) {
    if (err instanceof z.ZodError) {
      ctx.status = 400
      const what = describeIssues(err.issues).map(chineseIssue)
      send(ctx, 'errors', [{ code: 400, description: `请求参数不正确（${what.join('；')}）` }])
      return
    }
    if (!(err instanceof DomainError)) throw err
    ctx.status = STATUS_BY_CODE[err.code]
    send(ctx, 'errors', [{ code: ctx.status, description: err.message }])
  }
}

/**
 * Open311 GeoReport v2 at `/open311/v2/`, every endpoint as `.json` and `.xml`: `services`,
 * `services/{code}` (the service definition), `requests` (GET, and POST with an API key),
 * `requests/{id}`; the discovery document at `/open311/discovery.{json,xml}`.
 */
export function open311Routes(deps: {
  open311: Open311Facade
  auth: Pick<AuthService, 'verifyApiKey'>
  /** The public base URL the discovery document names (e.g. https://linli.example.cn). */
  publicUrl?: string
}): Router {
  const { open311 } = deps
  const router = new Router({ prefix: '/open311' })
  router.use(open311Errors)
  for (const f of FORMATS) {
    router.get(`/discovery.${f}`, (ctx) => {
      const doc = discoveryDocument(deps.publicUrl ?? (ctx.host ? `${ctx.protocol}://${ctx.host}` : ''))
      if (f === 'json') ctx.body = doc
      else {
        ctx.type = 'text/xml; charset=utf-8'
        ctx.body = toXml('discovery', doc as unknown as XmlValue, {
          endpoints: 'endpoint',
          formats: 'format',
        })
      }
    })
    router.get(`/v2/services.${f}`, (ctx) => {
      send(ctx, 'services', open311.services() as unknown as XmlValue[])
    })
    router.get(`/v2/services/:code.${f}`, (ctx) => {
      const definition = open311.serviceDefinition(parseParams(ctx, ServiceCodeParams).code)
      if (f === 'json') ctx.body = definition
      else {
        ctx.type = 'text/xml; charset=utf-8'
        ctx.body = toXml('service_definition', { ...definition }, { attributes: 'attribute' })
      }
    })
    router.get(`/v2/requests.${f}`, async (ctx) => {
      send(ctx, 'requests', (await open311.requests(parseQuery(ctx, RequestsQuery))) as unknown as XmlValue[])
    })
    router.get(`/v2/requests/:id.${f}`, async (ctx) => {
      send(ctx, 'requests', [
        (await open311.request(parseParams(ctx, RequestIdParams).id)) as unknown as XmlValue,
      ])
    })
    router.post(`/v2/requests.${f}`, async (ctx) => {
      const body = parseBody(ctx, CreateRequestInput)
      const actor = await submitter(ctx, deps.auth, body.api_key ?? parseQuery(ctx, ApiKeyQuery).api_key)
      const key = ctx.get('idempotency-key').trim() || undefined
      ctx.status = 201
      send(ctx, 'requests', (await open311.create(body, actor.personId, key)) as unknown as XmlValue[])
    })
  }
  return router
}

/** GeoReport's discovery document: where the v2 endpoint is and what it speaks. */
export function discoveryDocument(base: string) {
  return {
    changeset: DISCOVERY_CHANGESET,
    contact: '邻里社区服务平台（工作日 9:00–17:00，请通过所在社区居委会联系）',
    key_service: '提交服务请求需要 api_key，请向平台管理员申请',
    endpoints: [
      {
        specification: 'http://wiki.open311.org/GeoReport_v2',
        url: `${base.replace(/\/$/, '')}/open311/v2`,
        changeset: DISCOVERY_CHANGESET,
        type: 'production',
        formats: ['text/xml', 'application/json'],
      },
    ],
  }
}
const DISCOVERY_CHANGESET = '2026-12-07T00:00:00Z'

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
