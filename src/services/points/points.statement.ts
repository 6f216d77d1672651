import type { Types } from 'mongoose'
import {
  POINTS_KINDS,
  PointsEntryModel,
  type PointsKind,
  type PointsReason,
} from '../../models/points.model.js'

export type PointsBalances = Record<PointsKind, number>

/** One month of one kind: opening + earned − spent = closing. */
export interface KindStatement {
  opening: number
  earned: number
  spent: number
  closing: number
}

export interface StatementEntry {
  id: string
  at: Date
  kind: PointsKind
  delta: number
  reason: PointsReason
  note?: string
}

export interface PointsStatement {
  month: string
  kinds: Record<PointsKind, KindStatement>
  entries: StatementEntry[]
  /** True when the month had more entries than the statement lists (the sums count them all). */
  truncated: boolean
}

/** The filter of one kind: entries written before kinds existed have none and are activity points. */
export function kindFilter(kind: PointsKind): Record<string, unknown> {
  return kind === 'activity' ? { kind: { $ne: 'conduct' } } : { kind }
}

const MAX_ENTRIES = 500

/**
 * A person's statement of one month: the opening balance per kind (one grouped sum over the earlier
 * months), then the month's entries (an index on personId + month) summed here.
 */
export async function readStatement(personId: Types.ObjectId, month: string): Promise<PointsStatement> {
  const before = await PointsEntryModel.aggregate<{ _id: string | null; s: number }>([
    { $match: { personId, month: { $lt: month } } },
    { $group: { _id: '$kind', s: { $sum: '$delta' } } },
  ])
  const docs = await PointsEntryModel.find({ personId, month }).sort({ at: 1, _id: 1 }).lean()
  const kinds = Object.fromEntries(
    POINTS_KINDS.map((k) => [k, { opening: 0, earned: 0, spent: 0, closing: 0 }]),
  ) as Record<PointsKind, KindStatement>
  for (const row of before) kinds[row._id === 'conduct' ? 'conduct' : 'activity'].opening += row.s
  for (const d of docs) {
    const k = kinds[d.kind === 'conduct' ? 'conduct' : 'activity']
    if (d.delta > 0) k.earned += d.delta
    else k.spent -= d.delta
  }
  for (const k of Object.values(kinds)) k.closing = k.opening + k.earned - k.spent
  return {
    month,
    kinds,
    truncated: docs.length > MAX_ENTRIES,
    entries: docs.slice(0, MAX_ENTRIES).map((d) => ({
      id: String(d._id),
      at: d.at,
      kind: d.kind === 'conduct' ? 'conduct' : 'activity',
      delta: d.delta,
      reason: d.reason,
      ...(d.note ? { note: d.note } : {}),
    })),
  }
}
