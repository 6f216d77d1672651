import { nextSequence } from '../../lib/storage/index.js'

/**
 * Case numbers residents can read out on the phone: `YYMMDD-NNNN`, the local (Asia/Shanghai) day the
 * case was opened and that day's sequence, e.g. `261128-0042`. A day past 9,999 cases simply grows a
 * fifth digit. A number taken by a report that then turned out to be a replay is not reused, so a day
 * may have gaps; numbers are unique because the sequence is (see `nextSequence`).
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

/** Takes the next number of the day `at` falls on. */
export async function allocateCaseNumber(at: Date, timeZone: string): Promise<string> {
  const day = caseDay(at, timeZone)
  return formatCaseNumber(day, await nextSequence(`case:${day}`))
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
