import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import '../../src/models/outbox.model.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452', 'hex'),
  Buffer.alloc(32, 1),
])

describe('case routes through the mini-program API', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('a resident uploads a photo, reports with it once however often the client retries, and follows the case', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const up = await api.http.post('/api/v1/uploads').set(auth).set('content-type', 'image/png').send(PNG)
    expect(up.status).toBe(201)
    expect(up.body.ref).toMatch(/^upload:[0-9a-f]{64}\.png$/)
    expect(readdirSync(path.join(api.dataDir, 'uploads'))).toHaveLength(1)

    const report = { text: '3号楼2单元楼道灯坏了，晚上很黑', photos: [up.body.ref] }
    const first = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .set('idempotency-key', 'req-0001-abc')
      .send(report)
    expect(first.status).toBe(201)
    expect(first.body.case).toMatchObject({
      channel: 'miniprogram',
      status: 'assigned',
      assigneeId: String(w.worker._id),
    })
    expect(first.body.case.attachments).toEqual([{ kind: 'image', ref: up.body.ref, name: '' }])
    const retry = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .set('idempotency-key', 'req-0001-abc')
      .send(report)
    expect(retry.status).toBe(200)
    expect(retry.body.case.number).toBe(first.body.case.number)
    expect(await CaseModel.countDocuments()).toBe(1)

    const detail = await api.http.get(`/api/v1/cases/${first.body.case.number}`).set(auth)
    expect(detail.status).toBe(200)
    expect(detail.body.timeline.map((t: { action: string }) => t.action)).toEqual(['opened', 'assigned'])
  })

  it('refuses uploads that are not what they claim, too large, or not images', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const fake = await api.http.post('/api/v1/uploads').set(auth).set('content-type', 'image/jpeg').send(PNG)
    expect(fake.status).toBe(400)
    const text = await api.http
      .post('/api/v1/uploads')
      .set(auth)
      .set('content-type', 'text/plain')
      .send('hello')
    expect(text.status).toBe(400)
    const big = Buffer.concat([PNG, Buffer.alloc(api.config.http.uploadLimitMb * 1024 * 1024)])
    const large = await api.http.post('/api/v1/uploads').set(auth).set('content-type', 'image/png').send(big)
    expect(large.status).toBe(413)
    const anonymous = await api.http.post('/api/v1/uploads').set('content-type', 'image/png').send(PNG)
    expect(anonymous.status).toBe(401)
    const unknownRef = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .set('idempotency-key', 'req-0002-abc')
      .send({ text: '楼道灯坏了', photos: [`upload:${'a'.repeat(64)}.png`] })
    expect(unknownRef.status).toBe(400)
    expect(await CaseModel.countDocuments()).toBe(0)
  })

  it('refuses fields a resident may not set and operator keys, changing nothing', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const base = { text: '3号楼电梯坏了' }
    for (const extra of [
      { status: 'closed' },
      { assigneeId: String(w.worker2._id) },
      { deadlines: { resolveBy: '2030-01-01' } },
      { points: 100 },
      { channel: 'open311' },
      { reporter: { personId: String(w.li._id) } },
      { location: { gridId: String(w.grid2._id), communityId: String(w.other._id) } },
    ]) {
      const res = await api.http
        .post('/api/v1/cases')
        .set(auth)
        .set('idempotency-key', 'client-req-1')
        .send({ ...base, ...extra })
      expect(res.status, JSON.stringify(extra)).toBe(400)
      expect(res.body.error.code).toBe('INVALID_INPUT')
    }
    const ne = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .send({ ...base, category: { $ne: null } })
    expect(ne.status).toBe(400)
    const where = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .send({ ...base, $where: 'sleep(1000)' })
    expect(where.status).toBe(400)
    const noKey = await api.http.post('/api/v1/cases').set(auth).send({ text: '3号楼电梯坏了' })
    expect(noKey.status).toBe(400)
    expect(await CaseModel.countDocuments()).toBe(0)

    const opened = await api.http
      .post('/api/v1/cases')
      .set(auth)
      .set('idempotency-key', 'client-req-1')
      .send(base)
    expect(opened.status).toBe(201)
    const number = opened.body.case.number
    const staff = await w.headers('staff')
    const q1 = await api.http.get('/api/v1/community/cases?status[$ne]=closed').set(staff)
    expect(q1.status).toBe(400)
    const q2 = await api.http.get('/api/v1/cases/mine?cursor[$gt]=0').set(auth)
    expect(q2.status).toBe(400)
    const acceptWithStatus = await api.http
      .post(`/api/v1/cases/${number}/accept`)
      .set(await w.headers('worker'))
      .send({ status: 'closed' })
    expect(acceptWithStatus.status).toBe(400)
    const resolve = await api.http
      .post(`/api/v1/cases/${number}/resolve`)
      .set(await w.headers('worker'))
      .send({ note: '修好了', assigneeId: String(w.worker2._id) })
    expect(resolve.status).toBe(400)
    const after = await CaseModel.findOne({ number }).lean()
    expect(after?.status).toBe('assigned')
    expect(String(after?.assigneeId)).toBe(String(w.worker._id))
  })

  it('pages my cases with a cursor and filters them by status', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const numbers: string[] = []
    for (let i = 1; i <= 5; i++) {
      const res = await api.http
        .post('/api/v1/cases')
        .set(auth)
        .set('idempotency-key', `page-test-${i}`)
        .send({ text: `${30 + i}号楼${i}单元楼道灯坏了` })
      expect(res.status).toBe(201)
      numbers.push(res.body.case.number)
    }
    const seen: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 4; page++) {
      const res = await api.http
        .get(`/api/v1/cases/mine?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(auth)
      expect(res.status).toBe(200)
      seen.push(...res.body.items.map((c: { number: string }) => c.number))
      cursor = res.body.nextCursor
      if (!cursor) break
    }
    expect(seen).toEqual([...numbers].reverse())
    await api.services.cases.accept(numbers[0] as string, {
      personId: String(w.worker._id),
      roles: ['grid_worker'],
    })
    const worker = { personId: String(w.worker._id), roles: ['grid_worker'] }
    await api.services.cases.accept(numbers[2] as string, worker)
    const working = await api.http.get('/api/v1/cases/mine?status=in_progress&limit=1').set(auth)
    expect(working.body.items.map((c: { number: string }) => c.number)).toEqual([numbers[2]])
    const rest = await api.http
      .get(`/api/v1/cases/mine?status=in_progress&limit=1&cursor=${working.body.nextCursor}`)
      .set(auth)
    expect(rest.body.items.map((c: { number: string }) => c.number)).toEqual([numbers[0]])
    const end = await api.http
      .get(`/api/v1/cases/mine?status=in_progress&limit=1&cursor=${rest.body.nextCursor}`)
      .set(auth)
    expect(end.body).toEqual({ items: [] })
    const bad = await api.http.get('/api/v1/cases/mine?limit=1000').set(auth)
    expect(bad.status).toBe(400)
  })

  it('walks a case through the worker, the rating and the points over HTTP', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const resident = await w.headers('reporter')
    const worker = await w.headers('worker')
    const opened = await api.http
      .post('/api/v1/cases')
      .set(resident)
      .set('idempotency-key', 'flow-0001')
      .send({ text: '3号楼2单元楼道灯坏了' })
    const n = opened.body.case.number
    const inbox = await api.http.get('/api/v1/worker/cases').set(worker)
    expect(inbox.body.items.map((c: { number: string }) => c.number)).toContain(n)
    expect((await api.http.post(`/api/v1/cases/${n}/accept`).set(worker).send({})).body.status).toBe(
      'in_progress',
    )
    expect(
      (await api.http.post(`/api/v1/cases/${n}/progress`).set(worker).send({ note: '电工下午到' })).status,
    ).toBe(200)
    const resolved = await api.http
      .post(`/api/v1/cases/${n}/resolve`)
      .set(worker)
      .send({ note: '灯泡已更换' })
    expect(resolved.body.status).toBe('resolved')
    const early = await api.http.post(`/api/v1/cases/${n}/rate`).set(resident).send({ score: 9 })
    expect(early.status).toBe(400)
    const rated = await api.http
      .post(`/api/v1/cases/${n}/rate`)
      .set(resident)
      .send({ score: 5, comment: '很快' })
    expect(rated.body).toMatchObject({ status: 'closed', rating: { score: 5, comment: '很快' } })
    const again = await api.http.post(`/api/v1/cases/${n}/rate`).set(resident).send({ score: 4 })
    expect(again.status).toBe(409)
    const points = await api.http.get('/api/v1/points/me').set(resident)
    expect(points.status).toBe(200)
    expect(typeof points.body.balance).toBe('number')
    const ledger = await api.http.get('/api/v1/points/me/ledger?limit=100').set(resident)
    const sum = ledger.body.items.reduce((s: number, e: { delta: number }) => s + e.delta, 0)
    expect(sum).toBe(points.body.balance)
    const others = await api.http.get('/api/v1/points/me').set(await w.headers('neighbour'))
    expect(others.body.balance).toBe(0)
  })

  it('lets a heating company claim a posted case once, and community staff filter, merge and reassign', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const resident = await w.headers('reporter')
    const heat = await api.http
      .post('/api/v1/cases')
      .set(resident)
      .set('idempotency-key', 'heat-0001')
      .send({ text: '家里暖气一点都不热', category: 'heating_utilities' })
    const n = heat.body.case.number
    expect(heat.body.case.status).toBe('posted')
    const market = await api.http.get('/api/v1/marketplace').set(await w.headers('dept'))
    expect(market.body.items.map((c: { number: string }) => c.number)).toEqual([n])
    const claimA = await api.http
      .post(`/api/v1/cases/${n}/claim`)
      .set(await w.headers('dept'))
      .send({})
    expect(claimA.body).toMatchObject({
      status: 'assigned',
      departmentId: String(w.deptA.staff?.departmentId),
    })
    const claimB = await api.http
      .post(`/api/v1/cases/${n}/claim`)
      .set(await w.headers('deptB'))
      .send({})
    expect(claimB.status).toBe(409)
    expect((await api.http.get('/api/v1/marketplace').set(await w.headers('deptB'))).body.items).toEqual([])

    const staff = await w.headers('staff')
    const one = await api.services.cases.open({
      channel: 'group',
      sourceKey: 'm-1',
      text: '5号楼门口垃圾桶满了',
      category: 'sanitation',
      location: { gridId: String(w.grid._id) },
    })
    const two = await api.services.cases.open({
      channel: 'group',
      sourceKey: 'm-2',
      text: '小区东门路灯不亮',
      category: 'facility_repair',
      location: { gridId: String(w.grid2._id) },
    })
    const byGrid = await api.http.get(`/api/v1/community/cases?grid=${String(w.grid2._id)}`).set(staff)
    expect(byGrid.body.items.map((c: { number: string }) => c.number)).toEqual([two.case.number])
    const byCategory = await api.http.get('/api/v1/community/cases?category=heating_utilities').set(staff)
    expect(byCategory.body.items.map((c: { number: string }) => c.number)).toEqual([n])
    const overdue = await api.http.get('/api/v1/community/cases?overdue=true').set(staff)
    expect(overdue.body.items).toEqual([])
    const merged = await api.http
      .post(`/api/v1/cases/${one.case.number}/merge`)
      .set(staff)
      .send({ into: two.case.number })
    expect(merged.body.timeline.at(-1)).toMatchObject({ action: 'merged_from', from: one.case.number })
    const reassigned = await api.http
      .post(`/api/v1/cases/${two.case.number}/reassign`)
      .set(staff)
      .send({ toWorkerId: String(w.worker._id), reason: '赵网格休假' })
    expect(reassigned.body.assigneeId).toBe(String(w.worker._id))
    const walkIn = (reporterId: unknown, k: string) =>
      api.http
        .post('/api/v1/worker/walk-in')
        .set(worker)
        .set('idempotency-key', k)
        .send({
          text: '老人说3号楼楼梯扶手松了',
          location: { gridId: String(w.grid._id) },
          reporterId: String(reporterId),
        })
    const worker = await w.headers('worker')
    expect((await walkIn(w.outsider._id, 'walkin-0001')).status).toBe(403)
    const entered = await walkIn(w.zhang._id, 'walkin-0002')
    expect(entered.status).toBe(201)
    expect(entered.body.case).toMatchObject({ channel: 'walk_in', reporterId: String(w.zhang._id) })
    const noReason = await api.http
      .post(`/api/v1/cases/${two.case.number}/reassign`)
      .set(staff)
      .send({ toWorkerId: String(w.worker2._id) })
    expect(noReason.status).toBe(400)
  })

  it('serves statistics as JSON and as a CSV Excel opens', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await api.services.cases.open({
      channel: 'group',
      sourceKey: 's-1',
      text: '3号楼楼道灯坏了',
      category: 'facility_repair',
      location: { gridId: String(w.grid._id) },
    })
    const staff = await w.headers('staff')
    const json = await api.http.get('/api/v1/stats?by=grid&from=2026-11-01&to=2026-12-01').set(staff)
    expect(json.status).toBe(200)
    expect(json.body.communityId).toBe(String(w.community._id))
    expect(json.body.totals.total).toBe(1)
    const csv = await api.http.get('/api/v1/stats.csv?by=category&from=2026-11-01&to=2026-12-01').set(staff)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.text.startsWith('\uFEFF事项类别')).toBe(true)
    expect(csv.text).toContain('设施报修')
    const reversed = await api.http.get('/api/v1/stats?from=2026-12-01&to=2026-11-01').set(staff)
    expect(reversed.status).toBe(400)
  })

  it('shows staff masked resident data and reveals the numbers only with a reason, audited', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const person = await api.services.registry.createResident({
      name: '孙六',
      householdId: String(w.home._id),
      phone: '13812345678',
    })
    const staff = await w.headers('staff')
    const masked = await api.http.get(`/api/v1/residents/${person.id}`).set(staff)
    expect(masked.body.phone).toBe('138****5678')
    expect(JSON.stringify(masked.body)).not.toContain('13812345678')
    expect(masked.body).not.toHaveProperty('token')
    const noReason = await api.http.post(`/api/v1/residents/${person.id}/reveal`).set(staff).send({})
    expect(noReason.status).toBe(400)
    const revealed = await api.http
      .post(`/api/v1/residents/${person.id}/reveal`)
      .set(staff)
      .send({ reason: '上门核实漏水' })
    expect(revealed.body.phone).toBe('13812345678')
    const audit = await api.services.registry.listAuditRecords(person.id)
    expect(audit.map((a) => a.action)).toEqual(['reveal_personal_data'])
  })
})
