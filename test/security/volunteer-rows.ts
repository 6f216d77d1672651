import { createPerson } from '../factories.js'
import type { Ctx, Row } from './authz-harness.js'
import { SIGNED_IN } from './authz-harness.js'

const STAFF_OK = ['staff', 'admin'] as const
/** Who may manage KH-01's household 3-2-301: its community's staff, a city admin, KH-01's worker. */
const HOME_STAFF = ['worker', 'staff', 'admin'] as const
const id = (v: { _id: unknown }) => String(v._id)
const admin = (c: Ctx) => ({
  personId: id(c.w.admin),
  roles: ['admin' as const],
  communityIds: [],
  gridIds: [],
})

/** 李四 (neighbour) as a registered KH volunteer who repairs. */
function volunteer(c: Ctx) {
  return c.memo('volunteer', async () => {
    for (const who of [c.w.li, c.w.zhang])
      await c.api.services.volunteers.register(id(who), { skills: ['维修'] })
    return id(c.w.li)
  })
}

/** A KH repair need for 张三's home (3-2-301), 张三 the requester; `done` when 李四 has finished it. */
async function need(c: Ctx, key: string, stage: 'open' | 'accepted' | 'done' = 'open'): Promise<string> {
  return c.memo(`need-${key}`, async () => {
    await volunteer(c)
    const v = c.api.services.volunteers
    const n = await v.postNeed(
      {
        communityId: id(c.w.community),
        skill: '维修',
        description: '帮忙修水龙头',
        startsAt: '2026-11-28 10:00',
        householdId: id(c.w.home),
        requesterId: id(c.w.zhang),
      },
      admin(c),
    )
    if (stage !== 'open') await v.accept(n.id, id(c.w.li))
    if (stage === 'done') await v.complete(n.id, id(c.w.li), 1)
    return n.id
  })
}
const fresh = (c: Ctx, allowed: boolean, stage?: 'open' | 'accepted' | 'done') =>
  need(c, allowed ? `${stage}-${Math.random()}` : `${stage}-shared`, stage)

/** 李四 linked as a proxy (family) of 张三's home. */
function proxy(c: Ctx, key = 'proxy') {
  return c.memo(key, async () => {
    const person = key === 'proxy' ? c.w.li : await createPerson(`家属${key}`, ['resident'])
    const view = await c.api.services.proxies.link(
      id(c.w.home),
      { personId: id(person), relation: 'family', label: '我妈' },
      admin(c),
    )
    return view.id
  })
}

/** Volunteers (志愿服务) and household proxies (代办) × role × foreign id. */
export const VOLUNTEER_ROWS: Row[] = [
  {
    route: 'GET /api/v1/volunteers?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/volunteers?communityId=${id(c.w.community)}`,
    ok: [...STAFF_OK],
  },
  { route: 'GET /api/v1/volunteers/me', method: 'get', path: () => '/api/v1/volunteers/me', ok: SIGNED_IN },
  {
    route: 'PUT /api/v1/volunteers/me',
    method: 'put',
    path: () => '/api/v1/volunteers/me',
    body: () => ({ skills: ['陪聊'] }),
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/volunteer-needs?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/volunteer-needs?communityId=${id(c.w.community)}`,
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/volunteer-needs (KH)',
    method: 'post',
    path: () => '/api/v1/volunteer-needs',
    body: (c) => ({
      communityId: id(c.w.community),
      skill: '陪诊',
      description: '陪老人去医院',
      startsAt: '2026-11-30 09:00',
    }),
    ok: [...STAFF_OK],
  },
  {
    route: 'GET /api/v1/volunteer-needs/offered',
    method: 'get',
    path: () => '/api/v1/volunteer-needs/offered',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/volunteer-needs/:id (a KH need)',
    method: 'get',
    path: async (c) => `/api/v1/volunteer-needs/${await need(c, 'shared')}`,
    ok: [...STAFF_OK],
  },
  {
    route: 'GET /api/v1/volunteer-needs/:id/matches (a KH need)',
    method: 'get',
    path: async (c) => `/api/v1/volunteer-needs/${await need(c, 'shared')}/matches`,
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/volunteer-needs/:id/cancel (a KH need)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/volunteer-needs/${await fresh(c, allowed, 'open')}/cancel`,
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/volunteer-needs/:id/accept (registered KH volunteers only)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/volunteer-needs/${await fresh(c, allowed, 'open')}/accept`,
    ok: ['reporter', 'neighbour'],
  },
  {
    route: 'POST /api/v1/volunteer-needs/:id/checkin (the volunteer who took it)',
    method: 'post',
    path: async (c) => `/api/v1/volunteer-needs/${await need(c, 'accepted', 'accepted')}/checkin`,
    ok: ['neighbour'],
  },
  {
    route: 'POST /api/v1/volunteer-needs/:id/done (the volunteer who took it)',
    method: 'post',
    path: async (c) => `/api/v1/volunteer-needs/${await need(c, 'accepted', 'accepted')}/done`,
    body: () => ({ hours: 1.5 }),
    ok: ['neighbour'],
  },
  {
    route: 'POST /api/v1/volunteer-needs/:id/rating (the requester; a proxy of the home)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/volunteer-needs/${await fresh(c, allowed, 'done')}/rating`,
    body: () => ({ score: 5 }),
    ok: ['reporter'],
  },
  {
    route: 'GET /api/v1/households/:id/proxies (3-2-301)',
    method: 'get',
    path: (c) => `/api/v1/households/${id(c.w.home)}/proxies`,
    ok: ['reporter', ...HOME_STAFF],
  },
  {
    route: 'POST /api/v1/households/:id/proxies (3-2-301: its resident or its staff)',
    method: 'post',
    path: (c) => `/api/v1/households/${id(c.w.home)}/proxies`,
    body: async (c, allowed) => ({
      personId: allowed ? await c.freshResident() : id(c.w.outsider),
      relation: 'family',
    }),
    ok: ['reporter', ...HOME_STAFF],
  },
  {
    route: 'DELETE /api/v1/household-proxies/:id (of 3-2-301)',
    method: 'delete',
    path: async (c, allowed) =>
      `/api/v1/household-proxies/${await proxy(c, allowed ? String(Math.random()) : 'proxy')}`,
    ok: [...HOME_STAFF],
  },
  { route: 'GET /api/v1/proxies/mine', method: 'get', path: () => '/api/v1/proxies/mine', ok: SIGNED_IN },
  {
    route: 'POST /api/v1/households/:id/cases (only a linked proxy)',
    method: 'post',
    path: async (c) => {
      await proxy(c)
      return `/api/v1/households/${id(c.w.home)}/cases`
    },
    headers: () => ({ 'idempotency-key': `proxy-report-${Math.random().toString(36).slice(2)}` }),
    body: () => ({ text: '家里厨房水管漏水了' }),
    ok: ['neighbour'],
  },
  {
    route: 'POST /api/v1/households/:id/notice-acks (only a linked proxy)',
    method: 'post',
    path: async (c) => {
      await proxy(c)
      return `/api/v1/households/${id(c.w.home)}/notice-acks`
    },
    body: async (c) => ({ noticeId: await ackNotice(c) }),
    ok: ['neighbour'],
  },
]

/** A sent KH notice asking households for 收到. */
function ackNotice(c: Ctx) {
  return c.memo('ack-notice', async () => {
    const notices = c.api.services.notices
    const n = await notices.create(
      {
        communityId: id(c.w.community),
        title: '停水通知',
        body: '周三停水',
        requireAck: true,
        channels: ['persons'],
      },
      admin(c),
    )
    await notices.send(n.id, { confirm: true }, admin(c))
    return n.id
  })
}
