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
        accounts: () => [
          {
            id: 'default',
            status: () => ({
              loggedIn: false,
              qrcode: 'https://login.weixin.qq.com/l/abc',
              since: new Date('2026-11-28T00:00:00Z'),
            }),
            usage: async () => ({ sentToday: 12, budget: 3000 }),
            health: () => ({
              state: 'down',
              detail: '机器人已掉线',
              since: new Date('2026-11-28T00:00:00Z'),
            }),
            selfTest: () => ({ state: 'ok', at: new Date('2026-11-27T23:50:00Z') }),
          },
          {
            id: 'kanghe',
            status: () => ({
              loggedIn: true,
              user: { id: 'wxid_kh', name: '康和小助手' },
              since: new Date('2026-11-27T08:00:00Z'),
            }),
            usage: async () => ({ sentToday: 40, budget: 2000 }),
            health: () => ({ state: 'up', since: new Date('2026-11-27T08:00:00Z') }),
            selfTest: () => ({ state: 'ok', at: new Date('2026-11-28T00:01:00Z') }),
          },
        ],
      }),
    ],
  })
  const http = request(app.callback())

  it("shows each account's login QR code, health, self-test and the day's sends to an admin", async () => {
    const res = await http.get('/api/v1/bot/status').set('x-test-actor', 'admin').expect(200)
    const main = {
      loggedIn: false,
      qrcode: 'https://login.weixin.qq.com/l/abc',
      since: '2026-11-28T00:00:00.000Z',
      outbox: { sentToday: 12, budget: 3000 },
      health: { state: 'down', detail: '机器人已掉线', since: '2026-11-28T00:00:00.000Z' },
      selfTest: { state: 'ok', at: '2026-11-27T23:50:00.000Z' },
    }
    expect(res.body).toEqual({
      ...main,
      accounts: [
        { id: 'default', ...main },
        {
          id: 'kanghe',
          loggedIn: true,
          user: { id: 'wxid_kh', name: '康和小助手' },
          since: '2026-11-27T08:00:00.000Z',
          outbox: { sentToday: 40, budget: 2000 },
          health: { state: 'up', since: '2026-11-27T08:00:00.000Z' },
          selfTest: { state: 'ok', at: '2026-11-28T00:01:00.000Z' },
        },
      ],
    })
  })

  it('refuses anyone else', async () => {
    await http.get('/api/v1/bot/status').expect(401)
    await http.get('/api/v1/bot/status').set('x-test-actor', 'worker').expect(403)
  })
})
