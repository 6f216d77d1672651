import { describe, expect, it } from 'vitest'
import { addCase, type CaseFacts, finishRow, isOverdue, newAccumulator } from './stats.figures.js'
import { addDays, dayOf, dayRange, isDay, startOfDay } from './stats.time.js'

const t0 = new Date('2026-11-10T01:00:00Z')
const h = (n: number) => new Date(t0.getTime() + n * 3_600_000)

function facts(over: Partial<CaseFacts>): CaseFacts {
  return {
    status: 'assigned',
    category: 'noise',
    createdAt: t0,
    deadlines: { respondBy: h(2), resolveBy: h(24) },
    ...over,
  }
}

function rowOf(cases: CaseFacts[], now: Date) {
  const acc = newAccumulator()
  for (const c of cases) addCase(acc, c, now)
  return finishRow(acc, 'k', 'label')
}

describe('case figures', () => {
  it('counts a response exactly at the deadline as in time, a second later as late', () => {
    const row = rowOf(
      [facts({ respondedAt: h(2) }), facts({ respondedAt: new Date(h(2).getTime() + 1000) })],
      h(3),
    )
    expect(row.response).toEqual({ onTime: 1, late: 1, pending: 0, rate: 0.5 })
  })

  it('leaves merged and rejected cases out of the SLA figures but counts them by status', () => {
    const row = rowOf([facts({ status: 'merged' }), facts({ status: 'rejected' })], h(100))
    expect(row.total).toBe(2)
    expect(row.byStatus).toMatchObject({ merged: 1, rejected: 1 })
    expect(row.response).toEqual({ onTime: 0, late: 0, pending: 0, rate: null })
    expect(row.overdueNow).toBe(0)
  })

  it('takes a resolution as the response when none was recorded, and closedAt for a closed case', () => {
    const row = rowOf(
      [facts({ status: 'resolved', resolvedAt: h(1) }), facts({ status: 'closed', closedAt: h(30) })],
      h(40),
    )
    expect(row.response).toEqual({ onTime: 1, late: 1, pending: 0, rate: 0.5 })
    expect(row.resolution).toEqual({ onTime: 1, late: 1, pending: 0, rate: 0.5 })
    expect(row.avgResolutionHours).toBe(15.5)
  })

  it('keeps cases without deadlines out of the rates', () => {
    const row = rowOf([facts({ deadlines: null, respondedAt: h(100) })], h(200))
    expect(row.response.rate).toBeNull()
    expect(row.avgResponseHours).toBe(100)
  })

  it('calls an open case overdue once it misses the response or the resolution deadline', () => {
    expect(isOverdue(facts({}), h(1))).toBe(false)
    expect(isOverdue(facts({}), h(3))).toBe(true)
    expect(isOverdue(facts({ respondedAt: h(1) }), h(3))).toBe(false)
    expect(isOverdue(facts({ respondedAt: h(1) }), h(25))).toBe(true)
    expect(isOverdue(facts({ status: 'resolved', resolvedAt: h(30) }), h(40))).toBe(false)
  })
})

describe('calendar days in Asia/Shanghai', () => {
  it('starts a day at 16:00 UTC of the day before', () => {
    expect(startOfDay('2026-11-19', 'Asia/Shanghai').toISOString()).toBe('2026-11-18T16:00:00.000Z')
    expect(dayRange('2026-12-31', 'Asia/Shanghai').to.toISOString()).toBe('2026-12-31T16:00:00.000Z')
    expect(dayOf(new Date('2026-11-18T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-19')
    expect(dayOf(new Date('2026-11-18T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11-18')
  })

  it('validates and steps days', () => {
    expect(['2026-02-28', '2028-02-29'].every(isDay)).toBe(true)
    expect(['2026-02-29', '2026-13-01', '26-1-1', ''].some(isDay)).toBe(false)
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
  })
})
