import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import Router from '@koa/router'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createApp } from '../../src/http/app.js'
import { answerClientErrors } from '../../src/http/client-errors.js'
import { RevealInput } from '../../src/http/routes/residents.routes.js'
import { MAX_INPUT_DEPTH, parseBody } from '../../src/http/validate.js'
import type { Logger } from '../../src/lib/logger.js'
import { silentLogger } from '../../src/lib/logger.js'

/** A small app with one validated route; `errors` collects what the error boundary logs as a 500. */
function appWithRoute() {
  const errors: unknown[] = []
  const logger = { ...silentLogger, error: (o: unknown) => errors.push(o) } as unknown as Logger
  const router = new Router()
  router.post('/x', (ctx) => {
    ctx.body = parseBody(ctx, z.object({ code: z.string(), extra: z.unknown().optional() }))
  })
  const app = createApp({ logger, bodyLimitKb: 256, routers: [router] })
  return { http: supertest(app.callback()), errors }
}

describe('bad-input regressions', () => {
  // Found by the bad-input suite: a 5,000-level body overflowed the stack in the operator-key check
  // (500 INTERNAL on every JSON route, including the anonymous login); 1,000 levels took 330 ms.
  it('answers a body nested 40,000 levels deep with a quick 400, not a 500', async () => {
    const { http, errors } = appWithRoute()
    for (const depth of [MAX_INPUT_DEPTH + 1, 5_000, 40_000]) {
      const body = `{"code":"a","extra":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`
      const started = performance.now()
      const res = await http.post('/x').set('content-type', 'application/json').send(body)
      expect(res.status, `depth ${depth}`).toBe(400)
      expect(res.body.error.message).toBe('输入的嵌套层级太深')
      expect(performance.now() - started).toBeLessThan(1_000)
    }
    const arrays = `{"code":"a","extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect((await http.post('/x').set('content-type', 'application/json').send(arrays)).status).toBe(400)
    expect(errors).toEqual([])
  })

  it('still accepts ordinary nesting and still refuses operator keys at any depth', async () => {
    const { http } = appWithRoute()
    const ok = await http.post('/x').send({ code: 'a', extra: { a: [{ b: { c: 1 } }] } })
    expect(ok.status).toBe(200)
    const op = await http.post('/x').send({ code: 'a', extra: { a: [{ b: { $where: '1' } }] } })
    expect(op.status).toBe(400)
    expect(op.body.error.details[0].path).toBe('extra.a.0.b.$where')
  })

  // Found by the bad-input suite: the routers answered an unknown verb (PROPFIND) with 501 and a wrong
  // one (GET on a POST-only path) with an empty 405 — no error body, and a 5xx for a caller's mistake.
  it('answers a wrong or unknown method with a 405 and a Chinese error body', async () => {
    const { http } = appWithRoute()
    for (const res of [await http.get('/x'), await http.propfind('/x'), await http.purge('/x')]) {
      expect(res.status).toBe(405)
      expect(res.body.error).toEqual({ code: 'INVALID_INPUT', message: '不支持的请求方法' })
    }
  })
})

describe('personal-data reasons', () => {
  // Found by the bad-input suite: reveal/export/erase accepted a "reason" made only of zero-width
  // marks or lone surrogates (the audit log then records no reason at all).
  it('refuse a reason with no letters or digits, accept a short real one', () => {
    for (const reason of ['\u200b\u200c\u200d', '\udc00\ud800', '\u202e\u202d', '！！', '\ufeff\u200b'])
      expect(RevealInput.safeParse({ reason }).success, JSON.stringify(reason)).toBe(false)
    expect(RevealInput.safeParse({ reason: '入户走访核实' }).success).toBe(true)
    expect(RevealInput.safeParse({ reason: '回访' }).success).toBe(true)
  })
})

describe('requests the HTTP parser rejects', () => {
  // Found by the bad-input suite: a URL over 16 KiB got Node's bare 431 with no error body.
  it('get the JSON error body with a Chinese message (long URL 431, garbage request line 400)', async () => {
    const server = createServer((_req, res) => res.end('ok'))
    answerClientErrors(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const { port } = server.address() as AddressInfo
    try {
      const long = await fetch(`http://127.0.0.1:${port}/api/v1/cases/mine?cursor=${'x'.repeat(20_000)}`)
      expect(long.status).toBe(431)
      expect(((await long.json()) as { error: { message: string } }).error.message).toBe('网址或请求头太长')
      const raw = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write('HELLO THERE\r\n\r\n'))
        let text = ''
        socket.on('data', (d) => {
          text += d.toString()
        })
        socket.on('close', () => resolve(text))
      })
      expect(raw).toMatch(/^HTTP\/1\.1 400/)
      expect(raw).toContain('"message":"请求格式不正确"')
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})
