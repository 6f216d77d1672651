import { Types } from 'mongoose'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { batchedInserts } from '../../lib/storage/index.js'
import { bumpTopic, topicCache } from '../../models/cache-version.model.js'
import type { CaseDoc } from '../../models/case.model.js'
import { CaseModel } from '../../models/case.model.js'
import { CaseFollowModel } from '../../models/case-follow.model.js'

type Id = Types.ObjectId | string

/** Follows written together share one insert command. */
const insertFollow = batchedInserts(CaseFollowModel)

/**
 * Records that `personId` follows the case (idempotent: a unique-key insert, a second one is a no-op).
 * Written before the case change it stands for, so a crash in between leaves a follow of a case that
 * does not show (the list skips it), never a case missing from the person's list. That case change
 * gives the `cases` version a new value, so lists kept in memory see the follow too.
 */
export async function followCase(
  personId: Id | null | undefined,
  caseId: Id,
  via: 'reporter' | 'subscriber',
  at: Date,
): Promise<void> {
  if (!personId) return
  const doc = { _id: `${personId}:${caseId}`, personId, caseId, via, at }
  try {
    await insertFollow(doc)
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err
  }
}

/**
 * The newest cases a person follows, `limit` of them, older than `before` (a case id) when given: one
 * equality on the indexed `personId` with a limit, then each case by `_id`. Returns the cases and,
 * when there are more, the cursor of the next page (the last case id of this one).
 */
export function followedCases(personId: Id, o: { before?: string; limit: number }): Promise<FollowedPage> {
  // From memory while no case and no follow changed anywhere (the `cases` version, read once for
  // all requests asking at the same time): a busy list costs no command of its own.
  return followedPages.get(`${personId}|${o.before ?? ''}|${o.limit}`, () => readFollowedCases(personId, o))
}

export interface FollowedPage {
  docs: CaseDoc[]
  next?: string
}

/** Pages of people's followed cases, shared: callers must not change them. */
const followedPages = topicCache<FollowedPage>('cases', 5_000)

async function readFollowedCases(personId: Id, o: { before?: string; limit: number }): Promise<FollowedPage> {
  const filter: Record<string, unknown> = { personId: new Types.ObjectId(String(personId)) }
  if (o.before) filter.caseId = { $lt: new Types.ObjectId(o.before) }
  const follows = await CaseFollowModel.find(filter, { caseId: 1 })
    .sort({ personId: 1, caseId: -1 })
    .limit(o.limit + 1)
    .lean()
    .exec()
  const page = follows.slice(0, o.limit)
  const docs = await Promise.all(
    page.map((f) => CaseModel.findById(f.caseId, { timeline: 0 }).lean<CaseDoc>().exec()),
  )
  const next = follows.length > o.limit ? page[page.length - 1]?.caseId : undefined
  return { docs: docs.filter((d): d is CaseDoc => d !== null), next: next ? String(next) : undefined }
}

/**
 * Writes the follows of stored cases (their reporter and subscribers); idempotent. All cases when the
 * collection is still empty (the first run after follows were introduced), else those changed since
 * `since` (what a crash between a follow and its case change could have missed). A repair job, not a
 * per-request path.
 */
export async function rebuildCaseFollows(since: Date): Promise<number> {
  let written = 0
  const empty = (await CaseFollowModel.findOne({}, { _id: 1 }).lean().exec()) === null
  const filter = empty ? {} : { updatedAt: { $gte: since } }
  const cursor = CaseModel.find(filter, { reporterId: 1, subscribers: 1, createdAt: 1 })
    .lean<Pick<CaseDoc, '_id' | 'reporterId' | 'subscribers' | 'createdAt'>[]>()
    .cursor()
  for await (const c of cursor) {
    if (c.reporterId) {
      await followCase(c.reporterId, c._id, 'reporter', c.createdAt)
      written++
    }
    for (const s of c.subscribers ?? []) {
      if (!s.personId) continue
      await followCase(s.personId, c._id, 'subscriber', s.at ?? c.createdAt)
      written++
    }
  }
  // Follows written here were not followed by a case change: cached lists must see them.
  if (written > 0) await bumpTopic('cases')
  return written
}
