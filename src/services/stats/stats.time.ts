import { zoneOffsetMs } from '../../lib/time.js'

const DAY_MS = 86_400_000

/** 'YYYY-MM-DD' of `date` in `timeZone`. */
export function dayOf(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date)
}

/** True for a real calendar day written 'YYYY-MM-DD'. */
export function isDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false
  const d = new Date(`${day}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(day)
}

/** The instant local midnight of `day` begins in `timeZone` (Asia/Shanghai: 16:00 UTC the day before). */
export function startOfDay(day: string, timeZone: string): Date {
  const guess = new Date(`${day}T00:00:00Z`)
  return new Date(guess.getTime() - zoneOffsetMs(guess, timeZone))
}

/** [start, end) of a local calendar day. */
export function dayRange(day: string, timeZone: string): { from: Date; to: Date } {
  const from = startOfDay(day, timeZone)
  const next = new Date(new Date(`${day}T00:00:00Z`).getTime() + DAY_MS).toISOString().slice(0, 10)
  return { from, to: startOfDay(next, timeZone) }
}

/** The local calendar day `n` days after (negative: before) `day`. */
export function addDays(day: string, n: number): string {
  return new Date(new Date(`${day}T00:00:00Z`).getTime() + n * DAY_MS).toISOString().slice(0, 10)
}
