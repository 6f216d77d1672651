import Router from '@koa/router'
import { z } from 'zod'
import { exampleOf } from './openapi-examples.js'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** Koa `:param` → OpenAPI `{param}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}')
}

/** A request header a route reads (besides the credentials). */
export interface HeaderDoc {
  name: string
  required: boolean
  description: string
  schema: Record<string, unknown>
  example: string
}

/** What a route takes and gives, from the same zod schemas the route validates with. */
export interface RouteDoc {
  method: HttpMethod
  /** Koa-style path, e.g. `/api/v1/cases/:number`. */
  path: string
  /** One line in Chinese: what the operation does for its caller. */
  summary: string
  /** Longer notes in Chinese (rules the schema cannot say, such as "结束时间要晚于开始时间"). */
  description?: string
  tags?: string[]
  /** Who may call it, in words and roles (shown in the docs). */
  auth?: 'none' | 'token' | 'api_key' | 'token_or_api_key'
  roles?: string[]
  /** Path parameters, when their names' defaults (PATH_PARAMS) do not fit. */
  params?: z.ZodType
  body?: z.ZodType
  /** A raw (non-JSON) request body: its accepted media types. */
  consumes?: string[]
  query?: z.ZodType
  headers?: HeaderDoc[]
  response?: z.ZodType
  /** Non-JSON responses (png, svg, csv, html, xml). */
  produces?: string
  /** The success statuses, when not just 200 (e.g. [201, 200] for a create that replays). */
  status?: number[]
  /** Error body shape: the API's `{error}` (default) or GeoReport's list of `{code, description}`. */
  errors?: 'api' | 'georeport'
  /** When the route answers 503 for a reason of its own (beyond the database being away). */
  unavailable?: string
  /** Examples: the request body and the success response (default: built from the schemas). */
  example?: { body?: unknown; response?: unknown }
}

/** The header that makes a create safe to retry (`POST /cases`, `/worker/walk-in`, Open311). */
export const IDEMPOTENCY_KEY_HEADER = (required: boolean): HeaderDoc => ({
  name: 'Idempotency-Key',
  required,
  description: required
    ? '必填。客户端为每次提交生成的唯一编号（8–100 位字母、数字或 _ . : -）；网络重试时带同一个编号，不会重复立案，返回 200 和原来的工单'
    : '可选。同一个编号重复提交只立案一次',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,100}$' },
  example: 'mp-20261207-3f9c2a71',
})

const OBJECT_ID = { type: 'string', pattern: '^[0-9a-f]{24}$', example: '6b16be1876cfc39c749f3f86' }
const CASE_NUMBER = { type: 'string', pattern: '^[0-9]{6}-[0-9]{4,}$', example: '261207-0001' }

/** Path parameters by name: what the routes accept (each route's zod params say the same). */
const PATH_PARAMS: Record<string, Record<string, unknown>> = {
  id: { ...OBJECT_ID, description: '编号（24 位十六进制）' },
  number: { ...CASE_NUMBER, description: '工单编号（年月日-序号，如 261207-0001）' },
  file: {
    type: 'string',
    pattern: '^[0-9a-f]{64}\\.(jpg|png|webp)$',
    example: `${'0'.repeat(63)}1.jpg`,
    description: '照片文件名',
  },
  ticket: {
    type: 'string',
    pattern: '^[A-Za-z0-9_-]{32}$',
    example: 'MEVV-vw860PyJoUtFeDAEKaqKRSApDbw',
    description: '扫码登录票据',
  },
  code: { type: 'string', pattern: '^[a-z_]+$', example: 'facility_repair', description: '服务代码' },
  docId: {
    type: 'string',
    minLength: 1,
    maxLength: 120,
    example: 'kh-parking-rules',
    description: '文档编号',
  },
  questionId: { type: 'string', minLength: 1, maxLength: 100, example: '6b16be1876cfc39c749f3f86' },
  roomId: {
    type: 'string',
    minLength: 1,
    maxLength: 100,
    example: 'demo-kh01@chatroom',
    description: '模拟群编号',
  },
  contactId: { type: 'string', minLength: 1, maxLength: 100, example: 'cmxdcnyze000uy37d73hf4pjg' },
  building: { type: 'string', minLength: 1, maxLength: 20, example: '3', description: '楼号' },
}

/**
 * Object keys the API refuses anywhere in a JSON body (`validate.ts`): `$…` (MongoDB operators) and
 * keys with NUL. Said on every open object so clients do not send them.
 */
const ALLOWED_KEY = { pattern: '^([^$\\u0000][^\\u0000]*)?$' }

/**
 * JSON Schema of a zod schema as clients should read it: dates as RFC 3339 strings, pairs as
 * two-number arrays, open objects saying which keys are refused.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    io,
    override: (ctx) => {
      const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def
      if (def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' })
    },
  }) as Record<string, unknown>
  delete out.$schema
  return tidy(out, io) as Record<string, unknown>
}

function tidy(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => tidy(n, io))
  if (!node || typeof node !== 'object') return node
  const o: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) o[k] = tidy(v, io)
  // A fixed-length tuple of one type (map outlines' [x, y]) as an array of that type: some clients
  // (schemathesis) cannot read `prefixItems`.
  if (Array.isArray(o.prefixItems) && o.items === false) {
    const first = JSON.stringify(o.prefixItems[0])
    if (o.prefixItems.every((p) => JSON.stringify(p) === first)) {
      o.items = o.prefixItems[0]
      delete o.prefixItems
    }
  }
  if (io === 'input' && o.type === 'object' && o.additionalProperties !== false && !o.propertyNames) {
    o.propertyNames = ALLOWED_KEY
    // Fields the route does not read are ignored, but their keys are checked at every depth too.
    if (o.additionalProperties === undefined) o.additionalProperties = { $ref: FREE_JSON_REF }
  }
  return o
}

const FREE_JSON_REF = '#/components/schemas/FreeJson'

/** Any JSON value whose objects have no `$…` or NUL keys, at any depth (what `validate.ts` accepts). */
const FREE_JSON = {
  description: '任意 JSON 值；其中对象的字段名不能以 $ 开头，也不能含 NUL',
  anyOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'array', items: { $ref: FREE_JSON_REF } },
    { type: 'object', propertyNames: ALLOWED_KEY, additionalProperties: { $ref: FREE_JSON_REF } },
  ],
}

const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({ example: 'INVALID_INPUT' }),
    message: z.string().meta({ example: '输入不符合要求' }),
    details: z.unknown().optional().meta({ description: '出错的字段及原因（可选）' }),
  }),
})
const GeoReportErrors = z.array(
  z.object({
    code: z.number().int().meta({ example: 400 }),
    description: z.string().meta({ example: '请求参数不正确（lat：纬度要在 -90 到 90 之间）' }),
  }),
)

const ERROR_TEXT: Record<string, string> = {
  '400': '请求内容不符合要求（code 为 INVALID_INPUT，message 说明原因）',
  '401': '没有登录或登录已过期（UNAUTHENTICATED）',
  '403': '没有这个操作的权限（FORBIDDEN）',
  '404': '要找的对象不存在，或不在您的管辖范围（NOT_FOUND）',
  '429': '请求太频繁，请按 Retry-After 头等待后再试（RATE_LIMITED）',
  '4XX': '其他请求错误：409 状态冲突、413 内容太大、415 类型不支持、422 无法处理',
  '503': '服务暂时不可用（数据库或所依赖的服务暂时连不上），请稍后重试（UNAVAILABLE）',
}

const STATUS_TEXT: Record<number, string> = {
  200: '成功',
  201: '已创建',
  202: '已接受，稍后处理',
  204: '成功，无返回内容',
}
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
    /**
     * The methods documented for a concrete path, its parameters held to their patterns (so
     * `/api/v1/events/checkin` is not taken for `/api/v1/events/{id}`); empty for an unknown path.
     */
    allowedMethods(path: string): string[] {
      const methods = new Set<string>()
      for (const d of docs) if (pathMatcher(d).test(path)) methods.add(d.method.toUpperCase())
      if (methods.has('GET')) methods.add('HEAD')
      return methods.size > 0 ? [...methods, 'OPTIONS'] : []
    },
    document(info: { title: string; version: string; serverUrl?: string }) {
      const paths: Record<string, Record<string, unknown>> = {}
      const operationIds = new Set<string>()
      for (const d of docs) {
        const p = toOpenApiPath(d.path)
        paths[p] = {
          ...(paths[p] ?? {}),
          [d.method]: operation(d, uniqueOperationId(d.method, d.path, operationIds)),
        }
      }
      return {
        openapi: '3.1.0',
        info: {
          ...info,
          description: API_DESCRIPTION,
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: info.serverUrl ?? '/', description: '本服务' }],
        tags: TAGS,
        paths,
        components: {
          schemas: { FreeJson: FREE_JSON },
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description:
                '访问令牌：小程序 /api/v1/auth/wx-login、工作台扫码登录或演示环境 /api/v1/auth/dev-login 取得',
            },
            apiKey: {
              type: 'apiKey',
              in: 'header',
              name: 'X-Api-Key',
              description: '系统对接密钥：管理员在 /api/v1/auth/api-keys 创建',
            },
          },
        },
      }
    },
  }
}

/** One operation of the document: parameters, body, every status the route answers, examples. */
function operation(d: RouteDoc, operationId: string): Record<string, unknown> {
  const secured = Boolean(d.auth && d.auth !== 'none')
  const pathParams = pathParameters(d)
  const query = d.query ? queryParameters(d.query) : []
  const headers = (d.headers ?? []).map((h) => ({
    name: h.name,
    in: 'header',
    required: h.required,
    description: h.description,
    schema: h.schema,
    example: h.example,
  }))
  const op: Record<string, unknown> = {
    operationId,
    summary: d.summary,
    ...(d.description ? { description: d.description } : {}),
    tags: d.tags ?? [],
    parameters: [...pathParams, ...query, ...headers],
    responses: responses(
      d,
      secured,
      pathParams.length > 0 || query.length > 0 || Boolean(d.body || d.consumes),
    ),
  }
  // A public route says so (`security: []`), so clients do not send credentials it ignores.
  op.security = !secured
    ? []
    : d.auth === 'api_key'
      ? [{ apiKey: [] }]
      : d.auth === 'token'
        ? [{ bearer: [] }]
        : [{ bearer: [] }, { apiKey: [] }]
  if (d.roles) op['x-roles'] = d.roles
  const content: Record<string, unknown> = {}
  if (d.body) {
    const schema = jsonSchema(d.body)
    content['application/json'] = { schema, example: d.example?.body ?? exampleOf(schema) }
  }
  for (const type of d.consumes ?? [])
    content[type] =
      type === 'application/x-www-form-urlencoded' && d.body
        ? { schema: jsonSchema(d.body) }
        : { schema: { type: 'string', contentMediaType: type } }
  if (Object.keys(content).length > 0) op.requestBody = { required: true, content }
  return op
}

const matchers = new WeakMap<RouteDoc, RegExp>()

/** A RegExp for the concrete paths a route serves, each parameter held to its documented pattern. */
function pathMatcher(d: RouteDoc): RegExp {
  const known = matchers.get(d)
  if (known) return known
  const params = new Map(pathParameters(d).map((p) => [p.name as string, p.schema as { pattern?: string }]))
  const source = d.path
    .split(/([:*][A-Za-z0-9_]+)/)
    .map((part) => {
      if (part.startsWith('*')) return '(.*)'
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      const pattern = params.get(part.slice(1))?.pattern
      return pattern ? `(${pattern.replace(/^\^/, '').replace(/\$$/, '')})` : '([^/]+)'
    })
    .join('')
  const re = new RegExp(`^${source}$`)
  matchers.set(d, re)
  return re
}

function pathParameters(d: RouteDoc): Array<Record<string, unknown>> {
  const declared = d.params
    ? (jsonSchema(d.params) as { properties?: Record<string, Record<string, unknown>> })
    : undefined
  return [...d.path.matchAll(/[:*]([A-Za-z0-9_]+)/g)].map((m) => {
    const name = m[1] as string
    const given = declared?.properties?.[name]
    const byName = PATH_PARAMS[name] ?? { type: 'string', minLength: 1 }
    const { description, example, ...schema } = (
      given ? { description: byName.description, ...given } : byName
    ) as Record<string, unknown>
    return {
      name,
      in: 'path',
      required: true,
      ...(description ? { description } : {}),
      schema,
      example: example ?? exampleOf(schema),
    }
  })
}

function responses(d: RouteDoc, secured: boolean, takesInput: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const status of d.status ?? [200]) {
    if (status === 204) {
      out[status] = { description: STATUS_TEXT[status] }
      continue
    }
    if (d.produces) {
      const schema =
        d.produces === 'text/xml'
          ? { type: 'string', contentMediaType: 'text/xml' }
          : d.produces.startsWith('image/png')
            ? { type: 'string', contentMediaType: 'image/png' }
            : { type: 'string' }
      out[status] = { description: STATUS_TEXT[status] ?? '成功', content: { [d.produces]: { schema } } }
      continue
    }
    const schema = d.response ? jsonSchema(d.response, 'output') : undefined
    out[status] = {
      description: STATUS_TEXT[status] ?? '成功',
      ...(schema
        ? { content: { 'application/json': { schema, example: d.example?.response ?? exampleOf(schema) } } }
        : {}),
    }
  }
  const errorContent =
    d.errors === 'georeport'
      ? d.produces === 'text/xml'
        ? { 'text/xml': { schema: { type: 'string', contentMediaType: 'text/xml' } } }
        : { 'application/json': { schema: jsonSchema(GeoReportErrors, 'output') } }
      : { 'application/json': { schema: jsonSchema(ErrorBody, 'output') } }
  const codes = [
    ...(takesInput ? ['400'] : []),
    ...(secured ? ['401', '403'] : []),
    ...(/:[A-Za-z]/.test(d.path) ? ['404'] : []),
    '429',
    '4XX',
    '503',
  ]
  for (const code of codes) {
    out[code] = {
      description:
        code === '503' && d.unavailable ? `${d.unavailable}；${ERROR_TEXT[code]}` : ERROR_TEXT[code],
      ...(code === '429' || code === '503' ? { headers: RETRY_AFTER } : {}),
      content: errorContent,
    }
  }
  return out
}

const RETRY_AFTER = {
  'Retry-After': { description: '建议多少秒后重试', schema: { type: 'string' }, required: false },
}

const API_DESCRIPTION = `邻里（Linli）的 REST 接口：居民小程序、网格员、部门和社区工作人员的工作台都用这一套接口。

## 怎样取得访问令牌

- **小程序**：调用 wx.login 取得 code，POST /api/v1/auth/wx-login 换取 accessToken 和 refreshToken；员工首次登录时附上社区发的邀请码。
- **工作台**：打开 /console/，用已登录的小程序扫码确认（POST /api/v1/auth/console-tickets 生成二维码）。
- **演示环境**（npm run demo，生产环境关闭）：POST /api/v1/auth/dev-login {"name":"郝主任"} 直接取得令牌。
- **系统对接**：管理员 POST /api/v1/auth/api-keys 创建密钥，请求时放在 X-Api-Key 头里。

之后每个请求带上 \`Authorization: Bearer <accessToken>\`。令牌过期（401）时用 POST /api/v1/auth/refresh 换新。

## 约定

- 出错时返回 4xx/503 和 {"error":{"code","message","details"}}，message 是可以直接给用户看的中文。
- 新建工单（POST /api/v1/cases、/api/v1/worker/walk-in）必须带 Idempotency-Key 头，重试不会重复立案。
- 手机号、身份证号在所有列表和详情里都是打码的；查看原文要调用 reveal 接口并写明理由，会被审计。
- Open311（/open311/…）遵循 GeoReport v2：每个接口都有 .json 和 .xml，错误是 [{"code","description"}]。`

const TAGS = [
  { name: 'auth', description: '登录、令牌、邀请码和 API 密钥' },
  { name: 'cases', description: '工单：居民反映、网格员处理、部门认领' },
  { name: 'community', description: '社区工作人员的工单管理' },
  { name: 'open311', description: 'Open311 GeoReport v2 对接接口' },
]

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
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<style>
body{font:15px/1.6 system-ui,"Noto Sans CJK SC",sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#1f2328}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de}h3{margin:.2em 0}
.intro{background:#f6f8fa;border-radius:8px;padding:.6em 1.2em}
.op{border:1px solid #d0d7de;border-radius:8px;margin:.6em 0;padding:.4em 1em}
.op>summary{cursor:pointer;padding:.3em 0}.op>summary:focus-visible{outline:3px solid #0969da}
.m{font-weight:700;text-transform:uppercase;display:inline-block;min-width:4.2em;color:#fff;border-radius:4px;text-align:center;font-size:13px;margin-right:.4em}
.get{background:#0969da}.post{background:#1a7f37}.patch,.put{background:#9a6700}.delete{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:.4em 0}td,th{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top;font-size:14px}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:13px;border-radius:6px}code{font-size:13px}
.who{color:#57606a;font-size:14px}
</style></head><body>
<h1>${title}</h1>
<p>机器可读版本（OpenAPI 3.1）：<a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>
<div class="intro" id="intro">加载中…</div><div id="ops"></div>
<script>
const el=(tag,text,cls)=>{const e=document.createElement(tag);if(text!==undefined)e.textContent=text;if(cls)e.className=cls;return e};
const AUTH={bearer:'需要登录（Authorization: Bearer 访问令牌）',apiKey:'API 密钥（X-Api-Key 头）'};
function intro(md){const box=document.getElementById('intro');box.textContent='';let ul=null;
  for(const line of md.split('\\n')){
    if(line.startsWith('## ')){ul=null;box.append(el('h3',line.slice(3)));continue}
    if(line.startsWith('- ')){if(!ul){ul=el('ul');box.append(ul)}ul.append(el('li',line.slice(2).replace(/\\*\\*/g,'')));continue}
    ul=null;if(line.trim())box.append(el('p',line));
  }}
function schemaText(s){if(!s)return'';const p=[];if(s.type)p.push(s.type);if(s.format)p.push('格式 '+s.format);if(s.pattern)p.push('规则 '+s.pattern);if(s.enum)p.push('可选 '+s.enum.join(' / '));if(s.minimum!==undefined)p.push('≥ '+s.minimum);if(s.maximum!==undefined)p.push('≤ '+s.maximum);if(s.maxLength)p.push('最多 '+s.maxLength+' 字');return p.join('，')}
fetch('/api/v1/openapi.json').then(r=>r.json()).then(doc=>{
  intro(doc.info.description||'');
  const tagText=Object.fromEntries((doc.tags||[]).map(t=>[t.name,t.description]));
  const groups={};
  for(const [p,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops)){const t=(op.tags&&op.tags[0])||'其他';(groups[t]=groups[t]||[]).push([p,m,op])}
  const root=document.getElementById('ops');
  for(const [tag,list] of Object.entries(groups)){
    root.append(el('h2',tagText[tag]?tag+' — '+tagText[tag]:tag));
    for(const [p,m,op] of list){
      const d=el('details',undefined,'op');d.id=op.operationId;
      const s=el('summary');s.append(el('span',m,'m '+m),el('code',p),document.createTextNode(' — '+op.summary));d.append(s);
      if(op.description)d.append(el('p',op.description));
      const sec=op.security||[];
      d.append(el('p',(sec.length?sec.map(x=>AUTH[Object.keys(x)[0]]).join('，或 '):'公开接口，无需登录')+(op['x-roles']?'。角色：'+op['x-roles'].join('、'):'')+'。operationId：'+op.operationId,'who'));
      if(op.parameters&&op.parameters.length){const t=el('table');const h=el('tr');for(const c of ['参数','位置','必填','说明','示例'])h.append(el('th',c));t.append(h);
        for(const x of op.parameters){const r=el('tr');r.append(el('td',x.name),el('td',{path:'路径',query:'查询',header:'请求头'}[x.in]||x.in),el('td',x.required?'是':'否'),el('td',[x.description,schemaText(x.schema)].filter(Boolean).join('；')),el('td',x.example===undefined?'':String(x.example)));t.append(r)}d.append(t)}
      const body=op.requestBody&&op.requestBody.content;
      if(body){d.append(el('h3','请求体（'+Object.keys(body).join('、')+'）'));const j=body['application/json'];if(j&&j.example!==undefined)d.append(el('pre',JSON.stringify(j.example,null,2)))}
      const t=el('table');const h=el('tr');h.append(el('th','状态码'),el('th','含义'));t.append(h);
      for(const [code,r] of Object.entries(op.responses)){const row=el('tr');row.append(el('td',code),el('td',r.description||''));t.append(row)}
      d.append(el('h3','返回'),t);
      for(const [code,r] of Object.entries(op.responses)){const j=r.content&&r.content['application/json'];if(code.startsWith('2')&&j&&j.example!==undefined){d.append(el('p','返回示例（'+code+'）：'),el('pre',JSON.stringify(j.example,null,2)));break}}
      root.append(d);
    }
  }
  if(location.hash){const t=document.getElementById(location.hash.slice(1));if(t){t.open=true;t.scrollIntoView()}}
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
