import type { Types } from 'mongoose'
import { gridMonthKey, PointsEntryModel } from '../../models/points.model.js'
import { ResidentModel } from '../../models/registry.model.js'

/**
 * Gives ledger entries stored before `gridMonth` existed their key (the person's grid now: the best
 * that can be said of an old entry), a batch at a time; entries of someone with no grid keep none.
 * A repair for the case-indexes job, not a per-request path: it reads the entries lacking the key.
 * Returns how many were keyed.
 */
export async function backfillGridMonths(batch = 1000): Promise<number> {
  let fixed = 0
  const noGrid = new Set<string>()
  for (;;) {
    const entries = await PointsEntryModel.find(
      { gridMonth: { $exists: false }, ...(noGrid.size ? { personId: { $nin: [...noGrid] } } : {}) },
      { personId: 1, month: 1 },
    )
      .limit(batch)
      .lean<Array<{ _id: Types.ObjectId; personId: Types.ObjectId; month: string }>>()
    if (entries.length === 0) return fixed
    const grids = new Map<string, unknown>()
    for (const id of new Set(entries.map((e) => String(e.personId)))) {
      const p = await ResidentModel.findById(id, { gridId: 1 }).lean()
      if (p?.gridId) grids.set(id, p.gridId)
      else noGrid.add(id)
    }
    let keyed = 0
    for (const e of entries) {
      const grid = grids.get(String(e.personId))
      if (!grid) continue
      await PointsEntryModel.updateOne(
        { _id: e._id, gridMonth: { $exists: false } },
        { $set: { gridMonth: gridMonthKey(grid, e.month) } },
      )
      keyed++
    }
    // A batch that keyed nothing (its people have no grid, or another writer raced) ends the pass.
    if (keyed === 0) return fixed
    fixed += keyed
  }
}
