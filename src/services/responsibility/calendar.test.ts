import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadWorkingCalendar } from './calendar.js'
import { parseDuration } from './duration.js'

const calendar = loadWorkingCalendar(path.resolve(import.meta.dirname, '../../../config'))

/** Local time in Asia/Shanghai. */
function at(local: string): Date {
  return new Date(`${local}+08:00`)
}

function add(from: string, duration: string): Date {
  const d = parseDuration(duration)
  if (!d) throw new Error(`bad duration ${duration}`)
  return calendar.add(at(from), d)
}

describe('parseDuration', () => {
  it('reads every unit of the list', () => {
    expect(parseDuration('15m')).toMatchObject({ amount: 15, unit: 'm' })
    expect(parseDuration('2h')).toMatchObject({ amount: 2, unit: 'h' })
    expect(parseDuration('3d')).toMatchObject({ amount: 3, unit: 'd' })
    expect(parseDuration('4wh')).toMatchObject({ amount: 4, unit: 'wh' })
    expect(parseDuration('5wd')).toMatchObject({ amount: 5, unit: 'wd' })
  })
  it('refuses what is not a duration', () => {
    for (const bad of ['', '2', 'h', '2 hours', '-1h', '2w', '两小时'])
      expect(parseDuration(bad)).toBeUndefined()
  })
})

describe('working calendar', () => {
  it('knows weekends, holidays and 调休 make-up days', () => {
    expect(calendar.isWorkingDay(at('2026-11-27T10:00:00'))).toBe(true) // Friday
    expect(calendar.isWorkingDay(at('2026-11-28T10:00:00'))).toBe(false) // Saturday
    expect(calendar.isWorkingDay(at('2026-10-01T10:00:00'))).toBe(false) // 国庆
    expect(calendar.isWorkingDay(at('2026-10-10T10:00:00'))).toBe(true) // 调休 Saturday
    expect(calendar.isWorkingDay(at('2026-01-04T10:00:00'))).toBe(true) // 调休 Sunday
    expect(calendar.isWorkingDay(at('2026-02-18T10:00:00'))).toBe(false) // 春节, a Wednesday
  })

  it('uses the local day, not the UTC day', () => {
    // 2026-11-30 00:30 in Shanghai is still Sunday 16:30 UTC.
    expect(calendar.isWorkingDay(at('2026-11-30T00:30:00'))).toBe(true)
  })

  it('runs clock-hour limits around the clock, weekends included', () => {
    expect(add('2026-11-28T10:00:00', '2h')).toEqual(at('2026-11-28T12:00:00'))
    expect(add('2026-10-01T23:50:00', '15m')).toEqual(at('2026-10-02T00:05:00'))
    expect(add('2026-11-27T16:00:00', '3d')).toEqual(at('2026-11-30T16:00:00'))
  })

  it('carries a working day across the weekend', () => {
    expect(add('2026-11-27T16:00:00', '1wd')).toEqual(at('2026-11-30T16:00:00'))
  })

  it('starts a weekend report at Monday opening time', () => {
    expect(add('2026-11-28T10:00:00', '1wd')).toEqual(at('2026-11-30T18:00:00'))
    expect(add('2026-11-29T22:00:00', '1wh')).toEqual(at('2026-11-30T09:30:00'))
  })

  it('skips the lunch break and the evening', () => {
    expect(add('2026-11-30T11:30:00', '1wh')).toEqual(at('2026-11-30T15:00:00'))
    expect(add('2026-11-30T17:30:00', '1wh')).toEqual(at('2026-12-01T09:00:00'))
    expect(add('2026-11-30T07:00:00', '1wh')).toEqual(at('2026-11-30T09:30:00'))
  })

  it('skips a holiday week', () => {
    // Wednesday 30 September 17:00: one hour left that day, then 国庆 1–7 October.
    expect(add('2026-09-30T17:00:00', '1wd')).toEqual(at('2026-10-08T17:00:00'))
  })

  it('counts a 调休 Saturday as a working day', () => {
    expect(add('2026-10-09T17:00:00', '1wd')).toEqual(at('2026-10-10T17:00:00'))
    expect(add('2026-02-13T09:00:00', '1wd')).toEqual(at('2026-02-14T09:00:00'))
  })

  it('counts five working days over a weekend', () => {
    expect(add('2026-12-07T09:00:00', '5wd')).toEqual(at('2026-12-14T09:00:00'))
    // Friday before the Spring Festival: 2026-02-13 → the 14th (调休) → the holiday → 24th …
    expect(add('2026-02-13T09:00:00', '5wd')).toEqual(at('2026-02-27T09:00:00'))
  })
})

describe('working calendar properties', () => {
  const fc = import('fast-check')
  const instant = async () =>
    (await fc).date({
      min: new Date('2026-01-01T00:00:00Z'),
      max: new Date('2027-11-30T00:00:00Z'),
      noInvalidDate: true,
    })

  it('a working-time deadline lands on a working day, inside working hours, and never before the start', async () => {
    const { assert, property, integer } = await fc
    assert(
      property(await instant(), integer({ min: 1, max: 40 }), (from, hours) => {
        const due = calendar.add(from, { amount: hours, unit: 'wh', text: `${hours}wh` })
        const local = new Date(due.getTime() + 8 * 3_600_000)
        // Minutes with their fraction: a start at 09:00:00.001 may end at 14:30:00.001.
        const minutes = (local.getTime() % 86_400_000) / 60_000
        const inHours = (minutes > 510 && minutes <= 720) || (minutes > 870 && minutes <= 1080)
        return due > from && calendar.isWorkingDay(due) && inHours
      }),
      { numRuns: 300 },
    )
  })

  it('ends just after lunch when the start carries a millisecond (the counterexample CI found)', () => {
    const from = new Date('2026-10-14T01:00:00.001Z')
    const due = calendar.add(from, { amount: 24, unit: 'wh', text: '24wh' })
    expect(due.toISOString()).toBe('2026-10-19T06:30:00.001Z')
  })

  it('more working time never gives an earlier deadline', async () => {
    const { assert, property, integer } = await fc
    assert(
      property(await instant(), integer({ min: 0, max: 10 }), integer({ min: 0, max: 10 }), (from, a, b) => {
        const da = calendar.add(from, { amount: a, unit: 'wd', text: `${a}wd` })
        const db = calendar.add(from, { amount: a + b, unit: 'wd', text: `${a + b}wd` })
        return db >= da
      }),
      { numRuns: 200 },
    )
  })
})
