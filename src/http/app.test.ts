import Router from '@koa/router'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConflictError, NotFoundError } from '../lib/errors.js'
import { silentLogger } from '../lib/logger.js'
import { sourcesOf } from '../services/channels/channel.js'
import { createScriptedChannel } from '../services/channels/scripted-channel.js'
import { createApp } from './app.js'
import { healthRoutes } from './health.routes.js'

function appWith(router: Router, ping: () => Promise<void> = async () => undefined) {
  return createApp({
    logger: silentLogger,
    bodyLimitKb: 1,
    routers: [healthRoutes({ pingDatabase: ping, isShuttingDown: () => false }), router],
  }).callback()
}

const router = new Router({ prefix: '/api/v1' })
router.get('/missing', () => {
  throw new NotFoundError('工单')
})
router.post('/echo', (ctx) => {
  const body = z.object({ name: z.string().min(1) }).parse(ctx.request.body)
  ctx.body = body
})
router.post('/taken', () => {
  throw new ConflictError('已被其他部门接单')
})
router.get('/boom', () => {
  throw new Error('secret internals at /srv/linli')
})

describe('HTTP app', () => {
  it('answers /healthz and /readyz when the database answers', async () => {
    const app = appWith(router)
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' })
    const ready = await request(app).get('/readyz')
    expect(ready.status).toBe(200)
  })

  it("shows each channel's health in /readyz without letting a dead channel make it unready", async () => {
    const wechaty = createScriptedChannel('wechaty')
    const wecom = createScriptedChannel('wecom_app')
    wechaty.deadAfter(0)
    await wechaty
      .send({ channel: 'wechaty', id: 'room:r' }, { key: 'k', purpose: 'reply', text: '在' })
      .catch(() => undefined)
    const app = createApp({
      logger: silentLogger,
      bodyLimitKb: 1,
      routers: [
        healthRoutes({
          pingDatabase: async () => undefined,
          isShuttingDown: () => false,
          channels: () => sourcesOf([wechaty, wecom]),
        }),
      ],
    }).callback()
    const ready = await request(app).get('/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body).toEqual({
      status: 'ready',
      database: 'ok',
      channels: { wechaty: 'down', wecom_app: 'up' },
    })
  })

  it('answers /readyz with 503 and a reason when the database does not', async () => {
    const app = appWith(router, async () => {
      throw new Error('connection refused')
    })
    const res = await request(app).get('/readyz')
    expect(res.status).toBe(503)
    expect(res.body.reason).toMatch(/connection refused/)
  })

  it('turns domain errors into {error:{code,message}} with the right status', async () => {
    const app = appWith(router)
    const missing = await request(app).get('/api/v1/missing')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: '工单不存在' } })
    const taken = await request(app).post('/api/v1/taken').send({})
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('CONFLICT')
  })

  it('rejects invalid, malformed and oversized bodies with 4xx, never 500', async () => {
    const app = appWith(router)
    const invalid = await request(app).post('/api/v1/echo').send({ name: 42 })
    expect(invalid.status).toBe(400)
    expect(invalid.body.error.details[0].path).toBe('name')
    const malformed = await request(app)
      .post('/api/v1/echo')
      .set('content-type', 'application/json')
      .send('{"name":')
    expect(malformed.status).toBe(400)
    expect(malformed.body.error.code).toBe('INVALID_INPUT')
    const huge = await request(app)
      .post('/api/v1/echo')
      .send({ name: 'x'.repeat(5000) })
    expect(huge.status).toBe(413)
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('hides internals of unexpected errors and returns the request id', async () => {
    const res = await request(app()).get('/api/v1/boom').set('x-request-id', 'req-123')
    expect(res.status).toBe(500)
    expect(JSON.stringify(res.body)).not.toMatch(/secret internals/)
    expect(res.body.error.details.requestId).toBe('req-123')
    expect(res.headers['x-request-id']).toBe('req-123')
  })

  it('answers unknown routes with a 404 in the error format', async () => {
    const res = await request(app()).get('/api/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NOT_FOUND')
  })
})

function app() {
  return appWith(router)
}
