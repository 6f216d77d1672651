import { parse as parseCsv } from 'csv-parse/sync'
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { DomainError } from '../../lib/errors.js'
import { CaseModel } from '../../models/case.model.js'
import { GridModel } from '../../models/registry.model.js'
import { toCsv } from './stats.csv.js'
import { insertCase, insertCommunity } from './stats.fixtures.js'
import { createStatsService, type StatsRow } from './stats.service.js'

const at = (s: string) => new Date(`${s}+08:00`)
const NOW = at('2026-11-20T12:00:00')
const RANGE = { from: at('2026-11-01T00:00:00'), to: at('2026-11-21T00:00:00') }

type Place = Awaited<ReturnType<typeof insertCommunity>>

/**
 * Grid A (王网格): c1 in time and rated 5; c2 responded and resolved late, rated 4; c3 never
 * responded, open and past both deadlines. Grid B (李网格): c4 opened an hour ago (not yet due);
 * c5 in time, rated 2; c6 responded, still open, not yet due; c9 merged into another case.
 * Outside the report: c7 (October) and c8 (another community).
 */
async function seed(p: Place): Promise<void> {
  const A = { communityId: p.communityId, gridId: p.gridA, assigneeId: p.workerA }
  const B = { communityId: p.communityId, gridId: p.gridB, assigneeId: p.workerB }
  await insertCase({
    ...A,
    createdAt: at('2026-11-10T09:00:00'),
    respondedAfterH: 1,
    resolvedAfterH: 10,
    rating: 5,
  })
  await insertCase({
    ...A,
    category: 'sanitation',
    createdAt: at('2026-11-10T09:00:00'),
    resolveWithinH: 24,
    respondedAfterH: 3,
    resolvedAfterH: 30,
    rating: 4,
  })
  await insertCase({ ...A, createdAt: at('2026-11-12T09:00:00'), status: 'assigned' })
  await insertCase({
    communityId: p.communityId,
    gridId: p.gridB,
    category: 'noise',
    urgency: 'urgent',
    status: 'received',
    createdAt: at('2026-11-20T11:00:00'),
  })
  await insertCase({
    ...B,
    category: 'noise',
    createdAt: at('2026-11-15T20:00:00'),
    resolveWithinH: 24,
    respondedAfterH: 0.5,
    resolvedAfterH: 20,
    rating: 2,
  })
  await insertCase({ ...B, createdAt: at('2026-11-19T12:00:00'), respondedAfterH: 1, status: 'in_progress' })
  await insertCase({ ...A, createdAt: at('2026-10-20T09:00:00') })
  await insertCase({ communityId: p.otherCommunityId, createdAt: at('2026-11-10T09:00:00') })
  await insertCase({
    communityId: p.communityId,
    gridId: p.gridB,
    category: 'noise',
    status: 'merged',
    createdAt: at('2026-11-11T09:00:00'),
  })
}

const row = (rows: StatsRow[], label: string) => {
  const found = rows.find((r) => r.label === label)
  if (!found) throw new Error(`no row ${label} in ${rows.map((r) => r.label).join(', ')}`)
  return found
}

describe('community statistics', () => {
  useTestDatabase()
  const stats = createStatsService({ clock: fixedClock(NOW) })
  let place: Place

  beforeEach(async () => {
    place = await insertCommunity()
    await seed(place)
  })

  it('totals the community: late, open-and-overdue and not-yet-due cases each counted right', async () => {
    const report = await stats.communityStats({
      communityId: String(place.communityId),
      ...RANGE,
      by: 'grid',
    })
    const t = report.totals
    expect(t.total).toBe(7)
    expect(t.response).toEqual({ onTime: 3, late: 2, pending: 1, rate: 0.6 })
    expect(t.resolution).toEqual({ onTime: 2, late: 2, pending: 2, rate: 0.5 })
    expect(t.satisfaction).toEqual({ satisfied: 2, rated: 3, rate: 2 / 3 })
    expect(t.avgResponseHours).toBe(1.4) // (1 + 3 + 0.5 + 1) / 4
    expect(t.avgResolutionHours).toBe(20) // (10 + 30 + 20) / 3
    expect(t.overdueNow).toBe(1)
    expect(t.urgent).toBe(1)
    expect(t.byStatus).toMatchObject({ resolved: 3, assigned: 1, received: 1, in_progress: 1, merged: 1 })
    expect(t.byCategory).toEqual({ facility_repair: 3, sanitation: 1, noise: 3 })
  })

  it('splits by grid', async () => {
    const { rows } = await stats.communityStats({
      communityId: String(place.communityId),
      ...RANGE,
      by: 'grid',
    })
    expect(rows.map((r) => r.label)).toEqual(['KH-01 一网格', 'KH-02 二网格'])
    const a = row(rows, 'KH-01 一网格')
    expect([a.total, a.response.rate, a.resolution.rate, a.satisfaction.rate, a.overdueNow]).toEqual([
      3,
      1 / 3,
      1 / 3,
      1,
      1,
    ])
    const b = row(rows, 'KH-02 二网格')
    expect(b.total).toBe(4)
    expect(b.response).toEqual({ onTime: 2, late: 0, pending: 1, rate: 1 })
    expect(b.resolution).toEqual({ onTime: 1, late: 0, pending: 2, rate: 1 })
    expect(b.satisfaction.rate).toBe(0)
    expect(b.byStatus.merged).toBe(1)
  })

  it('splits by worker, with unassigned cases last', async () => {
    const { rows } = await stats.communityStats({
      communityId: String(place.communityId),
      ...RANGE,
      by: 'worker',
    })
    expect(rows.map((r) => [r.label, r.total])).toEqual([
      ['李网格', 2],
      ['王网格', 3],
      ['未指派', 2],
    ])
    expect(row(rows, '王网格').response.late).toBe(2)
    expect(row(rows, '李网格').avgResponseHours).toBe(0.8) // (0.5 + 1) / 2, rounded
  })

  it('splits by category in taxonomy order', async () => {
    const { rows } = await stats.communityStats({
      communityId: String(place.communityId),
      ...RANGE,
      by: 'category',
    })
    expect(rows.map((r) => [r.label, r.total])).toEqual([
      ['设施报修', 3],
      ['环境卫生', 1],
      ['噪音扰民', 3],
    ])
    const repair = row(rows, '设施报修')
    expect(repair.response).toEqual({ onTime: 2, late: 1, pending: 0, rate: 2 / 3 })
    expect(repair.resolution).toEqual({ onTime: 1, late: 1, pending: 1, rate: 0.5 })
  })

  it('keeps to the date range and the community', async () => {
    const late = await stats.communityStats({
      communityId: String(place.communityId),
      from: at('2026-11-15T00:00:00'),
      to: RANGE.to,
      by: 'grid',
    })
    expect(late.totals.total).toBe(3)
    expect(late.rows.map((r) => r.label)).toEqual(['KH-02 二网格'])
    const october = await stats.communityStats({
      communityId: String(place.communityId),
      from: at('2026-10-01T00:00:00'),
      to: at('2026-11-01T00:00:00'),
    })
    expect(october.totals.total).toBe(1)
    const city = await stats.communityStats({ ...RANGE })
    expect(city.totals.total).toBe(8)
  })

  it('counts a case that becomes overdue as the clock moves on', async () => {
    const later = createStatsService({ clock: fixedClock(at('2026-11-22T12:00:00')) })
    const report = await later.communityStats({ communityId: String(place.communityId), ...RANGE })
    // c4 (never responded) is now past both deadlines; c6 is past its resolution deadline.
    expect(report.totals.response).toEqual({ onTime: 3, late: 3, pending: 0, rate: 0.5 })
    expect(report.totals.resolution).toEqual({ onTime: 2, late: 4, pending: 0, rate: 2 / 6 })
    expect(report.totals.overdueNow).toBe(3)
  })

  it('rejects an empty range and a bad community id', async () => {
    const calls = [
      stats.communityStats({ from: RANGE.to, to: RANGE.from }),
      stats.communityStats({ communityId: 'KH', ...RANGE }),
      stats.dailyFigures({ day: '2026-02-30' }),
      stats.resolveCommunityId('NOPE'),
    ]
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(DomainError)
    expect(await stats.resolveCommunityId('KH')).toBe(String(place.communityId))
  })

  it('exports CSV that Excel opens: BOM, CRLF, Chinese headers, escaped fields', async () => {
    await GridModel.updateOne({ _id: place.gridA }, { $set: { name: '三,"新"网格' } })
    await GridModel.updateOne({ _id: place.gridB }, { $set: { code: '=cmd', name: '二网格' } })
    const report = await stats.communityStats({ communityId: String(place.communityId), ...RANGE })
    const csv = toCsv([...report.rows, report.totals], 'grid')
    expect(csv.startsWith('\uFEFF网格,工单数,')).toBe(true)
    expect(csv.split('\r\n')).toHaveLength(5) // header, 2 grids, totals, final empty
    const records: string[][] = parseCsv(csv, { bom: true })
    const header = records[0] ?? []
    expect(header[0]).toBe('网格')
    expect(header).toEqual(expect.arrayContaining(['网格', '响应率', '解决率', '满意率']))
    expect(header).toContain('平均响应时长(小时)')
    expect(records.every((r) => r.length === header.length)).toBe(true)
    const col = (name: string) => header.indexOf(name)
    const labels = records.slice(1).map((r) => r[0])
    expect(labels).toEqual(["'=cmd 二网格", 'KH-01 三,"新"网格', '合计'])
    const total = records[3] ?? []
    expect([total[col('工单数')], total[col('响应率')], total[col('满意率')]]).toEqual([
      '7',
      '60.0%',
      '66.7%',
    ])
    expect(total[col('平均响应时长(小时)')]).toBe('1.4')
    expect(toCsv([], 'worker').startsWith('\uFEFF网格员,')).toBe(true)
  })
})

describe('daily figures', () => {
  useTestDatabase()

  it("reports yesterday's new, resolved and overdue cases and ratings, by Shanghai calendar day", async () => {
    const p = await insertCommunity()
    const base = { communityId: p.communityId, gridId: p.gridA }
    await insertCase({ ...base, createdAt: at('2026-11-19T00:00:00') })
    await insertCase({ ...base, createdAt: at('2026-11-19T23:59:00'), respondedAfterH: 0.1 })
    await insertCase({ ...base, createdAt: at('2026-11-18T23:59:00') })
    await insertCase({ ...base, createdAt: at('2026-11-20T00:00:00') })
    await insertCase({
      ...base,
      createdAt: at('2026-11-18T10:00:00'),
      resolvedAfterH: 24,
      rating: 5,
      ratedAt: at('2026-11-19T15:00:00'),
    })
    await insertCase({
      ...base,
      createdAt: at('2026-11-17T10:00:00'),
      resolvedAfterH: 50,
      rating: 3,
      ratedAt: at('2026-11-19T16:00:00'),
    })
    await insertCase({ communityId: p.otherCommunityId, createdAt: at('2026-11-19T10:00:00') })
    const stats = createStatsService({ clock: fixedClock(at('2026-11-20T01:00:00')) })
    const figures = await stats.dailyFigures({ communityId: String(p.communityId) })
    expect(figures).toEqual({
      day: '2026-11-19',
      newCases: 2,
      resolved: 2,
      // 11-19 00:00 and 11-18 23:59 are past their 2 h response deadline; 11-19 23:59 was answered,
      // 11-20 00:00 is not due yet.
      overdue: 2,
      satisfaction: { satisfied: 1, rated: 2, rate: 0.5 },
    })
    expect(await CaseModel.countDocuments()).toBe(7)
  })
})
