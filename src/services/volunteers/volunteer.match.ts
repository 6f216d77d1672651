import { distanceMeters, type LngLat } from '../../lib/geo.js'

/** When a volunteer is free: weekdays 1–7 (Monday 1) and an HH:MM window, local time. */
export interface Availability {
  days: number[]
  from: string
  to: string
}

const PARTS = (timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }

/** The local weekday (1–7) and HH:MM of a moment. */
export function localSlot(at: Date, timeZone: string): { day: number; time: string } {
  const parts = PARTS(timeZone).formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return { day: WEEKDAYS[get('weekday')] ?? 0, time: `${get('hour')}:${get('minute')}` }
}

export function isAvailable(a: Availability, at: Date, timeZone: string): boolean {
  const { day, time } = localSlot(at, timeZone)
  return a.days.includes(day) && a.from <= time && time <= a.to
}

export interface Candidate {
  personId: string
  gridId?: string
  point?: LngLat
}

/**
 * Orders candidates for a need: the same grid first, then the nearest by building coordinates when
 * both points are known, then the rest in the order given (registration order).
 */
export function rankCandidates<C extends Candidate>(
  candidates: C[],
  need: { gridId?: string; point?: LngLat },
): C[] {
  const score = (c: C) => {
    const sameGrid = need.gridId !== undefined && c.gridId === need.gridId ? 0 : 1
    const distance = need.point && c.point ? distanceMeters(need.point, c.point) : Number.POSITIVE_INFINITY
    return { sameGrid, distance }
  }
  return candidates
    .map((c, i) => ({ c, i, s: score(c) }))
    .sort((a, b) => a.s.sameGrid - b.s.sameGrid || a.s.distance - b.s.distance || a.i - b.i)
    .map((x) => x.c)
}

const DAY_WORDS: Record<string, number[]> = {
  工作日: [1, 2, 3, 4, 5],
  周末: [6, 7],
  每天: [1, 2, 3, 4, 5, 6, 7],
  周一: [1],
  周二: [2],
  周三: [3],
  周四: [4],
  周五: [5],
  周六: [6],
  周日: [7],
  周天: [7],
}
const TIME_WORDS: Record<string, [string, string]> = {
  上午: ['08:00', '12:00'],
  下午: ['13:00', '18:00'],
  晚上: ['18:00', '21:00'],
  全天: ['08:00', '20:00'],
}

/** Reads 「工作日 下午」「周末」「周六 上午」 from a chat message; undefined when none is named. */
export function readAvailability(words: string[]): Availability | undefined {
  const days = new Set<number>()
  let window: [string, string] | undefined
  for (const w of words) {
    for (const d of DAY_WORDS[w] ?? []) days.add(d)
    window = TIME_WORDS[w] ?? window
  }
  if (days.size === 0 && !window) return undefined
  const [from, to] = window ?? ['08:00', '20:00']
  return { days: days.size ? [...days].sort() : [1, 2, 3, 4, 5, 6, 7], from, to }
}
