import { Types } from 'mongoose'
import { NotFoundError } from '../../lib/errors.js'
import { CommunityModel, GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { normalizeBuilding } from './registry.validation.js'

/** A grid as the community map draws it: its buildings, boundary, worker's name and household counts. */
export interface MapGridFacts {
  id: string
  code: string
  name: string
  workerName: string | null
  /** The buildings drawn in this grid (see `ownerOfBuildings`). */
  buildings: string[]
  /** As stored (a GeoJSON Polygon when the registry has one). */
  boundary?: unknown
  /** Households by building (all of the building's households, whichever grid they name). */
  households: Record<string, number>
}

/**
 * The community (code and name) and its grids for the map, in three reads: grids, one household
 * count grouped by grid and building, and the primary workers' names (never phones).
 */
export async function readCommunityMapFacts(
  communityId: string,
): Promise<{ community: { id: string; code: string; name: string }; grids: MapGridFacts[] }> {
  const id = new Types.ObjectId(communityId)
  const community = await CommunityModel.findById(id, { code: 1, name: 1 }).lean()
  if (!community) throw new NotFoundError('社区')
  const [grids, counts] = await Promise.all([
    GridModel.find(
      { communityId: id },
      { code: 1, name: 1, buildings: 1, boundary: 1, primaryWorkerId: 1 },
    ).lean(),
    HouseholdModel.aggregate<{ _id: { gridId: Types.ObjectId; building: string }; n: number }>([
      { $match: { communityId: id } },
      { $group: { _id: { gridId: '$gridId', building: '$building' }, n: { $sum: 1 } } },
    ]),
  ])
  const workerIds = grids.flatMap((g) => (g.primaryWorkerId ? [g.primaryWorkerId] : []))
  const workers = workerIds.length
    ? await ResidentModel.find({ _id: { $in: workerIds } }, { name: 1 }).lean()
    : []
  const nameOf = new Map(workers.map((w) => [String(w._id), w.name]))
  const owner = ownerOfBuildings(grids, counts)
  const households: Record<string, number> = {}
  for (const c of counts) {
    const b = normalizeBuilding(c._id.building)
    households[b] = (households[b] ?? 0) + c.n
  }
  const facts = grids.map((g) => {
    const mine = [...owner].filter(([, gridId]) => gridId === String(g._id)).map(([b]) => b)
    return {
      id: String(g._id),
      code: g.code,
      name: g.name,
      workerName: g.primaryWorkerId ? (nameOf.get(String(g.primaryWorkerId)) ?? null) : null,
      buildings: mine,
      boundary: g.boundary ?? undefined,
      households: Object.fromEntries(mine.map((b) => [b, households[b] ?? 0])),
    }
  })
  return {
    community: { id: String(community._id), code: community.code, name: community.name },
    grids: facts,
  }
}

/**
 * One grid for each building, as routing decides (`findGridOfBuilding`): the first grid by code that
 * lists it, else the grid of its households; so a building is drawn once even when the data disagree.
 */
function ownerOfBuildings(
  grids: ReadonlyArray<{ _id: Types.ObjectId; code: string; buildings?: string[] | null }>,
  counts: ReadonlyArray<{ _id: { gridId: Types.ObjectId; building: string } }>,
): Map<string, string> {
  const owner = new Map<string, string>()
  const byCode = [...grids].sort((a, b) => a.code.localeCompare(b.code))
  for (const g of byCode)
    for (const b of (g.buildings ?? []).map(normalizeBuilding))
      if (b && !owner.has(b)) owner.set(b, String(g._id))
  const known = new Set(grids.map((g) => String(g._id)))
  for (const c of counts) {
    const b = normalizeBuilding(c._id.building)
    if (b && !owner.has(b) && known.has(String(c._id.gridId))) owner.set(b, String(c._id.gridId))
  }
  return owner
}
