import { CaseModel } from '../../models/case.model.js'

/**
 * Case numbers residents can read out on the phone: `YYMMDD-NNNN`, the local (Asia/Shanghai) day the
 * case was opened and that day's sequence, e.g. `261128-0042`. A day past 9,999 cases simply grows a
 * fifth digit. A number taken by a report that then turned out to be a replay is not reused, so a day
 * may have gaps; numbers are unique because the case's insert is refused for a number already stored (a
unique index; see `nextCaseNumber`).
 */
export const CASE_NUMBER_RE = /^\d{6}-\d{4,}$/

/** The local day of `at` as YYMMDD. */
export function caseDay(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: '2-digit',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00'
  return `${get('year')}${get('month')}${get('day')}`
}

/** `261128` + 42 → `261128-0042`. */
export function formatCaseNumber(day: string, seq: number): string {
  return `${day}-${String(seq).padStart(4, '0')}`
}

/** The next number of each day this process would try, learnt once per day (see `seedOf`). */
const hints = new Map<string, Promise<number>>()

async function taken(day: string, seq: number): Promise<boolean> {
  return (await CaseModel.exists({ number: formatCaseNumber(day, seq) })) !== null
}

/**
 * The first number of the day not stored yet. Numbers are taken in order from the start of the day (a
 * process only skips numbers someone else took), so the taken ones are nearly a prefix: found by
 * doubling and then halving, about 2·log₂(n) indexed reads, once per process and day. A gap (a
 * number given to a report that turned out to be a replay) only means a few refused inserts.
 */
async function seedOf(day: string): Promise<number> {
  let free = 1
  while (await taken(day, free)) free *= 2
  let low = Math.floor(free / 2) // taken (or 0)
  while (free - low > 1) {
    const mid = Math.floor((low + free) / 2)
    if (await taken(day, mid)) low = mid
    else free = mid
  }
  return free
}

/**
 * The number the next case of the day `at` falls on should try. No write: the case's insert decides
 * (the unique index on `number`). When another process stored that number first the insert is
 * refused and the caller asks again; this process's callers never get the same number.
 */
export async function nextCaseNumber(at: Date, timeZone: string): Promise<string> {
  const day = caseDay(at, timeZone)
  // The hint is moved on before any await.
  const hint = hints.get(day) ?? seedOf(day)
  if (!hints.has(day) && hints.size > 3) hints.clear()
  const next = hint.then((seq) => seq + 1)
  next.catch(() => undefined) // a failed seed is reported to the caller awaiting `hint`
  hints.set(day, next)
  try {
    return formatCaseNumber(day, await hint)
  } catch (err) {
    hints.delete(day) // the seed failed (the database away): learnt again next time
    throw err
  }
}

/** Forgets what this process learnt of each day's numbers (a test that emptied the database). */
export function forgetCaseNumberHints(): void {
  hints.clear()
}

/** Accepts what residents type: full-width digits, spaces, a missing dash (2611280042). */
export function normaliseCaseNumber(input: string): string | undefined {
  const s = input
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[\s—－_]/g, '-')
    .replace(/-+/g, '-')
    .trim()
  const m = /^(\d{6})-?(\d{4,})$/.exec(s.replace(/^-|-$/g, ''))
  return m ? `${m[1]}-${m[2]}` : undefined
}
