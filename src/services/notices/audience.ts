import { Types } from 'mongoose'
import { ResidentModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'

/** Who a notice or an event is for: a community, optionally narrowed to grids and/or tagged residents. */
export interface AudienceScope {
  communityId: string
  /** Empty: the whole community. */
  gridIds?: string[]
  /** Residents carrying any of these tags (独居老人 …); empty: everyone in scope. */
  tags?: string[]
}

export interface ScopeRoom {
  roomId: string
  topic: string
  gridId?: string
}

export interface ScopePerson {
  personId: string
  name: string
  gridId?: string
  householdId?: string
  tags: string[]
}

const ids = (list: string[] | undefined) => (list ?? []).map((id) => new Types.ObjectId(id))

/**
 * The bound group chats in scope: every group of the community when no grids are named, else the
 * groups bound to those grids.
 */
export async function roomsInScope(scope: AudienceScope): Promise<ScopeRoom[]> {
  const filter: Record<string, unknown> = { communityId: new Types.ObjectId(scope.communityId) }
  if (scope.gridIds?.length) Object.assign(filter, { scope: 'grid', gridId: { $in: ids(scope.gridIds) } })
  const docs = await RoomBindingModel.find(filter).sort({ roomId: 1 }).lean()
  return docs.map((d) => ({
    roomId: d.roomId,
    topic: d.topic,
    gridId: d.gridId ? String(d.gridId) : undefined,
  }))
}

/** The residents in scope (not erased), in a stable order. */
export async function personsInScope(scope: AudienceScope): Promise<ScopePerson[]> {
  const filter: Record<string, unknown> = {
    communityId: new Types.ObjectId(scope.communityId),
    erasedAt: { $exists: false },
  }
  if (scope.gridIds?.length) filter.gridId = { $in: ids(scope.gridIds) }
  if (scope.tags?.length) filter.tags = { $in: scope.tags }
  const docs = await ResidentModel.find(filter, { name: 1, gridId: 1, householdId: 1, tags: 1 })
    .sort({ _id: 1 })
    .lean()
  return docs.map((d) => ({
    personId: String(d._id),
    name: d.name,
    gridId: d.gridId ? String(d.gridId) : undefined,
    householdId: d.householdId ? String(d.householdId) : undefined,
    tags: d.tags ?? [],
  }))
}
