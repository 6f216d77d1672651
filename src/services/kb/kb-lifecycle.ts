import { InvalidInputError } from '../../lib/errors.js'
import { wallClock } from '../../lib/time.js'

/**
 * A document's life: when it was issued, from when it applies, when it ends and what replaced it.
 * Dates are local calendar days `YYYY-MM-DD` (the community's zone), compared as strings.
 */
export interface Lifecycle {
  issuedOn?: string
  /** The first day the document applies (施行日期). */
  effectiveFrom?: string
  /** The last day the document applies (有效期至): from the next day on it is expired. */
  expiresOn?: string
  /** The day from which the document is abolished (废止). */
  abolishedOn?: string
  /** The docId of the document that replaces this one; it takes over once it is effective. */
  supersededBy?: string
  /** The day from which the document is due for review: it still answers, with a caveat. */
  reviewBy?: string
}

export const DOCUMENT_STATUSES = [
  'in_force',
  'review_due',
  'not_yet_effective',
  'expired',
  'abolished',
  'superseded',
] as const
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number]

/** Statuses whose documents are used for answers. */
export const ANSWERING_STATUSES: ReadonlySet<DocumentStatus> = new Set(['in_force', 'review_due'])

/** Appended to an answer resting on a document due for review. */
export const REVIEW_DUE_CAVEAT = '该文件发布较早，请以社区最新通知为准。'

/** What the status function needs to know about other documents: their title and life. */
export interface LifecycleDoc extends Lifecycle {
  docId: string
  title: string
}

const ISO_DAY_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/
const CN_DAY_RE = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$/

/**
 * A calendar day as `YYYY-MM-DD`, from `2026-06-30`, `2026-6-30` or `2026年6月30日`; undefined when the
 * text is no real day (2026-02-30 included).
 */
export function parseDay(text: string): string | undefined {
  const m = ISO_DAY_RE.exec(text.trim()) ?? CN_DAY_RE.exec(text.trim())
  if (!m) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** `day` plus `months` calendar months (clamped to the month's last day: 01-31 + 1 → 02-28). */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const first = new Date(Date.UTC(y, m - 1 + months, 1))
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate()
  first.setUTCDate(Math.min(d, last))
  return first.toISOString().slice(0, 10)
}

/** Today's date `YYYY-MM-DD` in the zone. */
export function localDate(now: Date, timeZone: string): string {
  const w = wallClock(now, timeZone)
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`
}

/** Front matter keys, first match wins: Chinese office documents name these several ways. */
const KEYS = {
  issuedOn: ['issued', 'issued_on', 'date'],
  effectiveFrom: ['effective', 'effective_from'],
  expiresOn: ['expires', 'expires_on'],
  abolishedOn: ['abolished', 'abolished_on'],
  supersededBy: ['superseded_by'],
  replaces: ['replaces'],
} as const

const LABELS: Record<Exclude<keyof typeof KEYS, 'supersededBy' | 'replaces'>, string> = {
  issuedOn: '发布日期',
  effectiveFrom: '施行日期',
  expiresOn: '有效期至',
  abolishedOn: '废止日期',
}

/** The life cycle a document's front matter declares, plus the documents it `replaces`. */
export interface DeclaredLifecycle {
  issuedOn?: string
  effectiveFrom?: string
  expiresOn?: string
  abolishedOn?: string
  supersededBy?: string
  replaces: string[]
}

function textOf(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString().slice(0, 10)
  if (typeof v === 'string' || typeof v === 'number') return String(v).trim() || undefined
  return undefined
}

function firstOf(raw: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = textOf(raw[k])
    if (v !== undefined) return v
  }
  return undefined
}

function docIds(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v]
  return list.map(textOf).filter((x): x is string => x !== undefined)
}

/**
 * Reads the life cycle from a document's front matter (and the upload's `date`, which wins), refusing
 * a date that is no real day or an expiry before the start: a wrong date must not pass unnoticed.
 */
export function readLifecycle(
  raw: Record<string, unknown>,
  override: { date?: string } = {},
): DeclaredLifecycle {
  const out: DeclaredLifecycle = { replaces: docIds(raw.replaces) }
  const problems: Array<{ path: string; message: string }> = []
  for (const field of Object.keys(LABELS) as Array<keyof typeof LABELS>) {
    const text = field === 'issuedOn' && override.date ? override.date : firstOf(raw, KEYS[field])
    if (text === undefined) continue
    const day = parseDay(text)
    if (day) out[field] = day
    else problems.push({ path: field, message: `${LABELS[field]}「${text}」不是有效日期，请写成 YYYY-MM-DD` })
  }
  const successor = firstOf(raw, KEYS.supersededBy)
  if (successor) out.supersededBy = successor
  const order = checkOrder(out)
  if (order) problems.push(order)
  if (problems.length > 0) throw new InvalidInputError(problems.map((p) => p.message).join('；'), problems)
  return out
}

/** The one ordering rule: a document cannot end before it starts. */
export function checkOrder(l: Lifecycle): { path: string; message: string } | undefined {
  const start = l.effectiveFrom ?? l.issuedOn
  if (start && l.expiresOn && l.expiresOn < start)
    return { path: 'expiresOn', message: `有效期至 ${l.expiresOn} 早于施行日期 ${start}` }
  return undefined
}

/**
 * When review falls due: the issue date (or the import date) plus `months`; none when the document
 * expires first. A far-off expiry does not escape review: nothing stays in force unreviewed for longer.
 */
export function reviewDate(
  l: Pick<Lifecycle, 'issuedOn' | 'expiresOn'>,
  importedOn: string,
  months: number,
): string | undefined {
  const due = addMonths(l.issuedOn ?? importedOn, months)
  return l.expiresOn && l.expiresOn < due ? undefined : due
}

export interface StatusView {
  status: DocumentStatus
  /** For staff, in Chinese: why the document does or does not answer. */
  statusLabel: string
}

/**
 * The document's status on `today`. Abolition comes first, then replacement (once the successor is
 * effective), expiry, a start still ahead, and a review that fell due; otherwise it is in force.
 */
export function documentStatus(
  doc: Lifecycle,
  today: string,
  lookup: (docId: string) => LifecycleDoc | undefined,
): StatusView {
  if (doc.abolishedOn && today >= doc.abolishedOn)
    return { status: 'abolished', statusLabel: `已废止（${doc.abolishedOn} 起）` }
  if (doc.supersededBy) {
    const successor = lookup(doc.supersededBy)
    const started = !successor?.effectiveFrom || today >= successor.effectiveFrom
    if (started)
      return { status: 'superseded', statusLabel: `已被《${successor?.title ?? doc.supersededBy}》取代` }
  }
  if (doc.expiresOn && today > doc.expiresOn)
    return { status: 'expired', statusLabel: `已失效（${doc.expiresOn} 到期）` }
  if (doc.effectiveFrom && today < doc.effectiveFrom)
    return { status: 'not_yet_effective', statusLabel: `尚未生效（${doc.effectiveFrom} 起施行）` }
  if (doc.reviewBy && today >= doc.reviewBy)
    return { status: 'review_due', statusLabel: `待复核（${doc.reviewBy} 起应复核）` }
  return { status: 'in_force', statusLabel: '现行有效' }
}

/**
 * The first day after `today` on which some document's status can change: the index is rebuilt then,
 * so a document that expires tomorrow stops answering tomorrow without a re-import.
 */
export function nextStatusChange(docs: Lifecycle[], today: string): string | undefined {
  let next: string | undefined
  const consider = (day: string | undefined) => {
    if (day && day > today && (next === undefined || day < next)) next = day
  }
  for (const d of docs) {
    consider(d.effectiveFrom)
    consider(d.abolishedOn)
    consider(d.reviewBy)
    // Expired the day after the last day.
    if (d.expiresOn) consider(addDays(d.expiresOn, 1))
  }
  return next
}

function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}
