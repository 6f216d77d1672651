import type { Types } from 'mongoose'
import { withLock } from '../../lib/storage/index.js'
import { type CaseDoc, CaseModel, PLACE_KEYS, placeKeysOf } from '../../models/case.model.js'

type Placed = Pick<CaseDoc, '_id' | 'location'> & {
  communityId?: Types.ObjectId | null
  gridId?: Types.ObjectId | null
}

/** The `$set` / `$unset` that make a case's top-level place keys equal its location's, or undefined. */
function placeFix(c: Placed): { $set?: Record<string, unknown>; $unset?: Record<string, ''> } | undefined {
  const want = placeKeysOf(c.location)
  const set: Record<string, unknown> = {}
  const unset: Record<string, ''> = {}
  for (const k of PLACE_KEYS) {
    const has = c[k] ?? undefined
    if (String(want[k] ?? '') === String(has ?? '')) continue
    if (want[k]) set[k] = want[k]
    else unset[k] = ''
  }
  if (!Object.keys(set).length && !Object.keys(unset).length) return undefined
  return {
    ...(Object.keys(set).length ? { $set: set } : {}),
    ...(Object.keys(unset).length ? { $unset: unset } : {}),
  }
}

const PROJECTION = { 'location.communityId': 1, 'location.gridId': 1, communityId: 1, gridId: 1 }

/**
 * Gives every case the top-level `communityId` / `gridId` its location says (cases stored before
 * these keys, or written by a raw driver call), and fixes any that disagree. One pass over a
 * projection of the cases through a cursor that fetches `batchSize` at a time (never the whole
 * collection in memory; a range on `_id` per batch would make FerretDB read the table once per
 * batch). A case that needs a fix is re-read and written under its `case:<id>` lock, so a move of
 * the case at the same time is never overwritten. Idempotent: a second run changes nothing. A
 * repair job, not a per-request path.
 */
export async function backfillPlaceKeys(batchSize = 500): Promise<{ scanned: number; fixed: number }> {
  let scanned = 0
  let fixed = 0
  const cursor = CaseModel.find({}, PROJECTION).lean<Placed>().batchSize(batchSize).cursor()
  for await (const c of cursor) {
    scanned++
    if (!placeFix(c)) continue
    const changed = await withLock(`case:${c._id}`, async () => {
      const now = await CaseModel.findById(c._id, PROJECTION).lean<Placed>().exec()
      const fix = now && placeFix(now)
      if (!fix) return false
      await CaseModel.updateOne({ _id: c._id }, fix).exec()
      return true
    })
    if (changed) fixed++
  }
  return { scanned, fixed }
}
