import { expect } from 'vitest'
import { EventModel } from '../../src/models/event.model.js'
import { codePayload } from '../../src/services/registry/registry.codes.js'
import { bindRoom } from '../community-fixtures.js'
import { createPerson } from '../factories.js'
import type { Ctx, Row } from './authz-harness.js'
import { SIGNED_IN } from './authz-harness.js'

const STAFF_OK = ['staff', 'admin'] as const
const KB_STAFF = ['staff', 'otherStaff', 'admin'] as const
const PLACE = ['worker', 'staff', 'admin'] as const

/** A city-wide admin acting through the services, to prepare events and notices. */
function adminActor(c: Ctx) {
  return { personId: String(c.w.admin._id), roles: ['admin' as const], communityIds: [], gridIds: [] }
}

/** A KH event: `grid` limits it to KH-01 (a grid worker may manage it); it runs 09:30–11:00 on the test day. */
function event(c: Ctx, grid: boolean, key = grid ? 'event-grid' : 'event-community') {
  return c.memo(key, async () => {
    const view = await c.api.services.events.create(
      {
        communityId: String(c.w.community._id),
        gridIds: grid ? [String(c.w.grid._id)] : [],
        title: '社区义诊',
        place: '社区活动室',
        startsAt: '2026-11-27 09:30',
        endsAt: '2026-11-27 11:00',
      },
      adminActor(c),
    )
    return view.id
  })
}

/** A fresh KH-01 event for an allowed role that changes it. */
async function eventFor(c: Ctx, allowed: boolean): Promise<string> {
  return allowed ? event(c, true, `event-${Math.random()}`) : event(c, true)
}

function notice(c: Ctx, key = 'notice') {
  return c.memo(key, async () => {
    await c.memo('room', () =>
      bindRoom({ roomId: 'room-kh01', communityId: c.w.community._id, gridId: c.w.grid._id, code: 'KH-01' }),
    )
    const view = await c.api.services.notices.create(
      {
        communityId: String(c.w.community._id),
        gridIds: [String(c.w.grid._id)],
        title: '停水通知',
        body: '明天上午9点至12点3号楼停水，请提前储水。',
      },
      adminActor(c),
    )
    return view.id
  })
}

const id = (v: { _id: unknown }) => String(v._id)
/** Members of community KH who may join its events: residents, its grid workers and its staff. */
const KH_MEMBERS = ['reporter', 'neighbour', 'worker', 'worker2', 'staff'] as const

/** A question 张三 asked the knowledge base. */
function question(c: Ctx): Promise<string> {
  return c.memo('question', async () => {
    const answer = await c.api.services.kb.ask('暖气费怎么交？', { askerId: id(c.w.zhang) })
    return answer.questionId
  })
}

/** A policy document in the knowledge base, uploaded once for all roles. */
function kbDocument(c: Ctx): Promise<string> {
  return c.memo('kb-doc', async () => {
    await c.api.services.kb.importDocument({
      id: 'heating-fee',
      title: '暖气费缴纳',
      text: '暖气费每年11月前在物业服务中心缴纳，也可以通过物业小程序线上缴纳。',
    })
    return 'heating-fee'
  })
}

/** A party member (党员) of KH-01. */
function partyMember(c: Ctx): Promise<string> {
  return c.memo('party', async () =>
    id(
      await createPerson('党员老周', ['resident', 'party_member'], {
        communityId: c.w.community._id,
        gridId: c.w.grid._id,
      }),
    ),
  )
}
/** A 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)

/** The auth, registry, grids, kb, events, notices, uploads and metrics routes × role × foreign id. */
export const PLATFORM_ROWS: Row[] = [
  {
    route: 'POST /api/v1/auth/invites (a KH grid worker)',
    method: 'post',
    path: () => '/api/v1/auth/invites',
    body: (c) => ({ personId: id(c.w.worker) }),
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/auth/invites (the city admin: no escalation)',
    method: 'post',
    path: () => '/api/v1/auth/invites',
    body: (c) => ({ personId: id(c.w.admin) }),
    ok: ['admin'],
  },
  ...(['approve', 'refuse'] as const).map(
    (decision): Row => ({
      route: `POST /api/v1/auth/console-tickets/:ticket/${decision} (扫码登录: staff only, no resident)`,
      method: 'post',
      // Each allowed role decides a fresh ticket; the refused ones all aim at one pending ticket.
      path: async (c, allowed) => {
        const make = async () => (await c.api.services.consoleLogin.createTicket()).ticket
        const ticket = allowed ? await make() : await c.memo('console-ticket', make)
        return `/api/v1/auth/console-tickets/${ticket}/${decision}`
      },
      body: () => ({}),
      // A merchant's verifier signs in to its one console page (核销) the same way.
      ok: ['worker', 'worker2', 'dept', 'deptB', 'staff', 'otherStaff', 'admin', 'merchant'],
    }),
  ),
  {
    route: 'POST /api/v1/auth/api-keys',
    method: 'post',
    path: () => '/api/v1/auth/api-keys',
    body: () => ({ name: 'district platform' }),
    ok: ['admin'],
  },
  ...(['png', 'svg'] as const).flatMap((f): Row[] => [
    {
      route: `GET /api/v1/households/:id/qrcode.${f} (张三's home, KH-01)`,
      method: 'get',
      path: (c) => `/api/v1/households/${id(c.w.home)}/qrcode.${f}`,
      ok: ['reporter', ...PLACE],
    },
    {
      route: `GET /api/v1/grids/:id/qrcode.${f} (KH-01)`,
      method: 'get',
      path: (c) => `/api/v1/grids/${id(c.w.grid)}/qrcode.${f}`,
      ok: [...PLACE],
    },
  ]),
  {
    route: 'GET /api/v1/residents/:id/qrcode.svg (张三)',
    method: 'get',
    path: (c) => `/api/v1/residents/${id(c.w.zhang)}/qrcode.svg`,
    ok: ['reporter', ...PLACE],
  },
  {
    route: 'GET /api/v1/grids/:id/buildings/:building/codes.html (KH-01 building 3)',
    method: 'get',
    path: (c) => `/api/v1/grids/${id(c.w.grid)}/buildings/3/codes.html`,
    ok: [...PLACE],
  },
  {
    route: 'POST /api/v1/admin/import?community=KH',
    method: 'post',
    path: () => '/api/v1/admin/import?community=KH',
    raw: () => ({ type: 'text/csv', data: '网格编号,楼栋,单元,房号,姓名\nKH-01,5,1,101,钱七\n' }),
    // Another community's staff get a 200 whose only row is refused: checked by verify, and nothing changes.
    ok: ['staff', 'otherStaff', 'admin'],
    verify: (who, body) => {
      if (who !== 'otherStaff') return
      const errors = (body as { errors?: Array<{ reason: string }> }).errors ?? []
      if (!errors[0]?.reason.includes('无权'))
        throw new Error(`otherStaff imported into KH: ${JSON.stringify(body)}`)
    },
  },
  {
    route: "POST /api/v1/households/bind (张三's household code)",
    method: 'post',
    path: () => '/api/v1/households/bind',
    body: async (c) => {
      const h = await c.api.services.registry.getHousehold(id(c.w.home))
      return { token: codePayload('household', h.token) }
    },
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/me/subscriptions',
    method: 'get',
    path: () => '/api/v1/me/subscriptions',
    ok: SIGNED_IN,
  },
  {
    route: 'POST /api/v1/me/subscriptions',
    method: 'post',
    path: () => '/api/v1/me/subscriptions',
    body: () => ({ templateIds: ['TPL_UPDATE'], results: { TPL_UPDATE: 'accept' } }),
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/me',
    method: 'get',
    path: () => '/api/v1/me',
    ok: SIGNED_IN,
    // Each signed-in caller gets an actor (its own id and roles); anonymous callers a 401.
    verify: (who, body) => {
      if (who === 'anonymous') return
      const me = body as { personId?: string; roles?: string[] }
      if (!/^[a-f0-9]{24}$/.test(me.personId ?? '') || !me.roles?.length) throw new Error('not an actor')
    },
  },
  {
    route: 'POST /api/v1/kb/ask',
    method: 'post',
    path: () => '/api/v1/kb/ask',
    body: () => ({ question: '暖气费怎么交？' }),
    ok: SIGNED_IN,
  },
  {
    route: 'POST /api/v1/kb/feedback',
    method: 'post',
    path: () => '/api/v1/kb/feedback',
    body: async (c) => ({ questionId: await question(c), helpful: true }),
    // Residents rate only their own question (张三's); KB staff rate any.
    ok: ['reporter', ...KB_STAFF],
  },
  {
    route: 'POST /api/v1/kb/documents',
    method: 'post',
    path: () => '/api/v1/kb/documents',
    body: () => ({
      id: `doc-${Math.random()}`,
      title: '暖气费缴纳',
      text: '暖气费每年11月1日前到物业服务中心缴纳，也可以在手机上缴纳。',
    }),
    ok: [...KB_STAFF],
  },
  {
    route: 'POST /api/v1/kb/files',
    method: 'post',
    path: () => `/api/v1/kb/files?id=file-${Math.random()}`,
    raw: () => ({
      type: 'text/markdown',
      data: '# 暖气费缴纳\n\n暖气费每年11月1日前到物业服务中心缴纳，也可以在手机上缴纳。',
    }),
    ok: [...KB_STAFF],
  },
  { route: 'GET /api/v1/kb/documents', method: 'get', path: () => '/api/v1/kb/documents', ok: [...KB_STAFF] },
  {
    route: 'PATCH /api/v1/kb/documents/:docId',
    method: 'patch',
    path: async (c) => `/api/v1/kb/documents/${await kbDocument(c)}`,
    body: () => ({ expiresOn: '2030-12-31' }),
    ok: [...KB_STAFF],
  },
  {
    route: 'POST /api/v1/kb/questions/:questionId/review',
    method: 'post',
    path: async (c) => `/api/v1/kb/questions/${await question(c)}/review`,
    body: () => ({ verdict: 'wrong', note: '缴费时间已改为10月' }),
    ok: [...KB_STAFF],
  },
  {
    route: 'GET /api/v1/kb/questions?verdict=wrong',
    method: 'get',
    path: () => '/api/v1/kb/questions?verdict=wrong',
    ok: [...KB_STAFF],
  },
  { route: 'GET /api/v1/kb/conflicts', method: 'get', path: () => '/api/v1/kb/conflicts', ok: [...KB_STAFF] },
  {
    route: 'GET /api/v1/kb/unanswered',
    method: 'get',
    path: () => '/api/v1/kb/unanswered',
    ok: [...KB_STAFF],
  },
  { route: 'GET /api/v1/events (my events)', method: 'get', path: () => '/api/v1/events', ok: SIGNED_IN },
  {
    route: 'GET /api/v1/events?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/events?communityId=${id(c.w.community)}`,
    ok: [...PLACE, 'worker2'],
  },
  {
    route: 'POST /api/v1/events (KH-01)',
    method: 'post',
    path: () => '/api/v1/events',
    body: (c) => ({
      communityId: id(c.w.community),
      gridIds: [id(c.w.grid)],
      title: '垃圾分类宣传',
      place: '3号楼前',
      startsAt: '2026-12-05 09:00',
      endsAt: '2026-12-05 11:00',
    }),
    ok: [...PLACE],
  },
  {
    route: 'PATCH /api/v1/events/:id (a KH-01 event)',
    method: 'patch',
    path: async (c, allowed) => `/api/v1/events/${await eventFor(c, allowed)}`,
    body: () => ({ place: '社区会议室' }),
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/events/:id (a KH-01 event, with its check-in code)',
    method: 'get',
    path: async (c) => `/api/v1/events/${await event(c, true)}`,
    ok: [...PLACE],
    verify: (who, body) => {
      if (PLACE.includes(who as never)) expect((body as { code?: string }).code).toMatch(/^[0-9A-Z]{6}$/)
    },
  },
  {
    route: 'GET /api/v1/events/:id/signups (a KH-01 event)',
    method: 'get',
    path: async (c) => `/api/v1/events/${await event(c, true)}/signups`,
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/events/:id/signups (a community-wide KH event: not for a grid worker)',
    method: 'get',
    path: async (c) => `/api/v1/events/${await event(c, false)}/signups`,
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/events/:id/cancel (a KH-01 event)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/events/${await eventFor(c, allowed)}/cancel`,
    body: () => ({ reason: '天气原因' }),
    ok: [...PLACE],
  },
  {
    route: 'POST /api/v1/events/checkin (a KH event happening now)',
    method: 'post',
    path: () => '/api/v1/events/checkin',
    body: async (c) => {
      const doc = await EventModel.findById(await event(c, false)).lean()
      return { code: doc?.checkinCode ?? '' }
    },
    ok: [...KH_MEMBERS],
  },
  {
    route: 'POST /api/v1/events/:id/signup (a KH event)',
    method: 'post',
    path: async (c) => `/api/v1/events/${await event(c, false)}/signup`,
    ok: [...KH_MEMBERS],
  },
  {
    route: 'DELETE /api/v1/events/:id/signup (a KH event)',
    method: 'delete',
    path: async (c) => `/api/v1/events/${await event(c, false)}/signup`,
    // Cancels the caller's own signup only: for anyone else it is a no-op.
    ok: SIGNED_IN,
  },
  {
    route: 'POST /api/v1/notices (KH-01)',
    method: 'post',
    path: () => '/api/v1/notices',
    body: (c) => ({
      communityId: id(c.w.community),
      gridIds: [id(c.w.grid)],
      title: '燃气检修',
      body: '本周六上午燃气检修，请家中留人。',
    }),
    ok: [...PLACE],
  },
  {
    // A street notice naming KH: the KH office and the city admin; the other community's office may not.
    route: 'POST /api/v1/notices/batch (to community KH)',
    method: 'post',
    path: () => '/api/v1/notices/batch',
    headers: () => ({ 'idempotency-key': `authz-batch-${Math.random().toString(36).slice(2)}` }),
    body: async (c) => {
      await c.memo('room', () =>
        bindRoom({
          roomId: 'room-kh01',
          communityId: c.w.community._id,
          gridId: c.w.grid._id,
          code: 'KH-01',
        }),
      )
      return { communityIds: [id(c.w.community)], title: '停水通知', body: '明天上午停水。', confirm: true }
    },
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/notices/:id/send (a KH-01 notice)',
    method: 'post',
    path: async (c, allowed) =>
      `/api/v1/notices/${await (allowed ? notice(c, `notice-${Math.random()}`) : notice(c))}/send`,
    body: () => ({ confirm: true }),
    ok: [...PLACE],
  },
  {
    route: 'POST /api/v1/notices/:id/follow-ups (a KH-01 notice, 张三 pending)',
    method: 'post',
    path: async (c) => `/api/v1/notices/${await notice(c)}/follow-ups`,
    body: (c) => ({ personId: id(c.w.zhang) }),
    ok: [...PLACE],
  },
  {
    // The test app has no WeCom: whoever passes the checks (KH staff, the admin) is told 409 不可用.
    route: 'POST /api/v1/notices/:id/wecom-group-drafts (a KH-01 notice, WeCom not set up)',
    method: 'post',
    path: async (c) => `/api/v1/notices/${await notice(c)}/wecom-group-drafts`,
    body: () => ({ sender: 'zhangsan' }),
    ok: [],
    deny: { staff: 409, admin: 409 },
  },
  {
    route: 'POST /api/v1/notices/:id/wecom-group-drafts/refresh (a KH-01 notice, no drafts yet)',
    method: 'post',
    path: async (c) => `/api/v1/notices/${await notice(c)}/wecom-group-drafts/refresh`,
    ok: [...PLACE],
  },
  ...(['', '/delivery', '/acks', '/reach'] as const).map(
    (suffix): Row => ({
      route: `GET /api/v1/notices/:id${suffix} (a KH-01 notice)`,
      method: 'get',
      path: async (c) => `/api/v1/notices/${await notice(c)}${suffix}`,
      ok: [...PLACE],
    }),
  ),
  {
    route: 'POST /api/v1/uploads',
    method: 'post',
    path: () => '/api/v1/uploads',
    raw: () => ({ type: 'image/png', data: PNG }),
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/grids',
    method: 'get',
    path: () => '/api/v1/grids',
    ok: ['worker', 'worker2', 'staff', 'otherStaff', 'admin'],
  },
  {
    route: 'GET /api/v1/grids?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/grids?communityId=${id(c.w.community)}`,
    ok: ['worker', 'worker2', 'staff', 'admin'],
  },
  {
    route: 'GET /api/v1/grids/:id/households (KH-01)',
    method: 'get',
    path: (c) => `/api/v1/grids/${id(c.w.grid)}/households`,
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/grids/:id/households?q=&limit=&offset= (KH-01, the console search)',
    method: 'get',
    path: (c) => `/api/v1/grids/${id(c.w.grid)}/households?q=${encodeURIComponent('张三')}&limit=20&offset=0`,
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/grids/:id/households?limit= (KH-02)',
    method: 'get',
    path: (c) => `/api/v1/grids/${id(c.w.grid2)}/households?limit=20`,
    ok: ['worker2', 'staff', 'admin'],
  },
  {
    route: 'GET /api/v1/households/mine',
    method: 'get',
    path: () => '/api/v1/households/mine',
    ok: ['reporter'],
    // Only a resident bound to a household has one; nobody sees another's through this route.
    deny: Object.fromEntries(SIGNED_IN.map((w) => [w, 404])),
  },
  {
    route: "GET /api/v1/households/:id/party-member (张三's home)",
    method: 'get',
    path: (c) => `/api/v1/households/${id(c.w.home)}/party-member`,
    ok: ['reporter', ...PLACE],
  },
  {
    route: "PUT /api/v1/households/:id/party-member (张三's home)",
    method: 'put',
    path: (c) => `/api/v1/households/${id(c.w.home)}/party-member`,
    body: async (c) => ({ memberId: await partyMember(c) }),
    ok: [...STAFF_OK],
  },
  {
    route: 'GET /api/v1/party-links/missing (own community)',
    method: 'get',
    path: () => '/api/v1/party-links/missing',
    ok: ['staff', 'otherStaff'],
  },
  {
    route: 'GET /api/v1/party-links/missing?gridId= (KH-01)',
    method: 'get',
    path: (c) => `/api/v1/party-links/missing?gridId=${id(c.w.grid)}`,
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/communities/:id/map (KH)',
    method: 'get',
    path: (c) => `/api/v1/communities/${id(c.w.community)}/map`,
    ok: [...STAFF_OK],
    verify: (who, body) => {
      if (who !== 'staff') return
      const codes = (body as { grids?: Array<{ code: string }> }).grids?.map((g) => g.code)
      if (codes?.join() !== 'KH-01,KH-02') throw new Error(`staff got another map: ${JSON.stringify(codes)}`)
    },
  },
  {
    route: 'GET /api/v1/communities/:id/map (QT, the other community)',
    method: 'get',
    path: (c) => `/api/v1/communities/${id(c.w.other)}/map`,
    ok: ['otherStaff', 'admin'],
  },
  { route: 'GET /metrics', method: 'get', path: () => '/metrics', ok: ['admin'] },
  {
    // Channel health is the deployment's, not a community's: staff of any community see it.
    route: 'GET /api/v1/console/channels',
    method: 'get',
    path: () => '/api/v1/console/channels',
    ok: [...KB_STAFF],
    verify: (who, body) => {
      if (!(KB_STAFF as readonly string[]).includes(who)) return
      const rows = (body as { items?: Array<{ state: string; detail?: string }> }).items ?? []
      // The test service sets up no official channel: each is listed with what it lacks, no secret.
      if (!rows.some((r) => r.state === 'unconfigured' && r.detail?.includes('WECOM_SECRET')))
        throw new Error(`no unconfigured WeCom row: ${JSON.stringify(rows)}`)
    },
  },
]
