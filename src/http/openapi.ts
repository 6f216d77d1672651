import Router from '@koa/router'
import { z } from 'zod'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** What a route takes and gives, from the same zod schemas the route validates with. */
export interface RouteDoc {
  method: HttpMethod
  /** Koa-style path, e.g. `/api/v1/cases/:number`. */
  path: string
  summary: string
  tags?: string[]
  /** Who may call it, in words and roles (shown in the docs). */
  auth?: 'none' | 'token' | 'api_key' | 'token_or_api_key'
  roles?: string[]
  body?: z.ZodType
  query?: z.ZodType
  response?: z.ZodType
  /** Non-JSON responses (png, svg, csv, html). */
  produces?: string
}

/** Koa `:param` → OpenAPI `{param}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<
    string,
    unknown
  >
}

const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
})

/** Collects RouteDocs from route modules and renders the OpenAPI 3.1 document. */
export function createApiDocs() {
  const docs: RouteDoc[] = []
  return {
    add(...routeDocs: RouteDoc[]) {
      docs.push(...routeDocs)
    },
    all(): readonly RouteDoc[] {
      return docs
    },
    document(info: { title: string; version: string; serverUrl?: string }) {
      const paths: Record<string, Record<string, unknown>> = {}
      const operationIds = new Set<string>()
      for (const d of docs) {
        const p = toOpenApiPath(d.path)
        const params = [...d.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
          name: m[1],
          in: 'path',
          required: true,
          schema: { type: 'string' },
        }))
        const query = d.query ? queryParameters(d.query) : []
        const op: Record<string, unknown> = {
          operationId: uniqueOperationId(d.method, d.path, operationIds),
          summary: d.summary,
          tags: d.tags ?? [],
          parameters: [...params, ...query],
          responses: {
            '200': d.produces
              ? { description: 'OK', content: { [d.produces]: {} } }
              : {
                  description: 'OK',
                  content: d.response
                    ? { 'application/json': { schema: jsonSchema(d.response) } }
                    : undefined,
                },
            '4XX': {
              description: 'The caller got something wrong',
              content: { 'application/json': { schema: jsonSchema(ErrorBody) } },
            },
          },
        }
        // A public route says so (`security: []`), so clients do not send credentials it ignores.
        op.security =
          !d.auth || d.auth === 'none'
            ? []
            : d.auth === 'api_key'
              ? [{ apiKey: [] }]
              : d.auth === 'token'
                ? [{ bearer: [] }]
                : [{ bearer: [] }, { apiKey: [] }]
        if (d.roles) op['x-roles'] = d.roles
        if (d.body)
          op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(d.body) } } }
        paths[p] = { ...(paths[p] ?? {}), [d.method]: op }
      }
      return {
        openapi: '3.1.0',
        info,
        servers: [{ url: info.serverUrl ?? '/', description: '本服务' }],
        paths,
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'access token from /api/v1/auth/wx-login',
            },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          },
        },
      }
    },
  }
}

/**
 * `getApiV1CasesByNumber` from `get /api/v1/cases/:number`: stable across releases (derived from
 * the route, not its position), unique (a clash gets a numeric suffix).
 */
function uniqueOperationId(method: string, path: string, taken: Set<string>): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by ${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
  const base = [method.toLowerCase(), ...words.map((w) => w[0]?.toUpperCase() + w.slice(1))].join('')
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}${n}`
  taken.add(id)
  return id
}

function queryParameters(schema: z.ZodType): Array<Record<string, unknown>> {
  const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] }
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }))
}

export type ApiDocs = ReturnType<typeof createApiDocs>

/** Every (method, path) the routers serve, for the test that checks each one is documented. */
export function servedRoutes(routers: Router[]): Array<{ method: HttpMethod; path: string }> {
  const out: Array<{ method: HttpMethod; path: string }> = []
  for (const r of routers) {
    for (const layer of r.stack) {
      for (const m of layer.methods) {
        const method = m.toLowerCase()
        if (method === 'head' || method === 'options') continue
        out.push({ method: method as HttpMethod, path: String(layer.path) })
      }
    }
  }
  return out
}

/** `/api/v1/openapi.json` and a readable page at `/api/v1/docs`. */
export function docsPage(title: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
.op{border:1px solid #ddd;border-radius:6px;margin:.5em 0;padding:.5em 1em}.m{font-weight:bold;text-transform:uppercase;display:inline-block;width:4em}
pre{background:#f6f8fa;padding:.5em;overflow:auto;font-size:12px}</style></head><body>
<h1>${title}</h1><p>机器可读版本：<a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p><div id="ops">加载中…</div>
<script>
fetch('/api/v1/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('ops');root.textContent='';
  for(const [p,ops] of Object.entries(doc.paths)) for(const [m,op] of Object.entries(ops)){
    const d=document.createElement('details');d.className='op';
    const s=document.createElement('summary');s.innerHTML='<span class="m"></span> <code></code> — <span></span>';
    s.children[0].textContent=m;s.children[1].textContent=p;s.children[2].textContent=op.summary+(op['x-roles']?' ['+op['x-roles'].join(', ')+']':'');
    const pre=document.createElement('pre');pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody},null,2);
    d.append(s,pre);root.append(d);
  }
});
</script></body></html>`
}

/** `/api/v1/openapi.json` (from the collected RouteDocs) and the docs page at `/api/v1/docs`. */
export function docsRoutes(docs: ApiDocs, _routers: Router[]): Router {
  const router = new Router()
  router.get('/api/v1/openapi.json', (ctx) => {
    ctx.body = docs.document({ title: '邻里 Linli API', version: '1' })
  })
  router.get('/api/v1/docs', (ctx) => {
    ctx.type = 'html'
    ctx.body = docsPage('邻里 Linli API')
  })
  return router
}
