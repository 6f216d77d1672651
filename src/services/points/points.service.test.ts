import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { DomainError } from '../../lib/errors.js'
import { PointsEntryModel } from '../../models/points.model.js'
import {
  createPointsService,
  DEFAULT_POINTS_SETTINGS,
  monthOf,
  type PointsSettings,
} from './points.service.js'

const settings: PointsSettings = {
  timezone: 'Asia/Shanghai',
  points: {
    ...DEFAULT_POINTS_SETTINGS.points,
    monthlyCap: 30,
    perReason: { report_verified: 10, rating_given: 2, volunteer_hours: 5, event_checkin: 3 },
  },
}

const person = () => String(new Types.ObjectId())

describe('monthOf', () => {
  it('uses the Asia/Shanghai calendar, not UTC', () => {
    expect(monthOf(new Date('2026-11-30T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11')
    expect(monthOf(new Date('2026-11-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12')
    expect(monthOf(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai')).toBe('2027-01')
  })
})

describe('points ledger', () => {
  useTestDatabase()

  it('credits the configured amount per reason and records where it came from', async () => {
    const clock = fixedClock(new Date('2026-11-10T09:00:00+08:00'))
    const points = createPointsService({ clock, config: settings })
    const p = person()
    const res = await points.credit({
      personId: p,
      reason: 'report_verified',
      refKey: 'report:c1',
      refs: { caseId: 'c1' },
    })
    expect(res).toMatchObject({
      credited: 10,
      requested: 10,
      capped: false,
      duplicate: false,
      month: '2026-11',
    })
    await points.credit({ personId: p, reason: 'volunteer_hours', refKey: 'volunteer:e1:p', units: 2 })
    expect(await points.balance(p)).toBe(20)
    const { items } = await points.ledger(p)
    expect(items.map((i) => [i.reason, i.delta])).toEqual([
      ['volunteer_hours', 10],
      ['report_verified', 10],
    ])
    expect(items[1]?.refs).toEqual({ caseId: 'c1' })
  })

  it('never credits the same refKey twice, even when replayed at once', async () => {
    const points = createPointsService({
      clock: fixedClock(new Date('2026-11-10T09:00:00+08:00')),
      config: settings,
    })
    const p = person()
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        points.credit({ personId: p, reason: 'rating_given', refKey: 'rating:c9' }),
      ),
    )
    expect(results.filter((r) => r.credited > 0)).toHaveLength(1)
    expect(results.filter((r) => r.duplicate)).toHaveLength(5)
    const later = await points.credit({ personId: p, reason: 'rating_given', refKey: 'rating:c9' })
    expect(later).toMatchObject({ credited: 0, duplicate: true })
    expect(await points.balance(p)).toBe(2)
    expect(await PointsEntryModel.countDocuments({ refKey: 'rating:c9' })).toBe(1)
  })

  it('stops at the monthly cap and starts again after midnight of the 1st in Shanghai', async () => {
    const clock = fixedClock(new Date('2026-11-30T23:00:00+08:00'))
    const points = createPointsService({ clock, config: settings })
    const p = person()
    for (const k of ['a', 'b'])
      await points.credit({ personId: p, reason: 'report_verified', refKey: `r:${k}` })
    const partial = await points.credit({ personId: p, reason: 'report_verified', refKey: 'r:c', points: 15 })
    expect(partial).toMatchObject({ credited: 10, requested: 15, capped: true, earnedThisMonth: 30 })
    const none = await points.credit({ personId: p, reason: 'event_checkin', refKey: 'checkin:e1' })
    expect(none).toMatchObject({ credited: 0, capped: true, duplicate: false })
    expect(await PointsEntryModel.countDocuments({ refKey: 'checkin:e1' })).toBe(0)

    clock.set(new Date('2026-11-30T23:59:59+08:00'))
    expect((await points.credit({ personId: p, reason: 'rating_given', refKey: 'x1' })).credited).toBe(0)
    clock.set(new Date('2026-12-01T00:00:00+08:00')) // 2026-11-30T16:00Z: still November in UTC
    const december = await points.credit({ personId: p, reason: 'rating_given', refKey: 'x2' })
    expect(december).toMatchObject({ credited: 2, month: '2026-12', capped: false, earnedThisMonth: 2 })
    expect(await points.summary(p)).toEqual({
      balance: 32,
      month: '2026-12',
      earnedThisMonth: 2,
      monthlyCap: 30,
    })
  })

  it('keeps concurrent credits of one person within the cap', async () => {
    const points = createPointsService({
      clock: fixedClock(new Date('2026-11-10T09:00:00+08:00')),
      config: settings,
    })
    const p = person()
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        points.credit({ personId: p, reason: 'report_verified', refKey: `report:c${i}` }),
      ),
    )
    expect(results.reduce((n, r) => n + r.credited, 0)).toBe(30)
    expect(results.filter((r) => r.credited > 0)).toHaveLength(3)
    expect(await points.balance(p)).toBe(30)
  })

  it('reverses a false report once, and the balance follows the ledger', async () => {
    const clock = fixedClock(new Date('2026-11-10T09:00:00+08:00'))
    const points = createPointsService({ clock, config: settings })
    const p = person()
    const staff = person()
    await points.credit({
      personId: p,
      reason: 'report_verified',
      refKey: 'report:c1',
      refs: { caseId: 'c1' },
    })
    await points.credit({ personId: p, reason: 'rating_given', refKey: 'rating:c1' })
    clock.advance(3600_000)
    const first = await points.reverse('report:c1', '虚假报事', { byId: staff })
    expect(first).toEqual({ reversed: true, delta: -10, alreadyReversed: false })
    const again = await Promise.all([
      points.reverse('report:c1', '虚假报事'),
      points.reverse('report:c1', '重复'),
    ])
    expect(again.every((r) => !r.reversed && r.alreadyReversed)).toBe(true)
    expect(await points.balance(p)).toBe(2)

    const { items } = await points.ledger(p)
    expect(items[0]).toMatchObject({
      reason: 'reversal',
      delta: -10,
      refKey: 'reversal:report:c1',
      byId: staff,
    })
    expect(items[0]?.refs).toEqual({ caseId: 'c1' })
    const sum = (await PointsEntryModel.find({ personId: p }).lean()).reduce((n, e) => n + e.delta, 0)
    expect(await points.balance(p)).toBe(sum)
    expect(await points.reverse('report:unknown', '虚假报事')).toEqual({
      reversed: false,
      delta: 0,
      alreadyReversed: false,
    })
  })

  it('does not give cap room back when a credit is reversed', async () => {
    const points = createPointsService({
      clock: fixedClock(new Date('2026-11-10T09:00:00+08:00')),
      config: settings,
    })
    const p = person()
    await points.credit({ personId: p, reason: 'report_verified', refKey: 'r1', points: 30 })
    await points.reverse('r1', '虚假报事')
    expect(await points.credit({ personId: p, reason: 'report_verified', refKey: 'r2' })).toMatchObject({
      credited: 0,
      capped: true,
    })
    expect(await points.balance(p)).toBe(0)
  })

  it('applies a staff adjustment outside the cap, once per key', async () => {
    const points = createPointsService({
      clock: fixedClock(new Date('2026-11-10T09:00:00+08:00')),
      config: settings,
    })
    const p = person()
    const staff = person()
    await points.credit({ personId: p, reason: 'report_verified', refKey: 'r1', points: 30 })
    expect(
      await points.adjust({ personId: p, delta: 50, refKey: 'adj:1', note: '年度表彰', byId: staff }),
    ).toEqual({
      applied: true,
    })
    expect(
      await points.adjust({ personId: p, delta: 50, refKey: 'adj:1', note: '年度表彰', byId: staff }),
    ).toEqual({
      applied: false,
    })
    expect(await points.balance(p)).toBe(80)
  })

  it('pages the ledger newest first without repeating or skipping entries', async () => {
    const clock = fixedClock(new Date('2026-11-10T09:00:00+08:00'))
    const points = createPointsService({
      clock,
      config: { ...settings, points: { ...settings.points, monthlyCap: 1000 } },
    })
    const p = person()
    for (let i = 0; i < 7; i++) {
      await points.credit({ personId: p, reason: 'event_checkin', refKey: `checkin:${i}` })
      if (i % 2 === 0) clock.advance(60_000) // some entries share a timestamp
    }
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await points.ledger(p, { cursor, limit: 3 })
      seen.push(...page.items.map((i) => i.refKey))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toHaveLength(7)
    expect(new Set(seen).size).toBe(7)
    expect(seen[0]).toBe('checkin:6')
    expect(seen.at(-1)).toBe('checkin:0')
  })

  it('rejects bad input with a clear INVALID_INPUT', async () => {
    const points = createPointsService({
      clock: fixedClock(new Date('2026-11-10T09:00:00+08:00')),
      config: settings,
    })
    const bad = [
      points.credit({ personId: 'nobody', reason: 'rating_given', refKey: 'k' }),
      points.credit({ personId: person(), reason: 'reversal' as 'rating_given', refKey: 'k' }),
      points.credit({ personId: person(), reason: 'rating_given', refKey: 'reversal:k' }),
      points.ledger(person(), { cursor: 'garbage' }),
      points.reverse('k', ''),
    ]
    for (const call of bad) {
      await expect(call).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'INVALID_INPUT')
    }
  })
})
