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
        expect(responses['200']?.description, `${method} ${p}`).toBeTruthy()
        const params = (op.parameters as Array<{ name: string; in: string; required?: boolean }>) ?? []
        for (const name of pathParams)
          expect(
            params.some((x) => x.in === 'path' && x.name === name && x.required),
            `${p} {${name}}`,
          ).toBe(true)
        const body = op.requestBody as
          | { content?: Record<string, { schema?: { type?: string } }> }
          | undefined
        if (body) expect(body.content?.['application/json']?.schema, `${method} ${p}`).toBeTruthy()
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
})
