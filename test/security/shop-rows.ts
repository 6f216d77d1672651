import { givePoints, shopTargets } from '../api/shop-world.js'
import type { Ctx, Row } from './authz-harness.js'
import { SIGNED_IN } from './authz-harness.js'

const STAFF_OK = ['staff', 'admin'] as const
/** People whose home is community KH: the shop's residents (staff 陈社区 has no home there). */
const KH_HOMES = ['reporter', 'neighbour', 'worker', 'worker2'] as const
const id = (v: { _id: unknown }) => String(v._id)

function shop(c: Ctx) {
  return c.memo('shop', async () => {
    const t = await shopTargets(c.api, c.w)
    for (const who of KH_HOMES) await givePoints(c.api, c.w, c.w.people[who], 500, `authz:${who}`)
    return t
  })
}

/** `path`, once the shop has an item and a redemption to show. */
async function withShop(c: Ctx, path: string): Promise<string> {
  await shop(c)
  return path
}

/** A fresh open redemption of 张三's for an allowed role (verify, cancel change it), else the shared one. */
async function redemption(c: Ctx, allowed: boolean) {
  const t = await shop(c)
  if (!allowed) return { id: t.redemptionId, code: t.code }
  const r = await c.api.services.shop.redeem({
    itemId: t.shopItemId,
    personId: id(c.w.zhang),
    key: `authz-${Math.random()}`,
    channel: 'api',
  })
  return { id: r.id, code: r.code as string }
}

const fresh = () => ({ 'idempotency-key': `authz-${Math.random().toString(36).slice(2)}` })

/** The points shop, awards, statements, leaderboard and preferences × role × foreign id. */
export const SHOP_ROWS: Row[] = [
  {
    route: 'GET /api/v1/shop/items?communityId=KH',
    method: 'get',
    path: (c) => withShop(c, `/api/v1/shop/items?communityId=${id(c.w.community)}`),
    ok: [...KH_HOMES, ...STAFF_OK],
  },
  {
    route: 'POST /api/v1/shop/items (KH)',
    method: 'post',
    path: () => '/api/v1/shop/items',
    body: (c) => ({ communityId: id(c.w.community), title: '理发券', cost: 30, stock: 5 }),
    ok: [...STAFF_OK],
  },
  {
    route: 'PATCH /api/v1/shop/items/:id (a KH item)',
    method: 'patch',
    path: async (c) => `/api/v1/shop/items/${(await shop(c)).shopItemId}`,
    body: () => ({ stock: 40 }),
    ok: [...STAFF_OK],
    deny: { otherStaff: 404 },
  },
  {
    route: 'POST /api/v1/shop/merchant-staff (a KH merchant verifier login)',
    method: 'post',
    path: () => '/api/v1/shop/merchant-staff',
    body: (c) => ({ communityId: id(c.w.community), merchantName: '老李修鞋铺', name: '李师傅' }),
    ok: [...STAFF_OK],
  },
  {
    route: 'POST /api/v1/shop/items/:id/redeem (a KH item)',
    method: 'post',
    path: async (c) => `/api/v1/shop/items/${(await shop(c)).shopItemId}/redeem`,
    headers: fresh,
    body: () => ({}),
    ok: [...KH_HOMES],
  },
  {
    route: 'GET /api/v1/shop/redemptions (my own)',
    method: 'get',
    path: () => '/api/v1/shop/redemptions',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/shop/redemptions?communityId=KH',
    method: 'get',
    path: (c) => withShop(c, `/api/v1/shop/redemptions?communityId=${id(c.w.community)}`),
    // The merchant's verifier: only its own items' redemptions (none here).
    ok: [...STAFF_OK, 'merchant'],
  },
  {
    route: 'POST /api/v1/shop/redemptions/verify (a KH pickup code)',
    method: 'post',
    path: () => '/api/v1/shop/redemptions/verify',
    body: async (c, allowed) => ({ code: (await redemption(c, allowed)).code }),
    ok: [...STAFF_OK],
    // The merchant's verifier may verify, but not a community item's code: as unknown.
    deny: { otherStaff: 404, merchant: 404 },
  },
  {
    route: "POST /api/v1/shop/redemptions/:id/cancel (张三's open redemption)",
    method: 'post',
    path: async (c, allowed) => `/api/v1/shop/redemptions/${(await redemption(c, allowed)).id}/cancel`,
    ok: ['reporter', ...STAFF_OK],
    deny: Object.fromEntries(
      ['neighbour', 'worker', 'worker2', 'dept', 'deptB', 'otherStaff', 'outsider', 'merchant'].map((w) => [
        w,
        404,
      ]),
    ),
  },
  { route: 'GET /api/v1/points/rules', method: 'get', path: () => '/api/v1/points/rules', ok: SIGNED_IN },
  {
    route: 'POST /api/v1/points/awards (activity points to 张三 of KH-01)',
    method: 'post',
    path: () => '/api/v1/points/awards',
    headers: fresh,
    body: (c) => ({ personId: id(c.w.zhang), kind: 'activity', rule: '志愿服务' }),
    ok: ['worker', ...STAFF_OK],
  },
  {
    route: 'POST /api/v1/points/awards (conduct points: community staff only)',
    method: 'post',
    path: () => '/api/v1/points/awards',
    headers: fresh,
    body: (c) => ({ personId: id(c.w.zhang), kind: 'conduct', rule: '助人为乐', note: '帮邻居' }),
    ok: [...STAFF_OK],
  },
  {
    route: 'GET /api/v1/points/statement',
    method: 'get',
    path: () => '/api/v1/points/statement?month=2026-11',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/points/leaderboard?gridId=KH-01',
    method: 'get',
    path: (c) => `/api/v1/points/leaderboard?gridId=${id(c.w.grid)}`,
    ok: ['reporter', 'neighbour', 'worker', ...STAFF_OK],
  },
  {
    route: 'PATCH /api/v1/me/preferences',
    method: 'patch',
    path: () => '/api/v1/me/preferences',
    body: () => ({ leaderboardOptOut: true }),
    ok: SIGNED_IN,
  },
]
