import { isDuplicateKeyError } from '../../lib/errors.js'
import { LookupKeyModel } from '../../models/lookup-key.model.js'

/**
 * Case numbers residents can read out on the phone: `YYMMDD-NNNN`, the local (Asia/Shanghai) day the
 * case was opened and that day's sequence, e.g. `261128-0042`. A day past 9,999 cases simply grows a
 * fifth digit. A number taken by a report that then turned out to be a replay is not reused, so a day
 * may have gaps; numbers are unique because each is claimed by a unique insert of its `case-number:` key
(see `claimCaseNumber`).
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

const keyOf = (number: string) => `case-number:${number}`

async function taken(day: string, seq: number): Promise<boolean> {
  return (await LookupKeyModel.exists({ _id: keyOf(formatCaseNumber(day, seq)) })) !== null
}

/**
 * The first number of the day whose key is not written yet. Numbers are claimed in order from the
 * start of the day (a process only skips numbers someone else claimed), so the taken ones are a
 * prefix: found by doubling and then halving, about 2·log₂(n) reads by `_id`, once per process and day.
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
 * Claims the next free number of the day `at` falls on for the case `caseId`: one unique insert of
 * its `case-number:` key, which also lets `findCase` read the case by number. Other processes claim
 * numbers of the same day too: a number they took fails the insert and the next one is tried, so
 * every number is given once whatever the server's updates guarantee (no counter, no lock).
 */
export async function claimCaseNumber(at: Date, timeZone: string, caseId: string): Promise<string> {
  const day = caseDay(at, timeZone)
  for (;;) {
    // The hint is moved on before any await: callers in this process never try the same number.
    const hint = hints.get(day) ?? seedOf(day)
    if (!hints.has(day) && hints.size > 3) hints.clear()
    const next = hint.then((seq) => seq + 1)
    next.catch(() => undefined) // a failed seed is reported to the caller awaiting `hint`
    hints.set(day, next)
    let seq: number
    try {
      seq = await hint
    } catch (err) {
      hints.delete(day) // the seed failed (the database away): learnt again next time
      throw err
    }
    const number = formatCaseNumber(day, seq)
    try {
      await LookupKeyModel.create({ _id: keyOf(number), ref: caseId, at })
      return number
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
    }
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
