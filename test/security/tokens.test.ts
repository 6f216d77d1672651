import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { authenticate } from '../../src/http/middleware/auth.js'
import { botRoutes } from '../../src/http/routes/bot.routes.js'
import { silentLogger } from '../../src/lib/logger.js'
import { AuthSessionModel, RefreshTokenModel } from '../../src/models/auth.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { makeApiApp, makeApiWorld } from '../api/api-world.js'
import { testAuth } from '../auth.js'
import { useTestDatabase } from '../db.js'

/** Any signed-in person may read their points: the probe for "does this credential still work". */
const PROBE = '/api/v1/points/me'

async function world() {
  const api = makeApiApp()
  const w = await makeApiWorld(api)
  const login = (personId: unknown) => api.services.auth.issueSession(String(personId))
  const probe = (token: string) => api.http.get(PROBE).set('authorization', `Bearer ${token}`)
  const refresh = (refreshToken: string) => api.http.post('/api/v1/auth/refresh').send({ refreshToken })
  return { api, w, login, probe, refresh }
}

function expect401(res: { status: number; body: { error?: { code?: string; message?: string } } }) {
  expect(res.status).toBe(401)
  expect(res.body.error?.code).toBe('UNAUTHENTICATED')
  expect(res.body.error?.message).toMatch(/登录|密钥/)
}

describe('tokens expire and revoke (through the service HTTP stack)', () => {
  useTestDatabase()

  it('refuses an access token from the second it expires, with UNAUTHENTICATED and a Chinese reason', async () => {
    const { api, w, login, probe } = await world()
    const s = await login(w.zhang._id)
    expect((await probe(s.accessToken)).status).toBe(200)
    api.clock.advance(s.expiresIn * 1000 - 1000)
    expect((await probe(s.accessToken)).status).toBe(200)
    api.clock.advance(1000)
    const expired = await probe(s.accessToken)
    expect401(expired)
    expect(expired.body.error.message).toMatch(/过期/)
  })

  it('rotates refresh tokens; a reused one revokes the whole login, its access tokens included', async () => {
    const { w, login, probe, refresh } = await world()
    const first = await login(w.zhang._id)
    const rotated = await refresh(first.refreshToken)
    expect(rotated.status).toBe(200)
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken)
    expect((await probe(rotated.body.accessToken)).status).toBe(200)
    // The old refresh token again (a thief or a replay): refused, and the family is ended.
    expect401(await refresh(first.refreshToken))
    expect401(await refresh(rotated.body.refreshToken))
    expect401(await probe(rotated.body.accessToken))
    expect401(await probe(first.accessToken))
    expect(await RefreshTokenModel.countDocuments({ personId: w.zhang._id, revokedAt: null })).toBe(0)
  })

  it('logout ends that login at once and leaves the person’s other logins working', async () => {
    const { api, w, login, probe, refresh } = await world()
    const phone = await login(w.zhang._id)
    const tablet = await login(w.zhang._id)
    const out = await api.http.post('/api/v1/auth/logout').send({ refreshToken: phone.refreshToken })
    expect(out.status).toBe(204)
    expect401(await probe(phone.accessToken))
    expect401(await refresh(phone.refreshToken))
    expect((await probe(tablet.accessToken)).status).toBe(200)
    expect((await refresh(tablet.refreshToken)).status).toBe(200)
  })

  it('an erased resident’s access token, refresh token and API key stop working at once', async () => {
    const { api, w, login, probe, refresh } = await world()
    const s = await login(w.zhang._id)
    const erase = await api.http
      .post(`/api/v1/residents/${w.zhang._id}/erase`)
      .set(await w.headers('staff'))
      .send({ reason: '居民搬离并申请注销' })
    expect(erase.status).toBeLessThan(300)
    expect401(await probe(s.accessToken))
    expect401(await refresh(s.refreshToken))
    expect(await AuthSessionModel.countDocuments({ personId: w.zhang._id })).toBe(0)
    // An erased admin's key too.
    const adminKey = await api.services.auth.createApiKey(String(w.admin._id), 'integration')
    expect((await api.http.get('/metrics').set('x-api-key', adminKey.key)).status).toBe(200)
    await ResidentModel.updateOne({ _id: w.admin._id }, { $set: { erasedAt: new Date() } })
    expect401(await api.http.get('/metrics').set('x-api-key', adminKey.key))
  })

  it('refuses tampered, forged, re-signed and malformed tokens', async () => {
    const { api, w, login, probe } = await world()
    const s = await login(w.zhang._id)
    const [v, body, sig] = s.accessToken.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>
    const asAdmin = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'], c: [] })).toString('base64url')
    // The second-to-last character, changed to one it is not (it may already be 'A').
    const flipped = `${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.slice(-1)}`
    // A well-formed token for the same person with a live session, signed with another secret.
    const foreign = (await testAuth().auth.issueSession(String(w.zhang._id))).accessToken
    for (const bad of [
      foreign,
      `${v}.${asAdmin}.${sig}`,
      `${v}.${body}.${flipped}`,
      `${v}.${body}.`,
      `v2.${body}.${sig}`,
      `${v}.${body}`,
      'not-a-token',
    ]) {
      expect401(await probe(bad))
    }
    expect401(await api.http.get('/metrics').set('authorization', `Bearer ${v}.${asAdmin}.${sig}`))
    expect401(await api.http.get(PROBE).set('authorization', `Basic ${s.accessToken}`))
    expect((await probe(s.accessToken)).status).toBe(200)
  })

  it('revoked API keys are refused at once; tokens cannot file Open311 requests that need a key', async () => {
    const { api, w } = await world()
    const created = await api.http
      .post('/api/v1/auth/api-keys')
      .set(await w.headers('admin'))
      .send({ name: '区平台' })
    expect(created.status).toBe(201)
    const key = created.body.key as string
    expect((await api.http.get('/metrics').set('x-api-key', key)).status).toBe(200)
    const filed = {
      service_code: 'facility_repair',
      description: '3号楼楼道灯坏了',
      address_string: 'KH社区3号楼',
    }
    const withToken = await api.http
      .post('/open311/v2/requests.json')
      .set(await w.headers('admin'))
      .send(filed)
    expect(withToken.status).toBe(401)
    await api.services.auth.revokeApiKey(created.body.id)
    expect401(await api.http.get('/metrics').set('x-api-key', key))
    expect401(await api.http.get('/metrics').set('x-api-key', `${key}x`))
    const revoked = await api.http.post('/open311/v2/requests.json').set('x-api-key', key).send(filed)
    expect(revoked.status).toBe(401)
  })

  it('a key revoked right after a use stays revoked (the use is recorded apart from the key)', async () => {
    const { api, w } = await world()
    for (let i = 0; i < 12; i++) {
      const k = await api.services.auth.createApiKey(String(w.admin._id), `rotating-${i}`)
      expect((await api.http.get('/metrics').set('x-api-key', k.key)).status).toBe(200)
      await api.services.auth.revokeApiKey(k.id)
      await new Promise((r) => setTimeout(r, 40))
      expect401(await api.http.get('/metrics').set('x-api-key', k.key))
    }
  })

  it('bot status is for admins only', async () => {
    const { api, w } = await world()
    const app = createApp({
      logger: silentLogger,
      bodyLimitKb: 64,
      middleware: [authenticate(api.services.auth)],
      routers: [
        botRoutes({
          accounts: () => [
            {
              id: 'default',
              status: () => ({ loggedIn: false, qrcode: 'https://login.example/qr', since: new Date() }),
              usage: async () => ({ sentToday: 3, budget: 500 }),
              health: () => ({ state: 'down', since: new Date() }),
              selfTest: () => ({ state: 'off' }),
            },
          ],
        }),
      ],
    }).callback()
    const { default: request } = await import('supertest')
    const as = async (who: 'admin' | 'staff' | 'reporter' | 'anonymous') =>
      (
        await request(app)
          .get('/api/v1/bot/status')
          .set(await w.headers(who))
      ).status
    expect(await as('admin')).toBe(200)
    expect(await as('staff')).toBe(403)
    expect(await as('reporter')).toBe(403)
    expect(await as('anonymous')).toBe(401)
  })
})
