import { Types } from 'mongoose'
import { type CaseDoc, CaseModel, type CaseStatus } from '../../models/case.model.js'
import { OpenAssignmentModel } from '../../models/open-assignment.model.js'

/**
 * Open workload, kept as one entry per open case (`open_assignments`, `_id` = case id) rather than a
 * counter per worker. A counter needs `$inc`, which FerretDB does not apply atomically: two cases
 * assigned at once could count once, and nothing would tell. An entry per case is written by `_id`
 * under the case's own lock (every case change goes through `mutate`), so no two writers ever touch
 * the same entry, and the count of a worker's entries by the indexed `assigneeId` is exact on every
 * server. A crash between the case write and the entry write can leave one entry wrong: the
 * `workload-recount` job compares the entries with the cases and repairs them.
 */

const OPEN = new Set<CaseStatus>(['assigned', 'in_progress'])

function holder(c: Pick<CaseDoc, 'status' | 'assigneeId'> | null | undefined): string | undefined {
  return c && OPEN.has(c.status) && c.assigneeId ? String(c.assigneeId) : undefined
}

/** Brings the case's entry in line with the change from `before` to `after` (call under its lock). */
export async function syncOpenAssignment(before: CaseDoc | null, after: CaseDoc): Promise<void> {
  const was = holder(before)
  const now = holder(after)
  if (was === now) return
  if (now)
    await OpenAssignmentModel.replaceOne(
      { _id: after._id },
      { _id: after._id, assigneeId: new Types.ObjectId(now), at: after.updatedAt ?? new Date() },
      { upsert: true },
    ).exec()
  else await OpenAssignmentModel.deleteOne({ _id: after._id }).exec()
}

/** Open workload per person: how many cases each holds assigned or in progress. */
export async function openWorkload(personIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    personIds.map((id) => OpenAssignmentModel.countDocuments({ assigneeId: new Types.ObjectId(id) }).exec()),
  )
  return new Map(personIds.map((id, i) => [id, counts[i] ?? 0]))
}

/**
 * Compares the entries with the cases and repairs both ways: an open case without its entry (or
 * under another assignee) gets one, an entry of a case no longer open is deleted. Reads every open
 * case and every entry: a periodic repair, not a per-request path.
 */
export async function recountOpenAssignments(): Promise<{ added: number; removed: number }> {
  const open = new Map<string, { id: Types.ObjectId; assigneeId: string; at: Date }>()
  for (const status of OPEN) {
    const docs = await CaseModel.find({ status }, { assigneeId: 1, updatedAt: 1 })
      .lean<Pick<CaseDoc, '_id' | 'assigneeId' | 'updatedAt'>[]>()
      .exec()
    for (const d of docs)
      if (d.assigneeId)
        open.set(String(d._id), { id: d._id, assigneeId: String(d.assigneeId), at: d.updatedAt })
  }
  const entries = await OpenAssignmentModel.find({}, { assigneeId: 1 }).lean().exec()
  let added = 0
  let removed = 0
  const seen = new Set<string>()
  for (const e of entries) {
    const key = String(e._id)
    seen.add(key)
    const want = open.get(key)
    if (want && want.assigneeId === String(e.assigneeId)) continue
    if (!want) {
      // Checked again by id: the case may have been assigned since the scan.
      const c = await CaseModel.findById(e._id, { status: 1, assigneeId: 1 }).lean<CaseDoc>().exec()
      if (holder(c)) continue
      await OpenAssignmentModel.deleteOne({ _id: e._id, assigneeId: e.assigneeId }).exec()
      removed++
      continue
    }
    await OpenAssignmentModel.replaceOne(
      { _id: want.id },
      { _id: want.id, assigneeId: new Types.ObjectId(want.assigneeId), at: want.at },
    ).exec()
    added++
  }
  for (const [key, want] of open) {
    if (seen.has(key)) continue
    await OpenAssignmentModel.replaceOne(
      { _id: want.id },
      { _id: want.id, assigneeId: new Types.ObjectId(want.assigneeId), at: want.at },
      { upsert: true },
    ).exec()
    added++
  }
  return { added, removed }
}
