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
  /** The grid's listed buildings plus those its households name. */
  buildings: string[]
  /** As stored (a GeoJSON Polygon when the registry has one). */
  boundary?: unknown
  /** Households by building. */
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
  const facts = grids.map((g) => {
    const households: Record<string, number> = {}
    for (const c of counts.filter((c) => String(c._id.gridId) === String(g._id))) {
      const b = normalizeBuilding(c._id.building)
      households[b] = (households[b] ?? 0) + c.n
    }
    const listed = (g.buildings ?? []).map(normalizeBuilding)
    return {
      id: String(g._id),
      code: g.code,
      name: g.name,
      workerName: g.primaryWorkerId ? (nameOf.get(String(g.primaryWorkerId)) ?? null) : null,
      buildings: [...new Set([...listed, ...Object.keys(households)])].filter(Boolean),
      boundary: g.boundary ?? undefined,
      households,
    }
  })
  return {
    community: { id: String(community._id), code: community.code, name: community.name },
    grids: facts,
  }
}
