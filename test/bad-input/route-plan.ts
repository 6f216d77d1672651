import type supertest from 'supertest'
import type { ApiWorld, Who } from '../api/api-world.js'
import type { Targets } from '../api/case-targets.js'

/** The parts of a served OpenAPI operation the suite reads. */
interface Operation {
  security?: unknown[]
  'x-roles'?: string[]
  parameters?: Array<{ name: string; in: string }>
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
}

/** A JSON schema as zod renders it (only what the generators use). */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
  enum?: unknown[]
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** One served route as the suite attacks it. */
export interface PlannedRoute {
  method: Method
  /** OpenAPI path, e.g. `/api/v1/cases/{number}`. */
  path: string
  /** Who may call it: a role of the world, or `apiKey` for the GeoReport key. */
  who: Who | 'apiKey'
  /** True when the route requires credentials (anonymous must never get a 2xx). */
  secured: boolean
  params: string[]
  query: string[]
  body?: JsonSchema
  /** Routes that read a raw body (images, sheets) instead of JSON. */
  raw: boolean
}

/** Picks the world's person who holds the role the docs name first among the ones the world has. */
function callerFor(op: Operation): Who | 'apiKey' {
  if (!op.security?.length) return 'reporter'
  const roles = op['x-roles'] ?? []
  if (roles.includes('admin')) return 'admin'
  if (roles.some((r) => r.startsWith('department_staff'))) return 'dept'
  if (roles.some((r) => r.startsWith('grid_worker'))) return 'worker'
  const schemes = op.security.flatMap((s) => Object.keys(s as object))
  if (schemes.length === 1 && schemes[0] === 'apiKey') return 'apiKey'
  return 'reporter'
}

const RAW_BODY_ROUTES = new Set([
  'post /api/v1/uploads',
  'post /api/v1/admin/import',
  'post /api/v1/kb/files',
])

/** Every route and method of the OpenAPI document the app serves, with the caller to use. */
export async function planRoutes(http: ReturnType<typeof supertest>): Promise<PlannedRoute[]> {
  const res = await http.get('/api/v1/openapi.json')
  if (res.status !== 200) throw new Error(`openapi.json: ${res.status}`)
  const paths = (res.body as { paths: Record<string, Record<Method, Operation>> }).paths
  const out: PlannedRoute[] = []
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops) as Array<[Method, Operation]>) {
      const params = op.parameters ?? []
      out.push({
        method,
        path,
        who: callerFor(op),
        secured: (op.security?.length ?? 0) > 0,
        // `/console/{path}` is the console's own page router: any value is a page, not an id.
        params: params.filter((p) => p.in === 'path' && p.name !== 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema,
        raw: RAW_BODY_ROUTES.has(`${method} ${path}`),
      })
    }
  }
  return out
}

/** Real ids for every path parameter, so a request gets past routing to the body and query checks. */
export interface PathValues {
  caseNumber: string
  resolvedCase: string
  postedCase: string
  eventId: string
  noticeId: string
  pollId: string
  topicId: string
  serviceCode: string
  kbDocId: string
  kbQuestionId: string
  /** A pending console sign-in ticket for the poll, another for approve / refuse (a GET must not write). */
  consoleTicket: string
  consoleTicketToDecide: string
  /** A shop item of KH and an open redemption of 张三's. */
  shopItemId?: string
  redemptionId?: string
  volunteerNeedId: string
  proxyId: string
}

/** The concrete URL of a route with good ids, or with `override` in place of one parameter. */
export function concretePath(
  route: PlannedRoute,
  w: ApiWorld,
  v: PathValues,
  override?: { param: string; value: string },
): string {
  return route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (override && override.param === name) return override.value
    return encodeURIComponent(goodValue(route, name, w, v))
  })
}

function goodValue(route: PlannedRoute, name: string, w: ApiWorld, v: PathValues): string {
  const p = route.path
  if (name === 'number') {
    if (p.endsWith('/rate')) return v.resolvedCase
    if (p.endsWith('/claim')) return v.postedCase
    return v.caseNumber
  }
  if (name === 'building') return '3'
  if (name === 'path') return 'cases'
  if (name === 'file') return `${'a'.repeat(64)}.jpg`
  if (name === 'code') return v.serviceCode
  if (name === 'roomId' || name === 'contactId') return 'sim-1'
  if (p.startsWith('/api/v1/events/')) return v.eventId
  if (p.startsWith('/api/v1/notices/')) return v.noticeId
  if (p.startsWith('/api/v1/polls/')) return v.pollId
  if (p.startsWith('/api/v1/deliberations/')) return v.topicId
  if (p.startsWith('/api/v1/shop/items/') && v.shopItemId) return v.shopItemId
  if (p.startsWith('/api/v1/shop/redemptions/') && v.redemptionId) return v.redemptionId
  if (p.startsWith('/api/v1/volunteer-needs/')) return v.volunteerNeedId
  if (p.startsWith('/api/v1/household-proxies/')) return v.proxyId
  if (p.startsWith('/api/v1/households/')) return String(w.home._id)
  if (p.startsWith('/api/v1/grids/')) return String(w.grid._id)
  if (p.startsWith('/api/v1/residents/')) return String(w.zhang._id)
  if (p.startsWith('/api/v1/communities/')) return String(w.community._id)
  if (p.startsWith('/open311/v2/requests/')) return v.caseNumber
  if (name === 'ticket')
    return p.endsWith('/approve') || p.endsWith('/refuse') ? v.consoleTicketToDecide : v.consoleTicket
  if (name === 'docId') return v.kbDocId
  if (name === 'questionId') return v.kbQuestionId
  throw new Error(`no good value for {${name}} in ${p}`)
}

export type { Targets }
