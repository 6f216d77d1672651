/**
 * SLA durations as the responsibility list writes them: "15m", "2h", "3d" run around the clock;
 * "4wh" (working hours) and "5wd" (working days) count only working time of the calendar.
 */
export type DurationUnit = 'm' | 'h' | 'd' | 'wh' | 'wd'

export interface Duration {
  amount: number
  unit: DurationUnit
  /** The text it was parsed from, for messages. */
  text: string
}

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(m|h|d|wh|wd)$/

/** Parses "15m" / "2h" / "3d" / "4wh" / "5wd"; returns undefined for anything else. */
export function parseDuration(text: string): Duration | undefined {
  const m = DURATION_RE.exec(String(text).trim())
  if (!m) return undefined
  const amount = Number(m[1])
  if (!Number.isFinite(amount) || amount < 0) return undefined
  return { amount, unit: m[2] as DurationUnit, text: String(text).trim() }
}

const CLOCK_MS: Record<'m' | 'h' | 'd', number> = { m: 60_000, h: 3_600_000, d: 86_400_000 }

/** True when the duration runs 24/7 (minutes, hours, calendar days). */
export function isClockDuration(d: Duration): d is Duration & { unit: 'm' | 'h' | 'd' } {
  return d.unit === 'm' || d.unit === 'h' || d.unit === 'd'
}

/** Milliseconds of a 24/7 duration. */
export function clockMs(d: Duration & { unit: 'm' | 'h' | 'd' }): number {
  return d.amount * CLOCK_MS[d.unit]
}
