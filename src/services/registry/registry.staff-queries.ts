import type { Types } from 'mongoose'
import {
  CommunityModel,
  DepartmentModel,
  GridModel,
  ResidentModel,
  ROLES,
  type Role,
} from '../../models/registry.model.js'
import { refreshStaffKeys, staffKey } from '../../models/staff-keys.js'

type Id = string | Types.ObjectId

/** The grid's primary worker, when it has one (the first escalation tier). */
export async function gridPrimaryWorkerId(gridId: Id): Promise<string | undefined> {
  const grid = await GridModel.findById(gridId, { primaryWorkerId: 1 }).lean()
  return grid?.primaryWorkerId ? String(grid.primaryWorkerId) : undefined
}

/**
 * People (not erased) holding any of `roles`, each once, by name: one indexed equality a role, merged
 * (a `roles $in` reads every resident on the embedded server). At most `limit`.
 */
export async function peopleWithRoles(
  roles: readonly Role[],
  limit = 200,
): Promise<Array<{ id: string; name: string; roles: Role[] }>> {
  const found = await Promise.all(
    roles.map((role) =>
      ResidentModel.find({ roles: role, erasedAt: { $exists: false } }, { name: 1, roles: 1 })
        .limit(limit)
        .lean(),
    ),
  )
  const people = new Map(found.flat().map((p) => [String(p._id), p]))
  return [...people.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, limit)
    .map((p) => ({ id: String(p._id), name: p.name, roles: p.roles as Role[] }))
}

/** People (not erased) holding `role` for a community, in a stable order. */
export async function staffIdsOfCommunity(role: Role, communityId: Id): Promise<string[]> {
  const docs = await ResidentModel.find({ staffKeys: staffKey.community(role, communityId) }, { _id: 1 })
    .sort({ _id: 1 })
    .lean()
  return docs.map((r) => String(r._id))
}

/** The WeChat-reachable staff of the departments, each person once. */
export async function departmentContactIds(departmentIds: readonly Id[]): Promise<string[]> {
  if (departmentIds.length === 0) return []
  const docs =
    departmentIds.length === 1
      ? await DepartmentModel.find({ _id: departmentIds[0] }, { contactIds: 1 }).lean()
      : await DepartmentModel.find({ _id: { $in: [...departmentIds] } }, { contactIds: 1 }).lean()
  return [...new Set(docs.flatMap((d) => (d.contactIds ?? []).map(String)))]
}

/** Every grid worker who is not erased. */
export async function gridWorkerIds(): Promise<string[]> {
  const docs = await ResidentModel.find({ staffKeys: staffKey.role('grid_worker') }, { _id: 1 }).lean()
  return docs.map((d) => String(d._id))
}

/** Community staff (not erased) grouped by the communities they serve: community id → person ids. */
export async function communityStaffByCommunity(): Promise<Map<string, string[]>> {
  const staff = await ResidentModel.find({ staffKeys: staffKey.role('community_staff') }, { staff: 1 }).lean()
  const byCommunity = new Map<string, string[]>()
  for (const s of staff) {
    for (const c of s.staff?.communityIds ?? [])
      byCommunity.set(String(c), [...(byCommunity.get(String(c)) ?? []), String(s._id)])
  }
  return byCommunity
}

/** A community's name, or undefined when it no longer exists. */
export async function communityName(communityId: Id): Promise<string | undefined> {
  const community = await CommunityModel.findById(communityId, { name: 1 }).lean()
  return community?.name
}

/**
 * Rewrites the `staffKeys` of everyone who holds a staff role or still carries a key (cases stored
 * before the keys, raw driver writes, a crash between a write and its keys). Reads by one equality per
 * role on `roles` and on `staffKeys` (both indexed), never every resident; idempotent. A repair job.
 */
export async function backfillStaffKeys(): Promise<{ checked: number; fixed: number }> {
  const ids = new Map<string, Types.ObjectId>()
  for (const role of ROLES) {
    if (role === 'resident' || role === 'party_member') continue
    const [holding, keyed] = await Promise.all([
      ResidentModel.find({ roles: role }, { _id: 1 }).lean(),
      ResidentModel.find({ staffKeys: staffKey.role(role) }, { _id: 1 }).lean(),
    ])
    for (const d of [...holding, ...keyed]) ids.set(String(d._id), d._id)
  }
  let fixed = 0
  for (const id of ids.values()) if (await refreshStaffKeys(ResidentModel, id)) fixed++
  return { checked: ids.size, fixed }
}
