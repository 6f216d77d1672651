import type { Types } from 'mongoose'
import { type CaseLevel, CaseModel } from '../../models/case.model.js'

/** What the responsibility list says about a case (the fields of `Responsibility.whoHandles`). */
export interface CaseHandlers {
  level: CaseLevel
  gridId?: string
  communityId?: string
  departmentIds: string[]
  gridWorkerIds: string[]
  communityStaffIds: string[]
  notifyCommunity: boolean
  respondBy: Date
  resolveBy: Date
}

/** Where a new case goes. */
export type RoutePlan =
  | { kind: 'assign'; assigneeId: string; as: 'grid_worker' | 'community_staff' }
  | { kind: 'post'; departmentIds: string[] }
  | { kind: 'none' }

/** Open workload per person: cases they hold that are assigned or in progress. */
export async function openWorkload(personIds: readonly string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    personIds.map((id) =>
      CaseModel.countDocuments({ assigneeId: id, status: { $in: ['assigned', 'in_progress'] } }),
    ),
  )
  return new Map(personIds.map((id, i) => [id, counts[i] ?? 0]))
}

/** The least loaded of the candidates; ties go to the earlier one (the primary worker comes first). */
export function pickLeastLoaded(
  candidates: readonly string[],
  load: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined
  for (const id of candidates) {
    if (best === undefined || (load.get(id) ?? 0) < (load.get(best) ?? 0)) best = id
  }
  return best
}

/**
 * Grid level → the grid's on-duty workers (community staff when the grid has none); community level
 * → community staff (grid workers when none); department level → posted to the departments that
 * handle the category (社区下单、部门抢单), or to the grid when no department serves the community.
 */
export async function planRoute(h: CaseHandlers): Promise<RoutePlan> {
  if (h.level === 'department' && h.departmentIds.length > 0)
    return { kind: 'post', departmentIds: h.departmentIds }
  const order: Array<['grid_worker' | 'community_staff', string[]]> =
    h.level === 'community'
      ? [
          ['community_staff', h.communityStaffIds],
          ['grid_worker', h.gridWorkerIds],
        ]
      : [
          ['grid_worker', h.gridWorkerIds],
          ['community_staff', h.communityStaffIds],
        ]
  for (const [as, ids] of order) {
    if (ids.length === 0) continue
    // One candidate needs no count of everyone's open cases.
    const chosen = ids.length === 1 ? ids[0] : pickLeastLoaded(ids, await openWorkload(ids))
    if (chosen) return { kind: 'assign', assigneeId: chosen, as }
  }
  return { kind: 'none' }
}

/** Ids as strings, for comparisons. */
export function idList(ids: ReadonlyArray<Types.ObjectId | string> | undefined): string[] {
  return (ids ?? []).map(String)
}
