import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../db.js'
import { API_NOW, type ApiApp, type ApiWorld, makeApiApp, makeApiWorld } from './api-world.js'

/** Opens a case at a given Beijing time through the case service (the clock stands at that time). */
async function openAt(
  api: ApiApp,
  at: string,
  input: {
    channel: string
    key: string
    text: string
    category: string
    gridId: unknown
    reporterId?: unknown
  },
): Promise<string> {
  api.clock.set(new Date(`${at}+08:00`))
  const opened = await api.services.cases.open({
    channel: input.channel,
    sourceKey: `filters-${input.key}`,
    text: input.text,
    category: input.category,
    location: { gridId: String(input.gridId) },
    reporter: input.reporterId ? { personId: String(input.reporterId) } : {},
  })
  return opened.case.number
}

/**
 * Five cases of the community on different days and channels, one of them handed back (nobody's) and
 * one sent back for re-work, plus another community's case with the same words.
 */
async function seedCases(api: ApiApp, w: ApiWorld) {
  const light = await openAt(api, '2026-11-20T10:00:00', {
    channel: 'group',
    key: 'light',
    text: '3号楼2单元楼道灯坏了',
    category: 'facility_repair',
    gridId: w.grid._id,
  })
  // 23:30 on the 24th in Beijing is still the 24th, though 15:30 UTC.
  const bins = await openAt(api, '2026-11-24T23:30:00', {
    channel: 'miniprogram',
    key: 'bins',
    text: '东门口有 1+1 个垃圾桶满了 (a.b)',
    category: 'sanitation',
    gridId: w.grid2._id,
    reporterId: w.li._id,
  })
  // 00:30 on the 25th in Beijing: 16:30 UTC on the 24th.
  const lift = await openAt(api, '2026-11-25T00:30:00', {
    channel: 'direct',
    key: 'lift',
    text: '5号楼电梯有异响',
    category: 'facility_repair',
    gridId: w.grid._id,
  })
  const elsewhere = await openAt(api, '2026-11-25T09:00:00', {
    channel: 'miniprogram',
    key: 'elsewhere',
    text: '3号楼楼道灯坏了',
    category: 'facility_repair',
    gridId: w.otherGrid._id,
  })
  const lamp = await openAt(api, '2026-11-27T08:00:00', {
    channel: 'direct',
    key: 'lamp',
    text: '3号楼门前路灯不亮',
    category: 'facility_repair',
    gridId: w.grid._id,
    reporterId: w.zhang._id,
  })
  // Now (tokens are issued at this time): the worker hands one back and another goes back for re-work.
  api.clock.set(API_NOW)
  const worker = await w.headers('worker')
  const returned = await api.http
    .post(`/api/v1/cases/${lift}/return`)
    .set(worker)
    .send({ reason: '电梯归物业管' })
  expect(returned.status).toBe(200)
  await api.http.post(`/api/v1/cases/${lamp}/accept`).set(worker).send({})
  await api.http.post(`/api/v1/cases/${lamp}/resolve`).set(worker).send({ note: '灯泡已更换' })
  const rated = await api.http
    .post(`/api/v1/cases/${lamp}/rate`)
    .set(await w.headers('reporter'))
    .send({ score: 1, comment: '还是不亮' })
  expect(rated.body).toMatchObject({ status: 'in_progress', reworkCount: 1 })
  return { light, bins, lift, lamp, elsewhere }
}

describe('GET /api/v1/community/cases: the board’s filters over HTTP', () => {
  useTestDatabase()

  it('narrows by re-work, nobody responsible, channel, days in Beijing time and text; filters combine', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const c = await seedCases(api, w)
    const staff = await w.headers('staff')
    const numbers = async (query: string) => {
      const res = await api.http.get(`/api/v1/community/cases?${query}`).set(staff)
      expect(res.status, query).toBe(200)
      return res.body.items.map((i: { number: string }) => i.number)
    }
    expect(await numbers('')).toEqual([c.lamp, c.lift, c.bins, c.light])
    expect(await numbers('rework=true')).toEqual([c.lamp])
    expect(await numbers('unowned=true')).toEqual([c.lift])
    expect(await numbers('unowned=1&status=closed')).toEqual([])
    expect(await numbers('channel=miniprogram')).toEqual([c.bins])
    expect(await numbers('channel=direct')).toEqual([c.lamp, c.lift])
    // Days are Beijing days: the case at 00:30 on the 25th is the 25th's, the one at 23:30 the 24th's.
    expect(await numbers('from=2026-11-25')).toEqual([c.lamp, c.lift])
    expect(await numbers('to=2026-11-24')).toEqual([c.bins, c.light])
    expect(await numbers('from=2026-11-24&to=2026-11-24')).toEqual([c.bins])
    expect(await numbers('from=2026-11-26&to=2026-11-26')).toEqual([])
    // Text: description, place, number; regex specials are plain characters.
    expect(await numbers(`q=${encodeURIComponent('灯')}`)).toEqual([c.lamp, c.light])
    expect(await numbers(`q=${encodeURIComponent('1+1')}`)).toEqual([c.bins])
    expect(await numbers(`q=${encodeURIComponent('(a.b)')}`)).toEqual([c.bins])
    expect(await numbers(`q=${encodeURIComponent('.*')}`)).toEqual([])
    expect(await numbers(`q=${c.light}`)).toEqual([c.light])
    expect(await numbers(`q=${c.light.slice(-4)}`)).toContain(c.light)
    expect(await numbers(`q=${encodeURIComponent('电梯')}`)).toEqual([c.lift])
    // Combined.
    expect(await numbers(`q=${encodeURIComponent('灯')}&rework=true`)).toEqual([c.lamp])
    expect(await numbers('channel=direct&from=2026-11-26')).toEqual([c.lamp])
    expect(await numbers(`channel=group&q=${encodeURIComponent('灯')}&to=2026-11-21`)).toEqual([c.light])
    expect(await numbers(`grid=${String(w.grid._id)}&status=in_progress&rework=true`)).toEqual([c.lamp])
    expect(await numbers('status=received,posted&unowned=true')).toEqual([c.lift])
  })

  it('keeps the page and cursor with filters, and counts every match when asked', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const c = await seedCases(api, w)
    const staff = await w.headers('staff')
    const first = await api.http.get('/api/v1/community/cases?q=3号楼&limit=1&count=true').set(staff)
    expect(first.body.items.map((i: { number: string }) => i.number)).toEqual([c.lamp])
    expect(first.body.total).toBe(2)
    const second = await api.http
      .get(`/api/v1/community/cases?q=3号楼&limit=1&cursor=${first.body.nextCursor}`)
      .set(staff)
    expect(second.body.items.map((i: { number: string }) => i.number)).toEqual([c.light])
    expect(second.body.nextCursor).toBeUndefined()
    expect(second.body.total).toBeUndefined()
    const direct = await api.http.get('/api/v1/community/cases?channel=direct&count=true').set(staff)
    expect(direct.body.total).toBe(2)
    // The other community's staff see only their own case with the same words.
    const other = await api.http
      .get(`/api/v1/community/cases?q=${encodeURIComponent('楼道灯')}`)
      .set(await w.headers('otherStaff'))
    expect(other.body.items.map((i: { number: string }) => i.number)).toEqual([c.elsewhere])
  })

  it('refuses a grid worker and another community’s staff, with Chinese messages', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await seedCases(api, w)
    const kh = `communityId=${String(w.community._id)}`
    const worker = await api.http
      .get(`/api/v1/community/cases?${kh}&unowned=true`)
      .set(await w.headers('worker'))
    expect(worker.status).toBe(403)
    expect(worker.body.error.code).toBe('FORBIDDEN')
    const other = await api.http
      .get(`/api/v1/community/cases?${kh}&q=${encodeURIComponent('灯')}`)
      .set(await w.headers('otherStaff'))
    expect(other.status).toBe(403)
    expect(other.body.error).toMatchObject({ code: 'FORBIDDEN', message: '只能查看本社区的数据' })
    const admin = await api.http
      .get(`/api/v1/community/cases?${kh}&rework=true`)
      .set(await w.headers('admin'))
    expect(admin.body.items).toHaveLength(1)
  })

  it('answers bad filter values with 400s that say what is wrong in Chinese', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const bad = async (query: string, message: RegExp) => {
      const res = await api.http.get(`/api/v1/community/cases?${query}`).set(staff)
      expect(res.status, query).toBe(400)
      expect(res.body.error.code, query).toBe('INVALID_INPUT')
      expect(JSON.stringify(res.body.error), query).toMatch(message)
    }
    await bad('from=2026-11-27&to=2026-11-20', /开始日期不能晚于结束日期/)
    await bad('from=2026-02-30', /开始日期不是有效的日期/)
    await bad('to=2026-13-01', /结束日期不是有效的日期/)
    await bad('from=27.11.2026', /开始日期请按“年-月-日”填写/)
    await bad('to=2026-11-2', /结束日期请按“年-月-日”填写/)
    await bad('channel=fax', /来源渠道不正确/)
    await bad('rework=yes', /请填写 true 或 false/)
    await bad('unowned=2', /请填写 true 或 false/)
    await bad(`q=${encodeURIComponent('灯'.repeat(51))}`, /搜索内容请控制在 50 字以内/)
    await bad('q[$regex]=.*', /q\[\$regex\]/)
    await bad('channel=group&channel=direct', /来源渠道不正确/)
    // Fifty characters is fine; a blank search is no search.
    expect(
      (await api.http.get(`/api/v1/community/cases?q=${encodeURIComponent('灯'.repeat(50))}`).set(staff))
        .status,
    ).toBe(200)
    expect((await api.http.get('/api/v1/community/cases?q=%20').set(staff)).status).toBe(200)
  })
})
