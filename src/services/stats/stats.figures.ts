import type { CaseStatus } from '../../models/case.model.js'
import { CASE_STATUSES, OPEN_CASE_STATUSES } from '../../models/case.model.js'

/** The case fields statistics read (a projection: nothing personal, no timeline). */
export interface CaseFacts {
  status: CaseStatus
  category: string
  urgency?: string | null
  createdAt: Date
  deadlines?: { respondBy?: Date | null; resolveBy?: Date | null } | null
  respondedAt?: Date | null
  resolvedAt?: Date | null
  closedAt?: Date | null
  rating?: { score?: number | null } | null
  /** Times a low rating sent the case back (不满意重办). */
  reworkCount?: number | null
}

/** On-time share against a deadline: `pending` (not done, not yet due) stays out of `rate`. */
export interface RateFigure {
  onTime: number
  late: number
  pending: number
  /** onTime / (onTime + late), 0..1; null when nothing was due yet. */
  rate: number | null
}

/**
 * 重办率 as 12345 hotlines count 发回重办率: cases sent back for re-work after a low rating (1–2),
 * over cases resolved at least once. A case counts once however often it was sent back.
 */
export interface ReworkFigure {
  /** Cases with at least one re-work. */
  reworked: number
  /** Cases resolved at least once (a re-worked case was, even while it is being redone). */
  resolved: number
  /** reworked / resolved, 0..1; null when nothing was resolved. */
  rate: number | null
}

export interface SatisfactionFigure {
  /** Ratings of 4 or 5. */
  satisfied: number
  rated: number
  rate: number | null
}

/** One line of a statistics table: a grid, a worker, a department, a category, or the total. */
export interface StatsRow {
  key: string
  label: string
  total: number
  byStatus: Record<CaseStatus, number>
  byCategory: Record<string, number>
  urgent: number
  /** 响应率: responded within respondBy. */
  response: RateFigure
  /** 解决率: resolved within resolveBy. */
  resolution: RateFigure
  /** 满意率: ratings ≥ 4 of rated cases. */
  satisfaction: SatisfactionFigure
  /** 重办率: cases sent back after a low rating ÷ cases resolved at least once. */
  rework: ReworkFigure
  avgResponseHours: number | null
  avgResolutionHours: number | null
  /** Open cases past a deadline at the time of the report. */
  overdueNow: number
}

/** Merged and rejected cases are not real work for anyone: they stay out of the SLA figures. */
const NOT_WORK: readonly CaseStatus[] = ['merged', 'rejected']
const HOUR_MS = 3_600_000

interface Tally {
  onTime: number
  late: number
  pending: number
}

/** Running sums for one row; adding a case is O(1), so a report is one pass over the cases. */
export interface RowAccumulator {
  total: number
  byStatus: Record<CaseStatus, number>
  byCategory: Record<string, number>
  urgent: number
  response: Tally
  resolution: Tally
  satisfied: number
  rated: number
  reworked: number
  everResolved: number
  responseMs: number
  responded: number
  resolutionMs: number
  resolved: number
  overdueNow: number
}

export function newAccumulator(): RowAccumulator {
  const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>
  return {
    total: 0,
    byStatus,
    byCategory: {},
    urgent: 0,
    response: { onTime: 0, late: 0, pending: 0 },
    resolution: { onTime: 0, late: 0, pending: 0 },
    satisfied: 0,
    rated: 0,
    reworked: 0,
    everResolved: 0,
    responseMs: 0,
    responded: 0,
    resolutionMs: 0,
    resolved: 0,
    overdueNow: 0,
  }
}

/** Where a case stands against one deadline: done in time, late (done late or still open past it). */
function judge(
  doneAt: Date | null | undefined,
  dueBy: Date | null | undefined,
  now: Date,
): keyof Tally | undefined {
  if (!dueBy) return undefined
  if (doneAt) return doneAt.getTime() <= dueBy.getTime() ? 'onTime' : 'late'
  return now.getTime() > dueBy.getTime() ? 'late' : 'pending'
}

/** The first sign that someone acted: the response, else the resolution itself. */
function respondedAt(c: CaseFacts): Date | undefined {
  return c.respondedAt ?? resolvedAt(c)
}

function resolvedAt(c: CaseFacts): Date | undefined {
  return c.resolvedAt ?? (c.status === 'closed' ? (c.closedAt ?? undefined) : undefined)
}

/** True when an open case has passed its response or resolution deadline at `now`. */
export function isOverdue(c: CaseFacts, now: Date): boolean {
  if (!OPEN_CASE_STATUSES.includes(c.status)) return false
  const t = now.getTime()
  const respondBy = c.deadlines?.respondBy
  const resolveBy = c.deadlines?.resolveBy
  if (!respondedAt(c) && respondBy && t > respondBy.getTime()) return true
  return Boolean(resolveBy && t > resolveBy.getTime())
}

/** Adds one case to a row. */
export function addCase(acc: RowAccumulator, c: CaseFacts, now: Date): void {
  acc.total++
  acc.byStatus[c.status]++
  acc.byCategory[c.category] = (acc.byCategory[c.category] ?? 0) + 1
  if (c.urgency === 'urgent') acc.urgent++
  const score = c.rating?.score
  if (typeof score === 'number') {
    acc.rated++
    if (score >= 4) acc.satisfied++
  }
  if (NOT_WORK.includes(c.status)) return
  const responded = respondedAt(c)
  const resolved = resolvedAt(c)
  const reworked = (c.reworkCount ?? 0) > 0
  if (reworked) acc.reworked++
  if (reworked || resolved) acc.everResolved++
  const r1 = judge(responded, c.deadlines?.respondBy, now)
  if (r1) acc.response[r1]++
  const r2 = judge(resolved, c.deadlines?.resolveBy, now)
  if (r2) acc.resolution[r2]++
  if (responded) {
    acc.responseMs += Math.max(0, responded.getTime() - c.createdAt.getTime())
    acc.responded++
  }
  if (resolved) {
    acc.resolutionMs += Math.max(0, resolved.getTime() - c.createdAt.getTime())
    acc.resolved++
  }
  if (isOverdue(c, now)) acc.overdueNow++
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null)
const hours = (ms: number, n: number) => (n > 0 ? Math.round((ms / n / HOUR_MS) * 10) / 10 : null)

function rateOf(t: Tally): RateFigure {
  return { ...t, rate: ratio(t.onTime, t.onTime + t.late) }
}

/** Turns running sums into the row a report shows. */
export function finishRow(acc: RowAccumulator, key: string, label: string): StatsRow {
  return {
    key,
    label,
    total: acc.total,
    byStatus: acc.byStatus,
    byCategory: acc.byCategory,
    urgent: acc.urgent,
    response: rateOf(acc.response),
    resolution: rateOf(acc.resolution),
    satisfaction: { satisfied: acc.satisfied, rated: acc.rated, rate: ratio(acc.satisfied, acc.rated) },
    rework: {
      reworked: acc.reworked,
      resolved: acc.everResolved,
      rate: ratio(acc.reworked, acc.everResolved),
    },
    avgResponseHours: hours(acc.responseMs, acc.responded),
    avgResolutionHours: hours(acc.resolutionMs, acc.resolved),
    overdueNow: acc.overdueNow,
  }
}

/** The case fields every figure is computed from (plus the row keys). */
export const PROJECTION = {
  status: 1,
  category: 1,
  urgency: 1,
  createdAt: 1,
  deadlines: 1,
  respondedAt: 1,
  resolvedAt: 1,
  closedAt: 1,
  'rating.score': 1,
  reworkCount: 1,
  gridId: 1,
  'location.gridId': 1,
  assigneeId: 1,
  departmentId: 1,
} as const
