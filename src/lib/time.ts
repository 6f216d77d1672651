/** Wall-clock helpers: Linli plans in the community's zone (Asia/Shanghai by default) and stores UTC. */

/** Year, month, day, hour, minute, second and weekday (0 = Sunday) of `date` as seen in `timeZone`. */
export function wallClock(
  date: Date,
  timeZone: string,
): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'weekday', number> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    weekday: 'short',
  }).formatToParts(date)
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(
    parts.find((p) => p.type === 'weekday')?.value ?? 'Sun',
  )
  return {
    year: n('year'),
    month: n('month'),
    day: n('day'),
    hour: n('hour'),
    minute: n('minute'),
    second: n('second'),
    weekday,
  }
}

/** The zone's offset from UTC at `date`, in milliseconds (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(date: Date, timeZone: string): number {
  const w = wallClock(date, timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - Math.floor(date.getTime() / 1000) * 1000
}

/** Midnight of `date`'s day in `timeZone`, as an instant. */
export function startOfLocalDay(date: Date, timeZone: string): Date {
  const w = wallClock(date, timeZone)
  return new Date(Date.UTC(w.year, w.month - 1, w.day) - zoneOffsetMs(date, timeZone))
}
