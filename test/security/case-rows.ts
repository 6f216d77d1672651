import type { Who } from '../api/api-world.js'
import type { Ctx, Kind, Row } from './authz-harness.js'
import { SIGNED_IN } from './authz-harness.js'
import { PNG } from './platform-rows.js'

const FROM = 'from=2026-11-01&to=2026-12-01'
const STAFF_OK: Who[] = ['staff', 'admin']
const HANDLERS: Who[] = ['worker', 'staff', 'admin']
const caseOf =
  (key: 'A' | 'P' | 'O' | 'R', suffix = '', kind?: Kind) =>
  async (c: Ctx, allowed: boolean) =>
    `/api/v1/cases/${allowed && kind ? await c.freshCase(kind) : (await c.targets())[key]}${suffix}`
/** A KH-01 case of 张三's with a photo he uploaded; its number and the photo's file name. */
const photoCase = (c: Ctx) =>
  c.memo('photo-case', async () => {
    const up = await c.api.http
      .post('/api/v1/uploads')
      .set(await c.w.headers('reporter'))
      .set('content-type', 'image/png')
      .send(PNG)
    const ref = String(up.body.ref)
    const opened = await c.api.services.cases.open({
      channel: 'miniprogram',
      sourceKey: 'matrix-photo-case',
      text: '88号楼门口的垃圾桶坏了',
      category: 'sanitation',
      reporter: { personId: String(c.w.zhang._id) },
      attachments: [{ kind: 'image', ref }],
    })
    return { number: opened.case.number, file: ref.slice('upload:'.length) }
  })
const residentPath =
  (suffix: string, fresh = false) =>
  async (c: Ctx, allowed: boolean) =>
    `/api/v1/residents/${allowed && fresh ? await c.freshResident() : String(c.w.zhang._id)}${suffix}`
let key = 0
/** A new number each call (distinct texts and request ids for repeated opens). */
const nextKey = () => {
  key += 1
  return key
}

/** The case, points, stats and resident routes (the first matrix, from issue 5). */
export const CASE_ROWS: Row[] = [
  {
    route: 'POST /api/v1/cases',
    method: 'post',
    path: () => '/api/v1/cases',
    headers: () => ({ 'idempotency-key': `matrix-open-${nextKey()}` }),
    body: () => ({ text: `${nextKey()}号楼门口的井盖松了` }),
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/cases/mine',
    method: 'get',
    path: () => '/api/v1/cases/mine',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/cases/:number (grid case)',
    method: 'get',
    path: caseOf('A'),
    ok: ['reporter', 'worker', 'staff', 'admin'],
  },
  {
    route: 'GET /api/v1/cases/:number (posted to departments)',
    method: 'get',
    path: caseOf('P'),
    ok: ['reporter', 'worker', 'dept', 'deptB', 'staff', 'admin'],
  },
  {
    route: "GET /api/v1/cases/:number (another community's case)",
    method: 'get',
    path: caseOf('O'),
    ok: ['outsider', 'otherStaff', 'admin'],
  },
  {
    route: 'POST /api/v1/cases/:number/comments',
    method: 'post',
    path: caseOf('A', '/comments'),
    body: () => ({ note: '请尽快处理，谢谢' }),
    ok: ['reporter', 'worker', 'staff', 'admin'],
  },
  {
    route: 'POST /api/v1/cases/:number/rate',
    method: 'post',
    path: caseOf('R', '/rate', 'resolved'),
    body: () => ({ score: 5 }),
    ok: ['reporter'],
  },
  {
    route: 'POST /api/v1/cases/:number/reopen',
    method: 'post',
    path: caseOf('R', '/reopen', 'resolved'),
    body: () => ({ reason: '灯又不亮了' }),
    ok: ['reporter', ...HANDLERS],
  },
  {
    route: 'GET /api/v1/worker/cases',
    method: 'get',
    path: () => '/api/v1/worker/cases',
    ok: ['worker', 'worker2'],
  },
  {
    route: 'GET /api/v1/worker/cases?gridId= (KH-01)',
    method: 'get',
    path: (c) => `/api/v1/worker/cases?gridId=${String(c.w.grid._id)}`,
    ok: ['worker'],
  },
  {
    route: 'POST /api/v1/cases/:number/accept',
    method: 'post',
    path: caseOf('A', '/accept', 'assigned'),
    ok: HANDLERS,
  },
  {
    route: 'POST /api/v1/cases/:number/progress',
    method: 'post',
    path: caseOf('A', '/progress', 'assigned'),
    body: () => ({ note: '已联系电工，下午到' }),
    ok: HANDLERS,
  },
  {
    route: 'POST /api/v1/cases/:number/resolve',
    method: 'post',
    path: caseOf('A', '/resolve', 'assigned'),
    body: () => ({ note: '灯泡已更换' }),
    ok: HANDLERS,
  },
  {
    route: 'POST /api/v1/cases/:number/transfer',
    method: 'post',
    path: caseOf('A', '/transfer', 'assigned'),
    body: (c) => ({ toWorkerId: String(c.w.partTime._id), reason: '兼职网格员就在楼下' }),
    ok: HANDLERS,
  },
  {
    route: 'POST /api/v1/cases/:number/return',
    method: 'post',
    path: caseOf('A', '/return', 'assigned'),
    body: () => ({ reason: '不属于本网格' }),
    ok: HANDLERS,
  },
  {
    route: 'POST /api/v1/worker/walk-in (KH-01)',
    method: 'post',
    path: () => '/api/v1/worker/walk-in',
    headers: () => ({ 'idempotency-key': `matrix-walkin-${nextKey()}` }),
    body: (c) => ({
      text: `${nextKey()}号楼老人反映楼梯扶手松了`,
      location: { gridId: String(c.w.grid._id) },
    }),
    ok: ['worker', 'admin'],
  },
  {
    route: 'GET /api/v1/marketplace',
    method: 'get',
    path: () => '/api/v1/marketplace',
    ok: ['dept', 'deptB'],
  },
  {
    route: 'POST /api/v1/cases/:number/claim',
    method: 'post',
    path: caseOf('P', '/claim', 'posted'),
    ok: ['dept', 'deptB'],
  },
  {
    route: 'GET /api/v1/community/cases?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/community/cases?communityId=${String(c.w.community._id)}`,
    ok: STAFF_OK,
  },
  {
    route:
      'GET /api/v1/community/cases?communityId=KH (board filters: text, re-work, unowned, channel, days)',
    method: 'get',
    path: (c) =>
      `/api/v1/community/cases?communityId=${String(c.w.community._id)}&q=${encodeURIComponent('楼')}` +
      `&rework=false&unowned=true&channel=group&from=2026-11-01&to=2026-11-30&count=true`,
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/merge',
    method: 'post',
    path: caseOf('A', '/merge', 'assigned'),
    body: async (c) => ({ into: (await c.targets()).A }),
    ok: STAFF_OK,
  },
  {
    route: "POST /api/v1/cases/:number/merge (into another community's case)",
    method: 'post',
    path: caseOf('A', '/merge'),
    body: async (c) => ({ into: (await c.targets()).O }),
    ok: ['admin'],
  },
  {
    route: 'POST /api/v1/cases/:number/reassign',
    method: 'post',
    path: caseOf('A', '/reassign', 'assigned'),
    body: (c) => ({ toWorkerId: String(c.w.worker2._id), reason: '网格调整' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/post',
    method: 'post',
    path: caseOf('A', '/post', 'assigned'),
    body: (c) => ({ departmentIds: [String(c.w.heatA._id)], reason: '需要热力公司上门' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/close',
    method: 'post',
    path: caseOf('R', '/close', 'resolved'),
    body: () => ({ reason: '回访居民，表示满意' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/reject',
    method: 'post',
    path: caseOf('A', '/reject', 'assigned'),
    body: () => ({ reason: '经核实不是真实诉求' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/callbacks',
    method: 'post',
    path: caseOf('R', '/callbacks', 'resolved'),
    body: () => ({ reached: true, satisfied: true, note: '居民说灯已经亮了' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/cases/:number/volunteer-need (需要志愿者)',
    method: 'post',
    path: caseOf('A', '/volunteer-need', 'assigned'),
    body: () => ({ skill: '维修', startsAt: '2026-11-28 10:00' }),
    ok: HANDLERS,
  },
  {
    route: 'GET /api/v1/departments?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/departments?communityId=${String(c.w.community._id)}`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/cases/:number/photos/:file',
    method: 'get',
    path: async (c) => {
      const p = await photoCase(c)
      return `/api/v1/cases/${p.number}/photos/${p.file}`
    },
    ok: ['reporter', 'worker', 'staff', 'admin'],
  },
  {
    route: 'GET /api/v1/points/me',
    method: 'get',
    path: () => '/api/v1/points/me',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/points/me/ledger',
    method: 'get',
    path: () => '/api/v1/points/me/ledger',
    ok: SIGNED_IN,
  },
  {
    route: 'GET /api/v1/intake/cases?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/intake/cases?communityId=${String(c.w.community._id)}`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/intake/cases (own scope)',
    method: 'get',
    path: () => '/api/v1/intake/cases',
    ok: ['staff', 'otherStaff', 'admin'],
  },
  {
    route: 'POST /api/v1/cases/:number/relocate',
    method: 'post',
    path: caseOf('A', '/relocate', 'assigned'),
    body: () => ({ building: '2', note: '居民说明是2号楼' }),
    ok: HANDLERS,
  },
  {
    route: 'GET /api/v1/stats?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/stats?communityId=${String(c.w.community._id)}&${FROM}`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/stats/trend?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/stats/trend?communityId=${String(c.w.community._id)}&from=2026-01-01&to=2026-01-31`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/stats/hotspots?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/stats/hotspots?communityId=${String(c.w.community._id)}`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/stats.csv?communityId=KH',
    method: 'get',
    path: (c) => `/api/v1/stats.csv?communityId=${String(c.w.community._id)}&by=category&${FROM}`,
    ok: STAFF_OK,
  },
  {
    route: 'GET /api/v1/residents?householdId=',
    method: 'get',
    path: (c) => `/api/v1/residents?householdId=${String(c.w.home._id)}`,
    ok: ['worker', 'staff', 'admin'],
  },
  {
    route: 'GET /api/v1/residents/:id',
    method: 'get',
    path: residentPath(''),
    ok: ['worker', 'staff', 'admin'],
  },
  {
    route: 'POST /api/v1/residents/:id/reveal',
    method: 'post',
    path: residentPath('/reveal'),
    body: () => ({ reason: '上门核实漏水情况' }),
    ok: ['worker', 'staff', 'admin'],
  },
  {
    route: 'PATCH /api/v1/residents/:id (企业微信账号)',
    method: 'patch',
    path: residentPath('', true),
    body: () => ({ wecomUserId: `staff.${nextKey()}` }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/residents/:id/export',
    method: 'post',
    path: residentPath('/export'),
    body: () => ({ reason: '居民申请查阅本人信息' }),
    ok: STAFF_OK,
  },
  {
    route: 'POST /api/v1/residents/:id/erase',
    method: 'post',
    path: residentPath('/erase', true),
    body: () => ({ reason: '居民搬离并申请注销' }),
    ok: STAFF_OK,
  },
]
