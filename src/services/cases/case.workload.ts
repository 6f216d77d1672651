import { Types } from 'mongoose'
import { withLock } from '../../lib/storage/index.js'
import { type CaseDoc, CaseModel, type CaseStatus, OPEN_CASE_STATUSES } from '../../models/case.model.js'

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
function holderOf(c: Pick<CaseDoc, 'status' | 'assigneeId'> | null | undefined): Types.ObjectId | undefined {
  return c && OPEN.has(c.status) && c.assigneeId ? new Types.ObjectId(String(c.assigneeId)) : undefined
}

/** Is the case open work nobody handles: held at a queue, or received with no assignee and no department. */
function isUnowned(
  c: Pick<CaseDoc, 'status' | 'assigneeId' | 'departmentId' | 'heldAt'> | null | undefined,
): boolean {
  if (!c || !OPEN_CASE_STATUSES.includes(c.status)) return false
  if (c.heldAt?.queue) return true
  return c.status === 'received' && !c.assigneeId && !c.departmentId
}

type KeyFields = Pick<CaseDoc, 'status' | 'assigneeId' | 'departmentId' | 'heldAt'> & {
  holderId?: Types.ObjectId | null
  unowned?: boolean | null
}

/**
 * What an update of `current` (its `$set` and `$unset` fields) must also write to keep the keys the
 * lists read right: `holderId` (open workload) and `unowned` (无人负责). Fields to set, fields to
 * unset; both empty when they stay.
 */
export function keyUpdate(
  current: KeyFields,
  set: Record<string, unknown>,
  unset: readonly string[],
): { set: { holderId?: Types.ObjectId; unowned?: true }; unset: Array<'holderId' | 'unowned'> } {
  const after = (k: 'status' | 'assigneeId' | 'departmentId' | 'heldAt') =>
    k in set ? set[k] : unset.includes(k) ? undefined : current[k]
  const next = {
    status: after('status'),
    assigneeId: after('assigneeId'),
    departmentId: after('departmentId'),
    heldAt: after('heldAt'),
  } as Pick<CaseDoc, 'status' | 'assigneeId' | 'departmentId' | 'heldAt'>
  const out: ReturnType<typeof keyUpdate> = { set: {}, unset: [] }
  const holder = holderOf(next)
  const was = current.holderId ?? undefined
  if (String(holder) !== String(was)) {
    if (holder) out.set.holderId = holder
    else out.unset.push('holderId')
  }
  const unowned = isUnowned(next)
  if (unowned !== Boolean(current.unowned)) {
    if (unowned) out.set.unowned = true
    else out.unset.push('unowned')
  }
  return out
}

/** Open workload per person: how many cases each holds assigned or in progress. */
export async function openWorkload(personIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    personIds.map((id) => CaseModel.countDocuments({ holderId: new Types.ObjectId(id) }).exec()),
  )
  return new Map(personIds.map((id, i) => [id, counts[i] ?? 0]))
}

const KEY_FIELDS = { status: 1, assigneeId: 1, departmentId: 1, heldAt: 1, holderId: 1, unowned: 1 }

const changes = (u: ReturnType<typeof keyUpdate>) => Object.keys(u.set).length + u.unset.length > 0

/** Sets the case's `holderId` and `unowned` as its state says, under the case's lock; the update made. */
async function repairKeys(id: Types.ObjectId): Promise<ReturnType<typeof keyUpdate> | undefined> {
  return withLock(`case:${id}`, async () => {
    const c = await CaseModel.findById(id, KEY_FIELDS).lean<CaseDoc>().exec()
    if (!c) return undefined
    const change = keyUpdate(c, {}, [])
    if (!changes(change)) return undefined
    const update: Record<string, unknown> = {}
    if (Object.keys(change.set).length) update.$set = change.set
    if (change.unset.length) update.$unset = Object.fromEntries(change.unset.map((k) => [k, '']))
    await CaseModel.updateOne({ _id: id }, update).exec()
    return change
  })
}

/**
 * Compares each case's `holderId` and `unowned` with its state and repairs them both ways: an open
 * case without them (stored before they existed, or written by an older version) gets them, a case
 * no longer open or owned loses them. Reads every open case and every case carrying a key: a
 * periodic repair, not a per-request path. `added`/`removed` count `holderId`; `unowned` the cases
 * whose 无人负责 key was set or cleared.
 */
export async function recountOpenAssignments(): Promise<{ added: number; removed: number; unowned: number }> {
  let added = 0
  let removed = 0
  let unowned = 0
  const tally = (u: ReturnType<typeof keyUpdate> | undefined) => {
    if (!u) return
    if (u.set.holderId) added++
    if (u.unset.includes('holderId')) removed++
    if (u.set.unowned || u.unset.includes('unowned')) unowned++
  }
  const seen = new Set<string>()
  for (const status of OPEN_CASE_STATUSES) {
    const docs = await CaseModel.find({ status }, KEY_FIELDS).lean<CaseDoc[]>().exec()
    for (const d of docs) {
      seen.add(String(d._id))
      if (changes(keyUpdate(d, {}, []))) tally(await repairKeys(d._id))
    }
  }
  for (const key of ['holderId', 'unowned'] as const) {
    const keyed = await CaseModel.find({ [key]: { $exists: true } }, KEY_FIELDS)
      .lean<CaseDoc[]>()
      .exec()
    for (const d of keyed)
      if (!seen.has(String(d._id)) && changes(keyUpdate(d, {}, []))) tally(await repairKeys(d._id))
  }
  return { added, removed, unowned }
}
