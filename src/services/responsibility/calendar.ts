import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { clockMs, type Duration, isClockDuration } from './duration.js'

const DateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-10-01')
const TimeText = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time like 08:30')

const Period = z
  .object({ start: TimeText, end: TimeText })
  .refine((p) => p.start < p.end, { message: 'start must be before end' })

const YearEntry = z.object({
  provisional: z.boolean().default(false),
  holidays: z.array(DateText).default([]),
  makeupWorkdays: z.array(DateText).default([]),
})

/** The shape of config/holidays.yaml. */
export const CalendarFile = z.object({
  timezone: z.string().min(1),
  workingHours: z.array(Period).min(1),
  weekends: z.array(z.number().int().min(1).max(7)).default([6, 7]),
  years: z.record(z.string().regex(/^\d{4}$/), YearEntry),
})
export type CalendarFile = z.infer<typeof CalendarFile>

/** Working days and hours (法定节假日, 调休) used for working-time SLA limits. */
export interface WorkingCalendar {
  timezone: string
  /** Years the calendar covers with published (or provisional) holidays. */
  years: number[]
  /** True on a working day: a weekday that is no holiday, or a 调休 make-up day. */
  isWorkingDay(date: Date): boolean
  /** Adds a duration: clock units 24/7, "wh"/"wd" in working time only. */
  add(from: Date, duration: Duration): Date
}

/** Reads and validates config/holidays.yaml; throws an Error naming the bad key. */
export function loadWorkingCalendar(configDir = path.resolve(process.cwd(), 'config')): WorkingCalendar {
  const file = path.join(configDir, 'holidays.yaml')
  if (!existsSync(file)) throw new Error(`${file}: the holiday calendar is missing`)
  const parsed = CalendarFile.safeParse(parseYaml(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`)
    throw new Error(`${file} is not valid:\n${lines.join('\n')}`)
  }
  return createWorkingCalendar(parsed.data)
}

interface LocalDay {
  y: number
  mo: number
  d: number
}

/** Builds the calendar from validated data (tests can pass their own). */
export function createWorkingCalendar(data: CalendarFile): WorkingCalendar {
  const holidays = new Set<string>()
  const makeup = new Set<string>()
  for (const entry of Object.values(data.years)) {
    for (const d of entry.holidays) holidays.add(d)
    for (const d of entry.makeupWorkdays) makeup.add(d)
  }
  const weekends = new Set(data.weekends)
  const periods = data.workingHours
    .map((p) => ({ start: minutesOf(p.start), end: minutesOf(p.end) }))
    .sort((a, b) => a.start - b.start)
  const dayMinutes = periods.reduce((s, p) => s + p.end - p.start, 0)
  const tz = data.timezone

  function isWorkingLocal(day: LocalDay): boolean {
    const key = dayKey(day)
    if (makeup.has(key)) return true
    if (holidays.has(key)) return false
    return !weekends.has(isoWeekday(day))
  }

  function addWorkingMinutes(from: Date, minutes: number): Date {
    let remaining = minutes
    let day = localDay(from, tz)
    let cursor = from.getTime()
    for (let i = 0; i < 3660; i++) {
      if (isWorkingLocal(day)) {
        for (const p of periods) {
          const end = fromLocal(day, p.end, tz).getTime()
          if (cursor >= end) continue
          const start = Math.max(cursor, fromLocal(day, p.start, tz).getTime())
          const available = (end - start) / 60_000
          if (remaining <= available) return new Date(start + remaining * 60_000)
          remaining -= available
          cursor = end
        }
      }
      day = nextDay(day)
      cursor = Math.max(cursor, fromLocal(day, 0, tz).getTime())
    }
    throw new Error('working-time deadline is more than ten years away')
  }

  return {
    timezone: tz,
    years: Object.keys(data.years).map(Number),
    isWorkingDay: (date) => isWorkingLocal(localDay(date, tz)),
    add(from, duration) {
      if (isClockDuration(duration)) return new Date(from.getTime() + clockMs(duration))
      if (duration.amount === 0) return new Date(from)
      const minutes = duration.unit === 'wd' ? duration.amount * dayMinutes : duration.amount * 60
      return addWorkingMinutes(from, minutes)
    },
  }
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

function dayKey(day: LocalDay): string {
  return `${day.y}-${String(day.mo).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`
}

/** 1 = Monday … 7 = Sunday. */
function isoWeekday(day: LocalDay): number {
  const wd = new Date(Date.UTC(day.y, day.mo - 1, day.d)).getUTCDay()
  return wd === 0 ? 7 : wd
}

function nextDay(day: LocalDay): LocalDay {
  const t = new Date(Date.UTC(day.y, day.mo - 1, day.d + 1))
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate() }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function partsIn(date: Date, tz: string): Record<string, number> {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(tz, f)
  }
  const out: Record<string, number> = {}
  for (const p of f.formatToParts(date)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

function localDay(date: Date, tz: string): LocalDay {
  const p = partsIn(date, tz)
  return { y: p.year ?? 0, mo: p.month ?? 1, d: p.day ?? 1 }
}

/** The instant of local `minutes` after midnight of `day` in `tz` (offset found by one correction). */
function fromLocal(day: LocalDay, minutes: number, tz: string): Date {
  const guess = Date.UTC(day.y, day.mo - 1, day.d, 0, minutes)
  const p = partsIn(new Date(guess), tz)
  const shown = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  )
  return new Date(guess - (shown - guess))
}
