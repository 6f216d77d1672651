import { Ajv2020 } from 'ajv/dist/2020.js'
import formats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { servedRoutes, toOpenApiPath } from '../../src/http/openapi.js'
import { botRoutes } from '../../src/http/routes/bot.routes.js'
import { consoleRoutes } from '../../src/http/routes/console.routes.js'
import { simRoutes } from '../../src/http/routes/sim.routes.js'
import { wecomRoutes } from '../../src/http/routes/wecom.routes.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp } from './api-world.js'

type Doc = {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, Record<string, unknown>>>
}

describe('OpenAPI document', () => {
  useTestDatabase()

  it('describes every route of every router startService mounts (bot and simulator included)', () => {
    const api = makeApiApp()
    // The bot and simulator routers exist only with a running bot, the dev staff list only with dev login.
    const optional = [
      botRoutes({} as never),
      wecomRoutes({} as never),
      simRoutes({} as never),
      consoleRoutes({ auth: { devLoginEnabled: true } }),
    ]
    const served = servedRoutes([...api.routers, ...optional])
    expect(served.length).toBeGreaterThan(70)
    const documented = new Set(api.docs.all().map((d) => `${d.method} ${d.path}`))
    const missing = served.map((r) => `${r.method} ${r.path}`).filter((k) => !documented.has(k))
    expect(missing).toEqual([])
    const doc = api.docs.document({ title: 't', version: '1' }) as Doc
    for (const r of served)
      expect(doc.paths[toOpenApiPath(r.path)]?.[r.method], `${r.method} ${r.path}`).toBeDefined()
  })

  it('is a structurally valid OpenAPI 3.1 document served at /api/v1/openapi.json, with a docs page', async () => {
    const api = makeApiApp()
    const res = await api.http.get('/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = res.body as Doc
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info.title).toContain('Linli')
    const methods = new Set(['get', 'post', 'put', 'patch', 'delete'])
    const operationIds = new Set<string>()
    expect((doc as { servers?: Array<{ url: string }> }).servers?.[0]?.url).toBeTruthy()
    for (const [p, ops] of Object.entries(doc.paths)) {
      expect(p.startsWith('/')).toBe(true)
      const pathParams = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      for (const [method, op] of Object.entries(ops)) {
        expect(methods.has(method), `${method} ${p}`).toBe(true)
        expect(typeof op.summary).toBe('string')
        // Every operation has a unique id and says how it is secured (`[]`: public).
        const id = op.operationId as string
        expect(id, `${method} ${p}`).toMatch(/^[a-z]+[A-Za-z0-9]*$/)
        expect(operationIds.has(id), `${id} twice`).toBe(false)
        operationIds.add(id)
        expect(Array.isArray(op.security), `${method} ${p} security`).toBe(true)
        const responses = op.responses as Record<string, { description?: string }>
        const ok = Object.keys(responses).filter((code) => /^2\d\d$/.test(code))
        expect(ok.length, `${method} ${p}`).toBeGreaterThan(0)
        for (const code of ok) expect(responses[code]?.description, `${method} ${p} ${code}`).toBeTruthy()
        const params = (op.parameters as Array<{ name: string; in: string; required?: boolean }>) ?? []
        for (const name of pathParams)
          expect(
            params.some((x) => x.in === 'path' && x.name === name && x.required),
            `${p} {${name}}`,
          ).toBe(true)
        const body = op.requestBody as
          | { content?: Record<string, { schema?: { type?: string } }> }
          | undefined
        if (body)
          for (const [type, media] of Object.entries(body.content ?? {}))
            expect(media.schema, `${method} ${p} ${type}`).toBeTruthy()
      }
    }
    const open = doc.paths['/api/v1/cases']?.post as {
      requestBody: {
        content: Record<
          string,
          { schema: { properties: Record<string, unknown>; additionalProperties?: boolean } }
        >
      }
    }
    expect((doc.paths['/api/v1/cases/{number}']?.get as { operationId?: string })?.operationId).toBe(
      'getApiV1CasesByNumber',
    )
    expect((doc.paths['/healthz']?.get as { security?: unknown[] })?.security).toEqual([])
    const schema = open.requestBody.content['application/json']?.schema
    expect(Object.keys(schema?.properties ?? {})).toEqual(expect.arrayContaining(['text', 'photos']))
    expect(schema?.properties).not.toHaveProperty('status')
    expect(schema?.additionalProperties).toBe(false)
    const page = await api.http.get('/api/v1/docs')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.text).toContain('/api/v1/openapi.json')
  })

  it('states what the server does: statuses, the Idempotency-Key header, id and case-number patterns', () => {
    const api = makeApiApp()
    const doc = api.docs.document({ title: 't', version: '1' }) as Doc
    type Op = {
      responses: Record<string, unknown>
      parameters: Array<{ name: string; in: string; required: boolean; schema: { pattern?: string } }>
      requestBody?: { content: Record<string, unknown> }
    }
    const op = (p: string, m: string) => doc.paths[p]?.[m] as unknown as Op
    // Creates answer 201 (a replay with the same Idempotency-Key: 200); logout 204; sim messages 202.
    expect(Object.keys(op('/api/v1/cases', 'post').responses)).toEqual(expect.arrayContaining(['201', '200']))
    expect(Object.keys(op('/api/v1/auth/api-keys', 'post').responses)).toContain('201')
    expect(Object.keys(op('/api/v1/auth/api-keys', 'post').responses)).not.toContain('200')
    expect(Object.keys(op('/api/v1/auth/logout', 'post').responses)).toContain('204')
    expect(Object.keys(op('/api/v1/sim/rooms/{roomId}/messages', 'post').responses)).toContain('202')
    expect(Object.keys(op('/api/v1/auth/wx-login', 'post').responses)).toContain('503')
    for (const path of ['/api/v1/cases', '/api/v1/worker/walk-in']) {
      const key = op(path, 'post').parameters.find((x) => x.name === 'Idempotency-Key')
      expect(key, path).toMatchObject({ in: 'header', required: true })
    }
    const byId = op('/api/v1/notices/{id}', 'get').parameters.find((x) => x.name === 'id')
    expect(byId?.schema.pattern).toBe('^[0-9a-f]{24}$')
    const byNumber = op('/api/v1/cases/{number}', 'get').parameters.find((x) => x.name === 'number')
    expect(new RegExp(byNumber?.schema.pattern ?? '').test('261207-0001')).toBe(true)
    expect(new RegExp(byNumber?.schema.pattern ?? '').test('abc')).toBe(false)
    // Raw uploads say their media types; Open311 errors are GeoReport's list, XML in the XML routes.
    expect(Object.keys(op('/api/v1/uploads', 'post').requestBody?.content ?? {})).toEqual([
      'image/jpeg',
      'image/png',
      'image/webp',
    ])
    expect(Object.keys(op('/api/v1/admin/import', 'post').requestBody?.content ?? {})).toContain('text/csv')
    const geo = op('/open311/v2/services.json', 'get').responses['4XX'] as {
      content: Record<string, { schema: { type: string } }>
    }
    expect(geo.content['application/json']?.schema.type).toBe('array')
    const xml = op('/open311/v2/services.xml', 'get').responses['4XX'] as { content: Record<string, unknown> }
    expect(Object.keys(xml.content)).toEqual(['text/xml'])
    // No schema is left empty where the API has a rule (event times were `anyOf: [{}, …]`).
    const times = (
      (op('/api/v1/events', 'post').requestBody?.content ?? {})['application/json'] as unknown as {
        schema: { properties: Record<string, { anyOf?: Array<Record<string, unknown>> }> }
      }
    ).schema.properties.startsAt
    for (const branch of times?.anyOf ?? [])
      expect(branch).toMatchObject({ type: 'string', format: 'date-time' })
  })

  it('gives every operation an example that its own schema accepts', () => {
    const api = makeApiApp()
    const doc = api.docs.document({ title: 't', version: '1' }) as Doc
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    // ajv-formats is CommonJS: its plugin is the module itself or its `default`.
    const addFormats = (formats as unknown as { default?: typeof formats }).default ?? formats
    ;(addFormats as unknown as (a: Ajv2020) => void)(ajv)
    ajv.addSchema(doc as object, 'doc.json')
    const esc = (x: string) => x.replaceAll('~', '~0').replaceAll('/', '~1')
    const bad: string[] = []
    let examples = 0
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, raw] of Object.entries(ops)) {
        const op = raw as {
          parameters: Array<{ name: string; schema: object; example?: unknown }>
          requestBody?: { content: Record<string, { schema: object; example?: unknown }> }
          responses: Record<string, { content?: Record<string, { schema: object; example?: unknown }> }>
        }
        // Validated in the document, so `#/components/…` references resolve.
        const check = (where: string, pointer: string, example: unknown) => {
          examples++
          const ref = { $ref: `doc.json#${pointer}` }
          if (example === undefined) bad.push(`${m} ${p} ${where}: no example`)
          else if (!ajv.validate(ref, example))
            bad.push(
              `${m} ${p} ${where}: ${ajv.errorsText(ajv.errors)} in ${JSON.stringify(example).slice(0, 120)}`,
            )
        }
        const at = `/paths/${esc(p)}/${m}`
        op.parameters.forEach((param, i) => {
          if (param.example !== undefined) check(param.name, `${at}/parameters/${i}/schema`, param.example)
        })
        const json = op.requestBody?.content['application/json']
        if (json) check('request', `${at}/requestBody/content/application~1json/schema`, json.example)
        for (const [code, r] of Object.entries(op.responses)) {
          const body = r.content?.['application/json']
          if (/^2/.test(code) && body)
            check(code, `${at}/responses/${code}/content/application~1json/schema`, body.example)
        }
      }
    }
    expect(examples).toBeGreaterThan(150)
    expect(bad.join('\n')).toBe('')
  })

  it('answers OPTIONS with the methods the path really has', async () => {
    const api = makeApiApp()
    const checkin = await api.http.options('/api/v1/events/checkin')
    expect(checkin.headers.allow?.split(/,\s*/).sort()).toEqual(['OPTIONS', 'POST'])
    // A method the path does not have is a 405 naming the ones it has (not PATCH /events/:id's 400).
    const patch = await api.http.patch('/api/v1/events/checkin').send({})
    expect(patch.status).toBe(405)
    expect(patch.headers.allow).toBe('POST, OPTIONS')
    const event = await api.http.options('/api/v1/events/6b16be1876cfc39c749f3f86')
    expect(event.headers.allow?.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'PATCH']))
  })
})
