/**
 * Event times in the community's zone (China: Asia/Shanghai, no daylight saving), whatever the
 * browser's zone: the form sends wall-clock times (`2026-12-01T09:30`), which the API reads in the
 * same zone, and every time is shown in it.
 */
export const EVENT_ZONE = 'Asia/Shanghai'
const ZONE_OFFSET = '+08:00'

// Numeric parts from `en-US` (present in every ICU build), assembled into Chinese by hand.
const PARTS = new Intl.DateTimeFormat('en-US', {
  timeZone: EVENT_ZONE,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const WEEKDAY_NAMES = '日一二三四五六'
const pad = (n: string) => n.padStart(2, '0')

function partsOf(at: string | Date) {
  const parts = Object.fromEntries(PARTS.formatToParts(new Date(at)).map((p) => [p.type, p.value]))
  const hour = parts.hour === '24' ? '00' : (parts.hour ?? '00')
  return {
    year: parts.year ?? '',
    month: parts.month ?? '',
    day: parts.day ?? '',
    weekday: WEEKDAY_NAMES[WEEKDAYS.indexOf(parts.weekday ?? '')] ?? '',
    clock: `${pad(hour)}:${pad(parts.minute ?? '00')}`,
    second: pad(parts.second ?? '00'),
  }
}

/** `12月1日（周二）09:30`, as the reminders write it. */
export function eventTime(at: string | Date | undefined): string {
  if (!at) return ''
  const p = partsOf(at)
  return `${p.month}月${p.day}日（周${p.weekday}）${p.clock}`
}

/** `09:30` (or `09:30:05`), for a time on the event's own day. */
export function clockTime(at: string | Date | undefined, seconds = false): string {
  if (!at) return ''
  const p = partsOf(at)
  return seconds ? `${p.clock}:${p.second}` : p.clock
}

/** The value a `datetime-local` input shows for an instant: `2026-12-01T09:30`. */
export function wallClock(at: string | Date): string {
  const p = partsOf(at)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${p.clock}`
}

/** The instant of a `datetime-local` value; undefined when empty or unreadable. */
export function fromWallClock(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined
  const d = new Date(`${value}:00${ZONE_OFFSET}`)
  return Number.isNaN(d.getTime()) ? undefined : d
}

export interface PlannedReminder {
  minutes: number
  at: Date
  /** `planned`: goes out at `at`; `soon`: its time has passed, it goes out within minutes; `skipped`: too late, it will not. */
  state: 'planned' | 'soon' | 'skipped'
}

/**
 * When each reminder goes out (earliest first), as the reminder job plans them: of the stages whose
 * time has passed only the nearest goes out, and only when it is the last one or less than half its
 * lead late (nobody gets a "tomorrow" reminder an hour before the start).
 */
export function plannedReminders(
  startsAt: Date | undefined,
  offsets: number[],
  now = new Date(),
): PlannedReminder[] {
  if (!startsAt || startsAt <= now) return []
  const start = startsAt.getTime()
  const passed = offsets.filter((m) => start - m * 60_000 <= now.getTime())
  const nearest = passed.length ? Math.min(...passed) : undefined
  const last = Math.min(...offsets)
  return [...new Set(offsets)]
    .sort((a, b) => b - a)
    .map((minutes) => {
      const at = new Date(start - minutes * 60_000)
      if (at > now) return { minutes, at, state: 'planned' as const }
      const lateMinutes = (now.getTime() - at.getTime()) / 60_000
      const goes = minutes === nearest && (minutes === last || lateMinutes <= minutes / 2)
      return { minutes, at, state: goes ? ('soon' as const) : ('skipped' as const) }
    })
}
