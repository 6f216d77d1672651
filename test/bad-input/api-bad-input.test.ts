import type fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../../src/models/audit.model.js'
import '../../src/models/auth.model.js'
import '../../src/models/case.model.js'
import '../../src/models/chat-message.model.js'
import '../../src/models/event.model.js'
import '../../src/models/job.model.js'
import '../../src/models/kb.model.js'
import '../../src/models/lock.model.js'
import '../../src/models/mp-subscription.model.js'
import '../../src/models/notice.model.js'
import '../../src/models/outbox.model.js'
import '../../src/models/poll.model.js'
import '../../src/models/points.model.js'
import '../../src/models/registry.model.js'
import '../../src/models/room-binding.model.js'
import '../../src/models/shop.model.js'
import '../../src/models/household-proxy.model.js'
import '../../src/models/volunteer.model.js'
import { API_NOW, type ApiApp, makeApiApp, makeApiWorld } from '../api/api-world.js'
import { makeTargets } from '../api/case-targets.js'
import { shopTargets } from '../api/shop-world.js'
import { useTestDatabase } from '../db.js'
import { startWechatStandIn, type WechatStandIn } from '../wechat-server.js'
import { type AttackKind, bodyAttacks, methodAttack, type Probe, pathAttack, queryAttack } from './attacks.js'
import type { Allowed } from './db-snapshot.js'
import { createProbeRunner, formatTotals, newTotals, type Totals } from './probe-runner.js'
import { concretePath, type PlannedRoute, planRoutes } from './route-plan.js'
import { type Attack, runUnits, type Unit, unitsOf } from './unit-runner.js'

/**
 * Collections a refused request may change: none. Rate-limit counters live in memory (and are not
 * mounted by makeApiApp), the audit log records only granted personal-data access, and refresh
 * tokens are issued before the first snapshot. One write is benign by construction: a request with
 * the suite's valid API key sets that key's `lastUsedAt` to the fixed clock's time, the same value
 * every time (open311 validates the body before it looks the key up).
 */
const ALLOWED: Allowed = {}

const totals: Record<string, Totals> = {}

async function setup(api: ApiApp) {
  const w = await makeApiWorld(api)
  const t = await makeTargets(api, w)
  const staff = await w.headers('staff')
  const event = await api.http
    .post('/api/v1/events')
    .set(staff)
    .send({
      communityId: String(w.community._id),
      title: '义诊',
      place: '卫生站',
      startsAt: '2026-12-01 09:00',
      endsAt: '2026-12-01 11:00',
      capacity: 10,
    })
  const notice = await api.http
    .post('/api/v1/notices')
    .set(staff)
    .send({ communityId: String(w.community._id), title: '停暖通知', body: '明天检修停暖。' })
  const audience = { communityId: String(w.community._id) }
  const poll = await api.http
    .post('/api/v1/polls')
    .set(staff)
    .send({ audience, question: '是否加装电梯？', options: ['同意', '不同意'], deadline: '2026-12-10 18:00' })
  const topic = await api.http
    .post('/api/v1/deliberations')
    .set(staff)
    .send({ audience, title: '停车位分配', closesAt: '2026-12-10 18:00' })
  const services = await api.http.get('/open311/v2/services.json')
  const kbDoc = await api.http.post('/api/v1/kb/documents').set(staff).send({
    id: 'heating-fee',
    title: '暖气费缴纳',
    text: '暖气费每年11月前在物业服务中心缴纳，也可以通过物业小程序线上缴纳。',
  })
  const asked = await api.http
    .post('/api/v1/kb/ask')
    .set(await w.headers('reporter'))
    .send({ question: '暖气费什么时候交？' })
  expect([event.status, notice.status, services.status, kbDoc.status, asked.status]).toEqual([
    201, 201, 200, 201, 200,
  ])
  expect([poll.status, topic.status]).toEqual([201, 201])
  const { key } = await api.services.auth.createApiKey(String(w.admin._id), '坏输入测试')
  const shop = await shopTargets(api, w)
  const values = {
    caseNumber: t.A,
    resolvedCase: t.R,
    postedCase: t.P,
    eventId: String(event.body.id),
    noticeId: String(notice.body.id),
    pollId: String(poll.body.id),
    topicId: String(topic.body.id),
    serviceCode: String((services.body as Array<{ service_code: string }>)[0]?.service_code),
    kbDocId: 'heating-fee',
    kbQuestionId: String(asked.body.questionId),
    consoleTicket: (await api.services.consoleLogin.createTicket()).ticket,
    consoleTicketToDecide: (await api.services.consoleLogin.createTicket()).ticket,
    ...shop,
    ...(await volunteerValues(api, w)),
  }
  const routes = await planRoutes(api.http)
  // Issue every caller's session now: issuing one later would be a data change of the suite's own.
  for (const who of new Set(routes.map((r) => r.who))) if (who !== 'apiKey') await w.headers(who)
  return { w, values, apiKey: key, routes }
}

/** A KH volunteer need and a proxy link of 张三's home, for the volunteer and proxy routes. */
async function volunteerValues(api: ApiApp, w: Awaited<ReturnType<typeof makeApiWorld>>) {
  const admin = { personId: String(w.admin._id), roles: ['admin' as const], communityIds: [], gridIds: [] }
  const need = await api.services.volunteers.postNeed(
    {
      communityId: String(w.community._id),
      skill: '维修',
      description: '修水龙头',
      startsAt: '2026-11-28 10:00',
    },
    admin,
  )
  const link = await api.services.proxies.link(
    String(w.home._id),
    { personId: String(w.li._id), relation: 'family' },
    admin,
  )
  return { volunteerNeedId: need.id, proxyId: link.id }
}

type Route = PlannedRoute

async function runFamily(name: string, api: ApiApp, plan: (routes: Route[]) => Unit[]) {
  const s = await setup(api)
  expect(s.routes.length).toBeGreaterThan(70)
  const tot = newTotals()
  totals[name] = tot
  const runner = createProbeRunner({
    http: api.http,
    headersOf: (who) => s.w.headers(who),
    pathOf: (route, override) => concretePath(route, s.w, s.values, override),
    apiKey: s.apiKey,
    allowed: ALLOWED,
    totals: tot,
  })
  await runUnits(runner, plan(s.routes))
  return tot
}

describe('bad input to every served route (property-based)', () => {
  useTestDatabase()
  // WeChat login configured against a loopback stand-in: unknown codes are refused as WeChat would.
  let wechat: WechatStandIn
  beforeAll(async () => {
    wechat = await startWechatStandIn('wx-bad-input', 'bad-input-secret')
  })
  const app = () =>
    makeApiApp(API_NOW, {
      WECHAT_APP_ID: 'wx-bad-input',
      WECHAT_APP_SECRET: 'bad-input-secret',
      WECHAT_CODE2SESSION_URL: wechat.url,
    })

  afterAll(async () => {
    await wechat.close()
    const all = Object.entries(totals)
    for (const [name, t] of all) console.log(formatTotals(name, t))
    const sum = all.reduce((n, [, t]) => n + t.requests, 0)
    console.log(`[bad-input] API total: ${sum} requests over ${all.length} families, zero 5xx`)
  })

  it('bodies: malformed, oversized, wrongly typed, extra, deep, huge, odd Unicode, operators, content types', async () => {
    const api = app()
    const { bodyLimitKb, uploadLimitMb } = api.config.http
    const t = await runFamily('bodies', api, (routes) =>
      unitsOf(routes, (route) =>
        route.method === 'get'
          ? []
          : (Object.entries(bodyAttacks(route, bodyLimitKb, uploadLimitMb)) as Array<
              [AttackKind, fc.Arbitrary<Probe>]
            >),
      ),
    )
    expect(t.requests).toBeGreaterThan(1000)
  }, 180_000)

  it('query strings: operator brackets, prototype keys, repeated keys, wrong types, odd text', async () => {
    const api = app()
    const t = await runFamily('queries', api, (routes) =>
      unitsOf(routes, (route) => [['query', queryAttack(route)]]),
    )
    expect(t.requests).toBeGreaterThan(100)
  }, 120_000)

  it('path ids (not ObjectIds, too long, traversal, operators, odd bytes) and unknown methods', async () => {
    const api = app()
    const t = await runFamily('path ids', api, (routes) =>
      unitsOf(routes, (route) => [
        ...(route.params.length > 0 ? [['path-id', pathAttack(route)] as Attack] : []),
        ['method', methodAttack()],
      ]),
    )
    expect(t.requests).toBeGreaterThan(100)
  }, 120_000)
})
