import { randomBytes } from 'node:crypto'
import Router from '@koa/router'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { startWechatStandIn, type WechatStandIn } from '../../../test/wechat-server.js'
import { fixedClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { silentLogger } from '../../lib/logger.js'
import { ApiKeyModel, RefreshTokenModel } from '../../models/auth.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createAuthService } from '../../services/auth/auth.service.js'
import { createConsoleLoginService } from '../../services/auth/console-login.service.js'
import { createApp } from '../app.js'
import { authenticate, requireActor } from '../middleware/auth.js'
import { authRoutes } from './auth.routes.js'

describe('authentication over HTTP', () => {
  useTestDatabase()
  let wechat: WechatStandIn
  const clock = fixedClock(new Date('2026-11-28T09:00:00+08:00'))
  let app: ReturnType<ReturnType<typeof createApp>['callback']>
  let auth: ReturnType<typeof createAuthService>

  beforeAll(async () => {
    wechat = await startWechatStandIn('wx-app', 'wx-secret')
    const config = loadConfig(
      {
        WECHAT_APP_ID: 'wx-app',
        WECHAT_APP_SECRET: 'wx-secret',
        WECHAT_CODE2SESSION_URL: wechat.url,
        LINLI_TOKEN_SECRET: 'test-secret',
        LINLI_ENV: 'test',
      },
      {},
    )
    auth = createAuthService({ config, clock, logger: silentLogger })
    const me = new Router({ prefix: '/api/v1' })
    me.get('/me', (ctx) => {
      ctx.body = requireActor(ctx)
    })
    app = createApp({
      logger: silentLogger,
      bodyLimitKb: 64,
      middleware: [authenticate(auth)],
      routers: [
        authRoutes({
          auth,
          consoleLogin: createConsoleLoginService({ clock, issueSession: auth.issueSession }),
        }),
        me,
      ],
    }).callback()
  })
  afterAll(async () => {
    await wechat.close()
  })

  const token = () => randomBytes(6).toString('hex')

  it('logs a new resident in with a wx.login code and never returns the session_key', async () => {
    wechat.codes.set('code-1', 'openid-1')
    const res = await request(app).post('/api/v1/auth/wx-login').send({ code: 'code-1' })
    expect(res.status).toBe(200)
    expect(JSON.stringify(res.body)).not.toContain('SESSION-KEY')
    expect(res.body.user.roles).toEqual(['resident'])
    const me = await request(app).get('/api/v1/me').set('authorization', `Bearer ${res.body.accessToken}`)
    expect(me.status).toBe(200)
    expect(me.body.personId).toBe(res.body.user.id)
    expect(wechat.calls.at(-1)?.get('js_code')).toBe('code-1')
  })

  it('refuses an invalid code with 401 and a Chinese message', async () => {
    const res = await request(app).post('/api/v1/auth/wx-login').send({ code: 'nope' })
    expect(res.status).toBe(401)
    expect(res.body.error.message).toMatch(/登录/)
  })

  it('binds a staff account to WeChat with a one-time invite code', async () => {
    const staff = await ResidentModel.create({ name: '李社工', roles: ['community_staff'], token: token() })
    const invite = await auth.createInvite(String(staff._id))
    wechat.codes.set('code-2', 'openid-staff')
    const res = await request(app)
      .post('/api/v1/auth/wx-login')
      .send({ code: 'code-2', inviteCode: invite.code })
    expect(res.status).toBe(200)
    expect(res.body.user).toEqual({ id: String(staff._id), roles: ['community_staff'] })
    wechat.codes.set('code-3', 'openid-other')
    const again = await request(app)
      .post('/api/v1/auth/wx-login')
      .send({ code: 'code-3', inviteCode: invite.code })
    expect(again.status).toBe(403)
  })

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const person = await ResidentModel.create({ name: '王大爷', token: token() })
    const first = await auth.issueSession(String(person._id))
    const rotated = await request(app).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })
    expect(rotated.status).toBe(200)
    const reuse = await request(app).post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })
    expect(reuse.status).toBe(401)
    const afterTheft = await request(app)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: rotated.body.refreshToken })
    expect(afterTheft.status).toBe(401)
    expect(await RefreshTokenModel.countDocuments({ revokedAt: null })).toBe(0)
  })

  it('expires access tokens and rejects forged ones', async () => {
    const person = await ResidentModel.create({ name: '张阿姨', token: token() })
    const s = await auth.issueSession(String(person._id))
    const [v, body] = s.accessToken.split('.')
    const forgedBody = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(body as string, 'base64url').toString()),
        roles: ['admin'],
      }),
    ).toString('base64url')
    const forged = await request(app)
      .get('/api/v1/me')
      .set('authorization', `Bearer ${v}.${forgedBody}.${s.accessToken.split('.')[2]}`)
    expect(forged.status).toBe(401)
    clock.advance(16 * 60_000)
    const expired = await request(app).get('/api/v1/me').set('authorization', `Bearer ${s.accessToken}`)
    expect(expired.status).toBe(401)
    expect(expired.body.error.message).toMatch(/过期/)
    clock.advance(-16 * 60_000)
  })

  it('accepts admin API keys stored only as hashes, and refuses revoked ones', async () => {
    const admin = await ResidentModel.create({ name: '管理员', roles: ['admin'], token: token() })
    const session = await auth.issueSession(String(admin._id))
    const created = await request(app)
      .post('/api/v1/auth/api-keys')
      .set('authorization', `Bearer ${session.accessToken}`)
      .send({ name: 'district platform' })
    expect(created.status).toBe(201)
    const stored = await ApiKeyModel.findById(created.body.id).lean()
    expect(JSON.stringify(stored)).not.toContain(created.body.key)
    const me = await request(app).get('/api/v1/me').set('x-api-key', created.body.key)
    expect(me.body.roles).toEqual(['admin'])
    await auth.revokeApiKey(created.body.id)
    expect((await request(app).get('/api/v1/me').set('x-api-key', created.body.key)).status).toBe(401)
  })

  it('has no development login unless it is enabled', async () => {
    expect((await request(app).post('/api/v1/auth/dev-login').send({ name: '王大爷' })).status).toBe(404)
    const residentSession = await auth.issueSession(
      String((await ResidentModel.create({ name: '居民', token: token() }))._id),
    )
    const res = await request(app)
      .post('/api/v1/auth/api-keys')
      .set('authorization', `Bearer ${residentSession.accessToken}`)
      .send({ name: 'x' })
    expect(res.status).toBe(403)
  })
})
