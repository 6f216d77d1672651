import { Types } from 'mongoose'
import { withLock } from '../../lib/storage/index.js'
import { type CaseDoc, CaseModel, type CaseStatus } from '../../models/case.model.js'

/**
 * Open workload, kept on the case itself: `holderId` is the assignee while the case is assigned or in
 * progress, and absent otherwise. It is written in the same write as the status and the assignee
 * (`mutate` and the intake's insert), so no second write can be lost in a crash and no counter needs
 * `$inc` (not atomic on FerretDB); a worker's open workload is the count of cases holding their id —
 * one indexed equality, exact on every server. Cases stored before the field existed get it from the
 * `workload-recount` repair (the case-indexes job).
 */

const OPEN = new Set<CaseStatus>(['assigned', 'in_progress'])

/** Who holds the case as open work: its assignee while assigned or in progress. */
export function holderOf(
  c: Pick<CaseDoc, 'status' | 'assigneeId'> | null | undefined,
): Types.ObjectId | undefined {
  return c && OPEN.has(c.status) && c.assigneeId ? new Types.ObjectId(String(c.assigneeId)) : undefined
}

/**
 * What an update of `current` (its `$set` and `$unset` fields) must also write to keep `holderId`
 * right: a field to set, one to unset, or nothing when it stays.
 */
export function holderUpdate(
  current: CaseDoc,
  set: Record<string, unknown>,
  unset: readonly string[],
): { set?: { holderId: Types.ObjectId }; unset?: 'holderId' } {
  const status = (set.status ?? current.status) as CaseStatus
  const assigneeId =
    'assigneeId' in set ? set.assigneeId : unset.includes('assigneeId') ? undefined : current.assigneeId
  const now = holderOf({ status, assigneeId } as Pick<CaseDoc, 'status' | 'assigneeId'>)
  const was = (current as { holderId?: Types.ObjectId | null }).holderId ?? undefined
  if (String(now) === String(was)) return {}
  return now ? { set: { holderId: now } } : { unset: 'holderId' }
}

/** Open workload per person: how many cases each holds assigned or in progress. */
export async function openWorkload(personIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    personIds.map((id) => CaseModel.countDocuments({ holderId: new Types.ObjectId(id) }).exec()),
  )
  return new Map(personIds.map((id, i) => [id, counts[i] ?? 0]))
}

/** Sets the case's `holderId` as its status and assignee say, under the case's lock; true when changed. */
async function repairHolder(id: Types.ObjectId): Promise<boolean> {
  return withLock(`case:${id}`, async () => {
    const c = await CaseModel.findById(id, { status: 1, assigneeId: 1, holderId: 1 }).lean<CaseDoc>().exec()
    if (!c) return false
    const change = holderUpdate(c, {}, [])
    if (change.set) await CaseModel.updateOne({ _id: id }, { $set: change.set }).exec()
    else if (change.unset) await CaseModel.updateOne({ _id: id }, { $unset: { holderId: '' } }).exec()
    return Boolean(change.set || change.unset)
  })
}

/**
 * Compares each case's `holderId` with its status and assignee and repairs it both ways: an open case
 * without it (stored before it existed) or under another assignee gets it, a case no longer open loses
 * it. Reads every open case and every held one: a periodic repair, not a per-request path.
 */
export async function recountOpenAssignments(): Promise<{ added: number; removed: number }> {
  let added = 0
  let removed = 0
  for (const status of OPEN) {
    const docs = await CaseModel.find({ status }, { status: 1, assigneeId: 1, holderId: 1 })
      .lean<CaseDoc[]>()
      .exec()
    for (const d of docs) if (holderUpdate(d, {}, []).set && (await repairHolder(d._id))) added++
  }
  const held = await CaseModel.find(
    { holderId: { $exists: true } },
    { status: 1, assigneeId: 1, holderId: 1 },
  )
    .lean<CaseDoc[]>()
    .exec()
  for (const d of held) if (holderUpdate(d, {}, []).unset && (await repairHolder(d._id))) removed++
  return { added, removed }
}
