import { describe, expect, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { ConsoleTicketModel, ConsoleTicketStepModel } from '../../src/models/auth.model.js'
import { purgeConsoleTickets } from '../../src/services/auth/console-login.service.js'
import { useTestDatabase } from '../db.js'
import { type ApiApp, type ApiWorld, makeApiApp, makeApiWorld, type Who } from './api-world.js'

/** The console's side (create, poll) and the mini-program's side (approve, refuse) of 扫码登录. */
function ticketsOf(api: ApiApp, w: ApiWorld) {
  return {
    create: async () => {
      const res = await api.http.post('/api/v1/auth/console-tickets').send({})
      expect(res.status).toBe(201)
      return res.body as { ticket: string; qr: string; expiresAt: string; expiresIn: number }
    },
    poll: (ticket: string) => api.http.get(`/api/v1/auth/console-tickets/${ticket}`),
    decide: async (ticket: string, who: Who, path: 'approve' | 'refuse' = 'approve') =>
      api.http
        .post(`/api/v1/auth/console-tickets/${ticket}/${path}`)
        .set(await w.headers(who))
        .send({}),
  }
}

describe("扫码登录: the console signs in through a staff member's mini-program", () => {
  useTestDatabase()

  it('pending → approved by a grid worker → the console gets a working session once, and the approval is audited', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket, qr, expiresAt, expiresIn } = await t.create()
    expect(expiresIn).toBe(180)
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,/)
    expect(Buffer.from(qr.split(',')[1] as string, 'base64').toString()).toContain('<svg')
    expect(new Date(expiresAt).getTime() - api.clock.now().getTime()).toBe(180_000)

    const pending = await t.poll(ticket)
    expect(pending.status).toBe(200)
    expect(pending.body).toEqual({ status: 'pending', expiresAt })
    expect(pending.headers['cache-control']).toBe('no-store')

    const approved = await t.decide(ticket, 'worker')
    expect(approved.status).toBe(200)
    expect(approved.body).toEqual({ status: 'approved' })

    const first = await t.poll(ticket)
    expect(first.body.status).toBe('approved')
    expect(first.body.session.user).toEqual({ id: String(w.worker._id), roles: ['grid_worker'] })
    const me = await api.http
      .get('/api/v1/me')
      .set('authorization', `Bearer ${first.body.session.accessToken}`)
    expect(me.body).toMatchObject({ name: '王网格', roles: ['grid_worker'] })
    const renewed = await api.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.body.session.refreshToken })
    expect(renewed.status).toBe(200)

    // A second read (a replayed poll, someone who copied the ticket) gets no tokens.
    const second = await t.poll(ticket)
    expect(second.status).toBe(200)
    expect(second.body).toEqual({ status: 'used', expiresAt })

    const audit = await AuditModel.find({ action: 'approve_console_login' }).lean()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actorId: String(w.worker._id), at: api.clock.now() })
    expect(audit[0]?.subject).toMatch(/^console_ticket:[0-9a-f]{64}$/)
    // Only the hash is kept: the ticket itself appears nowhere in the database.
    const stored = JSON.stringify([
      audit,
      await ConsoleTicketModel.find().lean(),
      await ConsoleTicketStepModel.find().lean(),
    ])
    expect(stored).not.toContain(ticket)
  })

  it('two polls racing for one approved ticket: exactly one gets the session', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket } = await t.create()
    await t.decide(ticket, 'staff')
    const polls = await Promise.all(Array.from({ length: 6 }, () => t.poll(ticket)))
    const withSession = polls.filter((p) => p.body.session)
    expect(withSession).toHaveLength(1)
    expect(polls.map((p) => p.body.status).sort()).toEqual([
      'approved',
      'used',
      'used',
      'used',
      'used',
      'used',
    ])
  })

  it('a ticket approved twice: the second approval (or a refusal after it) is a 409, the first one stands', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket } = await t.create()
    const [a, b] = await Promise.all([t.decide(ticket, 'staff'), t.decide(ticket, 'admin')])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    const again = await t.decide(ticket, 'dept', 'refuse')
    expect(again.status).toBe(409)
    expect(again.body.error).toEqual({
      code: 'CONFLICT',
      message: '这个二维码已经确认过了，请在电脑上刷新二维码',
    })
    const winner = a.status === 200 ? w.staff : w.admin
    expect((await t.poll(ticket)).body.session.user.id).toBe(String(winner._id))
    expect(await AuditModel.countDocuments({ action: 'approve_console_login' })).toBe(1)
  })

  it('a resident who scans the code is refused in Chinese and the ticket stays pending', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket } = await t.create()
    const res = await t.decide(ticket, 'reporter')
    expect(res.status).toBe(403)
    expect(res.body.error).toEqual({
      code: 'FORBIDDEN',
      message: '居民账号不能登录社区工作台，请使用工作人员账号扫码',
    })
    expect((await t.poll(ticket)).body.status).toBe('pending')
    expect((await api.http.post(`/api/v1/auth/console-tickets/${ticket}/approve`).send({})).status).toBe(401)
  })

  it('a refused ticket reads "refused" and never gives a session', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket } = await t.create()
    expect((await t.decide(ticket, 'worker', 'refuse')).body).toEqual({ status: 'refused' })
    const poll = await t.poll(ticket)
    expect(poll.body.status).toBe('refused')
    expect(poll.body.session).toBeUndefined()
    expect((await t.decide(ticket, 'worker')).status).toBe(409)
  })

  it('after three minutes the ticket is expired: the poll says so and an approval is refused', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const { ticket } = await t.create()
    api.clock.advance(179_000)
    expect((await t.poll(ticket)).body.status).toBe('pending')
    api.clock.advance(1_000)
    expect((await t.poll(ticket)).body.status).toBe('expired')
    const late = await t.decide(ticket, 'staff')
    expect(late.status).toBe(409)
    expect(late.body.error.message).toBe('二维码已过期，请在电脑上刷新二维码后重新扫码')

    // Approved in time but never collected: after a minute's grace the session is no longer handed out.
    const other = await t.create()
    await t.decide(other.ticket, 'staff')
    api.clock.advance(240_000)
    expect((await t.poll(other.ticket)).body).toEqual({ status: 'expired', expiresAt: other.expiresAt })

    // A day after expiry the daily retention purge deletes tickets and steps: the poll is then a 404.
    expect(await purgeConsoleTickets(api.clock.now())).toBe(0)
    api.clock.advance(24 * 3600_000)
    expect(await purgeConsoleTickets(api.clock.now())).toBe(3)
    expect((await t.poll(ticket)).status).toBe(404)
  })

  it('an unknown ticket is a Chinese 404; a malformed one a 400', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const t = ticketsOf(api, w)
    const unknown = 'A'.repeat(32)
    const poll = await t.poll(unknown)
    expect(poll.status).toBe(404)
    expect(poll.body.error).toEqual({ code: 'NOT_FOUND', message: '登录二维码不存在' })
    expect((await t.decide(unknown, 'staff')).status).toBe(404)
    expect((await t.poll('not-a-ticket')).status).toBe(400)
  })

  it('limits ticket creation per client address (429 with Retry-After, in Chinese)', async () => {
    const api = makeApiApp()
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await api.http.post('/api/v1/auth/console-tickets')).status)
    expect(new Set(statuses)).toEqual(new Set([201]))
    const over = await api.http.post('/api/v1/auth/console-tickets')
    expect(over.status).toBe(429)
    expect(over.headers['retry-after']).toBeDefined()
    expect(over.body.error.message).toBe('请求太频繁，请稍后再试')
  })
})
