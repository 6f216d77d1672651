import Router from '@koa/router'
import type { Context, Next } from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../lib/logger.js'
import { createApp } from '../app.js'
import type { Actor } from '../middleware/auth.js'
import { botRoutes } from './bot.routes.js'

/** Stands in for the authentication middleware: sets the actor named by a header. */
function actorFrom(roles: Record<string, Actor['roles']>): Router {
  const r = new Router()
  r.all('/{*rest}', async (ctx: Context, next: Next) => {
    const who = ctx.get('x-test-actor')
    const granted = roles[who]
    if (granted)
      ctx.state.actor = { personId: who, roles: granted, communityIds: [], gridIds: [], via: 'dev' }
    await next()
  })
  return r
}

describe('bot status route', () => {
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: 16,
    routers: [
      actorFrom({ admin: ['admin'], worker: ['grid_worker'] }),
      botRoutes({
        status: () => ({
          loggedIn: false,
          qrcode: 'https://login.weixin.qq.com/l/abc',
          since: new Date('2026-11-28T00:00:00Z'),
        }),
        usage: async () => ({ sentToday: 12, budget: 3000 }),
      }),
    ],
  })
  const http = request(app.callback())

  it("shows the login QR code and the day's sends to an admin", async () => {
    const res = await http.get('/api/v1/bot/status').set('x-test-actor', 'admin').expect(200)
    expect(res.body).toEqual({
      loggedIn: false,
      qrcode: 'https://login.weixin.qq.com/l/abc',
      since: '2026-11-28T00:00:00.000Z',
      outbox: { sentToday: 12, budget: 3000 },
    })
  })

  it('refuses anyone else', async () => {
    await http.get('/api/v1/bot/status').expect(401)
    await http.get('/api/v1/bot/status').set('x-test-actor', 'worker').expect(403)
  })
})
