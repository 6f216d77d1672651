import { expect } from 'vitest'
import type { Ctx, Row } from './authz-harness.js'
import { SIGNED_IN } from './authz-harness.js'

/** Who manages what is addressed to KH-01: its grid worker, KH's staff, the city admin. */
const PLACE = ['worker', 'staff', 'admin'] as const
/** KH-01's residents in the world (张三 has a household, 李四 none). */
const MEMBERS = ['reporter', 'neighbour'] as const
const LISTERS = ['worker', 'worker2', 'staff', 'otherStaff', 'admin'] as const

const adminActor = (c: Ctx) => ({
  personId: String(c.w.admin._id),
  roles: ['admin' as const],
  communityIds: [],
  gridIds: [],
})
const kh01 = (c: Ctx) => ({ communityId: String(c.w.community._id), gridIds: [String(c.w.grid._id)] })

/** A household poll for KH-01 (a fresh one for a role that changes it). */
function poll(c: Ctx, key = 'poll') {
  return c.memo(key, async () => {
    const view = await c.api.services.polls.create(
      {
        audience: kh01(c),
        question: '是否加装电梯？',
        options: ['同意', '不同意'],
        deadline: '2026-12-10 18:00',
      },
      adminActor(c),
    )
    return view.id
  })
}

function topic(c: Ctx, key = 'topic') {
  return c.memo(key, async () => {
    const view = await c.api.services.deliberations.create(
      { audience: kh01(c), title: '停车位分配', closesAt: '2026-12-10 18:00' },
      adminActor(c),
    )
    return view.id
  })
}

const fresh = (make: (c: Ctx, key?: string) => Promise<string>) => (c: Ctx, allowed: boolean) =>
  allowed ? make(c, `fresh-${Math.random()}`) : make(c)

/** The polls and 议事 routes × role × foreign id. */
export const POLL_ROWS: Row[] = [
  {
    route: 'POST /api/v1/polls (KH-01)',
    method: 'post',
    path: () => '/api/v1/polls',
    body: (c) => ({
      audience: kh01(c),
      question: '是否换门禁？',
      options: ['是', '否'],
      deadline: '2026-12-09 12:00',
    }),
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/polls (a KH-01 poll exists)',
    method: 'get',
    path: async (c) => {
      await poll(c)
      return '/api/v1/polls'
    },
    ok: [...LISTERS],
    // Another community's staff and another grid's worker get an empty list.
    verify: (who, body) => {
      const items = (body as { items?: unknown[] }).items
      if (!items) return
      expect(items.length, who).toBe(who === 'otherStaff' || who === 'worker2' ? 0 : 1)
    },
  },
  { route: 'GET /api/v1/polls/open', method: 'get', path: () => '/api/v1/polls/open', ok: SIGNED_IN },
  {
    route: 'GET /api/v1/polls/:id (a KH-01 poll)',
    method: 'get',
    path: async (c) => `/api/v1/polls/${await poll(c)}`,
    ok: [...PLACE, ...MEMBERS],
  },
  {
    route: 'POST /api/v1/polls/:id/close (a KH-01 poll)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/polls/${await fresh(poll)(c, allowed)}/close`,
    ok: [...PLACE],
  },
  {
    route: 'POST /api/v1/polls/:id/votes (a KH-01 household poll)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/polls/${await fresh(poll)(c, allowed)}/votes`,
    body: () => ({ choices: [1] }),
    ok: ['reporter'],
    // 李四 is in the grid but has no household: told so, nothing recorded.
    deny: { neighbour: 409 },
  },
  {
    route: 'POST /api/v1/deliberations (KH-01)',
    method: 'post',
    path: () => '/api/v1/deliberations',
    body: (c) => ({ audience: kh01(c), title: '垃圾分类点位置', closesAt: '2026-12-09 12:00' }),
    ok: [...PLACE],
  },
  {
    route: 'GET /api/v1/deliberations (a KH-01 topic exists)',
    method: 'get',
    path: async (c) => {
      await topic(c)
      return '/api/v1/deliberations'
    },
    ok: [...LISTERS],
    verify: (who, body) => {
      const items = (body as { items?: unknown[] }).items
      if (!items) return
      expect(items.length, who).toBe(who === 'otherStaff' || who === 'worker2' ? 0 : 1)
    },
  },
  ...(['', '/opinions'] as const).map(
    (suffix): Row => ({
      route: `GET /api/v1/deliberations/:id${suffix} (a KH-01 topic)`,
      method: 'get',
      path: async (c) => `/api/v1/deliberations/${await topic(c)}${suffix}`,
      ok: [...PLACE, ...MEMBERS],
    }),
  ),
  {
    route: 'POST /api/v1/deliberations/:id/opinions (a KH-01 topic)',
    method: 'post',
    path: async (c) => `/api/v1/deliberations/${await topic(c)}/opinions`,
    body: () => ({ text: '建议按楼栋轮流' }),
    ok: [...MEMBERS],
  },
  {
    route: 'POST /api/v1/deliberations/:id/decision (a KH-01 topic)',
    method: 'post',
    path: async (c, allowed) => `/api/v1/deliberations/${await fresh(topic)(c, allowed)}/decision`,
    body: () => ({ text: '按楼栋轮流', basis: '居民议事会表决' }),
    ok: [...PLACE],
  },
]
