import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { DomainError } from '../../lib/errors.js'
import { insertCase, insertCommunity } from './stats.fixtures.js'
import { createStatsService } from './stats.service.js'

const at = (s: string) => new Date(`${s}+08:00`)
const NOW = at('2026-11-20T12:00:00')

describe('statistics for the dashboard: trends and hotspots', () => {
  useTestDatabase()
  const stats = createStatsService({ clock: fixedClock(NOW) })
  let p: Awaited<ReturnType<typeof insertCommunity>>

  beforeEach(async () => {
    p = await insertCommunity()
    const A = { communityId: p.communityId, gridId: p.gridA, assigneeId: p.workerA }
    // Building 5: three lamp faults this week and one the week before — it keeps coming back.
    for (const day of ['2026-11-15', '2026-11-17', '2026-11-19'])
      await insertCase({
        ...A,
        building: '5',
        createdAt: at(`${day}T09:00:00`),
        respondedAfterH: 1,
        resolvedAfterH: 5,
        rating: 5,
      })
    await insertCase({ ...A, building: '5', createdAt: at('2026-11-10T09:00:00'), respondedAfterH: 1 })
    // Building 2: one sanitation case this week, nothing before.
    await insertCase({ ...A, building: '2', category: 'sanitation', createdAt: at('2026-11-18T09:00:00') })
  })

  it('gives each day the same figures as the report for that day, and the days add up to the range', async () => {
    const trend = await stats.trend({
      communityId: p.communityId.toString(),
      from: '2026-11-15',
      to: '2026-11-19',
    })
    expect(trend.points.map((x) => x.period)).toEqual([
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
    ])
    expect(trend.points.map((x) => x.figures.total)).toEqual([1, 0, 1, 1, 1])
    for (const point of trend.points) {
      const report = await stats.communityStats({
        communityId: p.communityId.toString(),
        from: point.from,
        to: point.to,
      })
      expect(point.figures.total).toBe(report.totals.total)
      expect(point.figures.response).toEqual(report.totals.response)
      expect(point.figures.satisfaction).toEqual(report.totals.satisfaction)
    }
    const whole = await stats.communityStats({
      communityId: p.communityId.toString(),
      from: at('2026-11-15T00:00:00'),
      to: at('2026-11-20T00:00:00'),
    })
    expect(trend.points.reduce((n, x) => n + x.figures.total, 0)).toBe(whole.totals.total)
  })

  it('groups a week by its Monday', async () => {
    const trend = await stats.trend({
      communityId: p.communityId.toString(),
      from: '2026-11-10',
      to: '2026-11-20',
      interval: 'week',
    })
    // 2026-11-09 and 2026-11-16 are Mondays.
    expect(trend.points.map((x) => [x.period, x.figures.total])).toEqual([
      ['2026-11-09', 2],
      ['2026-11-16', 3],
    ])
  })

  it('lists the place and category that keep coming back, with last week beside this week', async () => {
    const hot = await stats.hotspots({ communityId: p.communityId.toString() })
    expect(hot.places).toHaveLength(1)
    expect(hot.places[0]).toMatchObject({
      place: 'KH-01 5号楼',
      building: '5',
      category: 'facility_repair',
      count: 3,
      previous: 1,
    })
    expect(hot.places[0]?.latestNumber).toMatch(/^TEST-/)
    expect(hot.categories.map((c) => [c.category, c.count, c.previous])).toEqual([
      ['facility_repair', 3, 1],
      ['sanitation', 1, 0],
    ])
  })

  it('refuses a reversed or endless range with a Chinese reason', async () => {
    await expect(stats.trend({ from: '2026-11-20', to: '2026-11-01' })).rejects.toBeInstanceOf(DomainError)
    await expect(stats.trend({ from: '2020-01-01', to: '2026-11-01' })).rejects.toThrow(/时间范围太长/)
  })
})
