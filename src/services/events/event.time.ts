/** Wall-clock time helpers: events and digests are planned in the community's zone, stored in UTC. */
import { wallClock as partsIn, zoneOffsetMs } from '../../lib/time.js'

export { zoneOffsetMs }

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/
const ZONED_RE = /(Z|[+-]\d{2}:?\d{2})$/i

/**
 * Reads an event time: an ISO string with `Z` or an offset is taken as is; a wall-clock time
 * (`2026-12-01T00:30` or `2026-12-01 00:30`) is read in `timeZone`. Undefined when unreadable.
 */
export function parseEventTime(input: string, timeZone: string): Date | undefined {
  const text = input.trim()
  if (ZONED_RE.test(text)) {
    const d = new Date(text)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  const m = LOCAL_RE.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s] = m
  const guess = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0))
  let at = guess - zoneOffsetMs(new Date(guess), timeZone)
  at = guess - zoneOffsetMs(new Date(at), timeZone)
  const result = new Date(at)
  return Number.isNaN(result.getTime()) ? undefined : result
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六']

/** `12月1日（周二）00:30` in the zone: how reminders and notices show a time. */
export function formatLocal(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone)
  const hh = String(p.hour).padStart(2, '0')
  const mm = String(p.minute).padStart(2, '0')
  return `${p.month}月${p.day}日（周${WEEKDAYS[p.weekday ?? 0]}）${hh}:${mm}`
}

/** `YYYY-MM-DD` of `date` in the zone. */
export function localDay(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone)
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`
}

/** The hour (0–23) of `date` in the zone. */
export function localHour(date: Date, timeZone: string): number {
  return partsIn(date, timeZone).hour ?? 0
}

/** The UTC instant at which the local day `YYYY-MM-DD` starts in the zone. */
export function startOfLocalDay(day: string, timeZone: string): Date {
  return parseEventTime(`${day}T00:00`, timeZone) as Date
}

/** The local day before/after `day` (`YYYY-MM-DD`), by calendar. */
export function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10)
}
