import { randomBytes } from 'node:crypto'
import ExcelJS from 'exceljs'
import type { Context, Next } from 'koa'
import request from 'supertest'
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { createFieldCrypto } from '../../lib/crypto.js'
import { silentLogger } from '../../lib/logger.js'
import '../../models/audit.model.js'
import { createRegistryService } from '../../services/registry/registry.service.js'
import { createApp } from '../app.js'
import type { Actor } from '../middleware/auth.js'
import { registryRoutes } from './registry.routes.js'

const crypto = createFieldCrypto({
  encryptionKey: randomBytes(32).toString('hex'),
  hashSecret: 'k',
  env: 'test',
})
const registry = createRegistryService({
  clock: fixedClock(new Date('2026-03-01T08:00:00Z')),
  crypto,
  logger: silentLogger,
})

/** Stands in for the real token authentication: the test names the actor in a header. */
async function testActor(ctx: Context, next: Next) {
  const header = ctx.get('x-test-actor')
  if (header) ctx.state.actor = JSON.parse(header) as Actor
  await next()
}

const app = createApp({
  logger: silentLogger,
  bodyLimitKb: 64,
  middleware: [testActor],
  routers: [registryRoutes({ registry, uploadLimitMb: 1 })],
}).callback()

const as = (actor: Partial<Actor>) =>
  JSON.stringify({
    personId: '000000000000000000000000',
    roles: ['resident'],
    communityIds: [],
    gridIds: [],
    via: 'dev',
    ...actor,
  })

describe('registry routes', () => {
  useTestDatabase()
  let ids: { communityId: string; gridId: string; householdId: string; token: string; residentId: string }
  let staff: string

  beforeEach(async () => {
    const c = await registry.upsertCommunity({ code: 'KH', name: '康和社区' })
    const g = await registry.upsertGrid({
      code: 'KH-01',
      name: '第一网格',
      communityId: c.id,
      buildings: ['3'],
    })
    const h1 = await registry.upsertHousehold({ communityId: c.id, building: '3', unit: '1', room: '101' })
    await registry.upsertHousehold({ communityId: c.id, building: '3', unit: '1', room: '102' })
    await registry.upsertHousehold({ communityId: c.id, building: '3', unit: '2', room: '101' })
    const r = await registry.createResident({ name: '新居民' })
    ids = { communityId: c.id, gridId: g.id, householdId: h1.id, token: h1.token, residentId: r.id }
    staff = as({ personId: 'aaaaaaaaaaaaaaaaaaaaaaaa', roles: ['community_staff'], communityIds: [c.id] })
  })

  it('renders household and grid QR codes as PNG and SVG for staff of the community', async () => {
    const png = await request(app)
      .get(`/api/v1/households/${ids.householdId}/qrcode.png`)
      .set('x-test-actor', staff)
    expect(png.status).toBe(200)
    expect(png.headers['content-type']).toBe('image/png')
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG')
    const svg = await request(app).get(`/api/v1/grids/${ids.gridId}/qrcode.svg`).set('x-test-actor', staff)
    expect(svg.headers['content-type']).toContain('image/svg+xml')
    expect(Buffer.from(svg.body as Buffer).toString()).toContain('<svg')
    const other = as({ roles: ['community_staff'], communityIds: ['bbbbbbbbbbbbbbbbbbbbbbbb'] })
    const denied = await request(app).get(`/api/v1/grids/${ids.gridId}/qrcode.svg`).set('x-test-actor', other)
    expect(denied.status).toBe(403)
    expect((await request(app).get(`/api/v1/grids/${ids.gridId}/qrcode.svg`)).status).toBe(401)
    const missing = await request(app)
      .get('/api/v1/households/nonsense/qrcode.png')
      .set('x-test-actor', staff)
    expect(missing.status).toBe(400)
  })

  it('lets residents see their own code but not other people’s', async () => {
    const mine = await request(app)
      .get(`/api/v1/residents/${ids.residentId}/qrcode.svg`)
      .set('x-test-actor', as({ personId: ids.residentId }))
    expect(mine.status).toBe(200)
    const theirs = await request(app)
      .get(`/api/v1/residents/${ids.residentId}/qrcode.svg`)
      .set('x-test-actor', as({}))
    expect(theirs.status).toBe(403)
  })

  it('prints a building’s household codes as an A4 HTML sheet', async () => {
    const res = await request(app)
      .get(`/api/v1/grids/${ids.gridId}/buildings/3号楼/codes.html`)
      .set('x-test-actor', staff)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.text.match(/<svg/g)).toHaveLength(3)
    expect(res.text).toContain('3号楼1单元101室')
    expect(res.text).toContain('size: A4')
    expect(res.text.indexOf('3号楼1单元102室')).toBeLessThan(res.text.indexOf('3号楼2单元101室'))
    const resident = await request(app)
      .get(`/api/v1/grids/${ids.gridId}/buildings/3/codes.html`)
      .set('x-test-actor', as({}))
    expect(resident.status).toBe(403)
    const empty = await request(app)
      .get(`/api/v1/grids/${ids.gridId}/buildings/9/codes.html`)
      .set('x-test-actor', staff)
    expect(empty.status).toBe(404)
  })

  it('binds the calling resident to the household of a scanned code; a revoked code is refused', async () => {
    const me = as({ personId: ids.residentId })
    const ok = await request(app)
      .post('/api/v1/households/bind')
      .set('x-test-actor', me)
      .send({ token: `linli:h:${ids.token}` })
    expect(ok.status).toBe(200)
    expect(ok.body.household.address).toBe('3号楼1单元101室')
    expect((await registry.getResident(ids.residentId)).householdId).toBe(ids.householdId)
    await registry.revokeToken('household', ids.householdId)
    const revoked = await request(app)
      .post('/api/v1/households/bind')
      .set('x-test-actor', me)
      .send({ token: ids.token })
    expect(revoked.status).toBe(409)
    expect(revoked.body.error.message).toBe('这个门牌码已经作废，请联系网格员领取新的门牌码')
    const wrongKind = await request(app)
      .post('/api/v1/households/bind')
      .set('x-test-actor', me)
      .send({ token: 'linli:g:abcdefghijklmnopqrstuvwx' })
    expect(wrongKind.status).toBe(400)
  })

  it('imports an uploaded CSV or XLSX for staff, refusing other communities, other types and large files', async () => {
    const csv =
      '网格编号,楼栋,单元,房号,姓名,手机号\nKH-01,3,1,101,张三,13812345678\nKH-01,3,1,103,李四,139\n'
    const res = await request(app)
      .post('/api/v1/admin/import?community=KH')
      .set('x-test-actor', staff)
      .set('content-type', 'text/csv')
      .send(csv)
    expect(res.status).toBe(200)
    expect(res.body.residents.created).toBe(1)
    expect(res.body.households).toEqual({ created: 0, updated: 0, skipped: 1 })
    expect(res.body.errors).toEqual([
      { row: 3, column: '手机号', reason: '手机号格式不正确，应为11位手机号' },
    ])

    const wb = new ExcelJS.Workbook()
    wb.addWorksheet('s').addRows([
      ['网格编号', '地址', '姓名'],
      ['KH-01', '3-2-201', '王五'],
    ])
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer())
    const x = await request(app)
      .post('/api/v1/admin/import')
      .set('x-test-actor', staff)
      .set('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .send(xlsx)
    expect(x.body.households.created).toBe(1)

    const outsider = as({ roles: ['community_staff'], communityIds: ['bbbbbbbbbbbbbbbbbbbbbbbb'] })
    const foreign = await request(app)
      .post('/api/v1/admin/import')
      .set('x-test-actor', outsider)
      .set('content-type', 'text/csv')
      .send(csv)
    expect(foreign.body.errors[0]).toEqual({ row: 2, reason: '无权导入其他社区的数据' })
    expect(
      (
        await request(app)
          .post('/api/v1/admin/import')
          .set('x-test-actor', as({}))
          .set('content-type', 'text/csv')
          .send(csv)
      ).status,
    ).toBe(403)
    const json = await request(app).post('/api/v1/admin/import').set('x-test-actor', staff).send({ a: 1 })
    expect(json.status).toBe(400)
    const big = await request(app)
      .post('/api/v1/admin/import')
      .set('x-test-actor', staff)
      .set('content-type', 'text/csv')
      .send('x'.repeat(1024 * 1024 + 10))
    expect(big.status).toBe(413)
    const wrong = await request(app)
      .post('/api/v1/admin/import')
      .set('x-test-actor', staff)
      .set('content-type', 'text/csv')
      .send('姓名,电话\n张三,13812345678\n')
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.message).toContain('网格编号')
  })
})
