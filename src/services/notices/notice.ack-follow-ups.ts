import { Types } from 'mongoose'
import { NoticeModel } from '../../models/notice.model.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import type { AckPerson } from './notice.service.js'

/** A person who follows up on residents who did not acknowledge a notice, and whom. */
export interface Follower {
  personId: string
  residents: Array<AckPerson & { address: string }>
}

/** Sent notices asking for 收到 whose send time falls in [oldest, cutoff]. */
export async function listAckFollowUpNotices(
  cutoff: Date,
  oldest: Date,
): Promise<Array<{ id: string; title: string }>> {
  const docs = await NoticeModel.find({
    requireAck: true,
    status: 'sent',
    sentAt: { $lte: cutoff, $gte: oldest },
  }).lean()
  return docs.map((n) => ({ id: String(n._id), title: n.title }))
}

/**
 * Who visits each pending resident: the household's linked party member, else the grid worker;
 * follower id → the residents they are asked about.
 */
export async function followersOfPending(pending: AckPerson[]): Promise<Map<string, Follower>> {
  return followersOf(pending, await householdsOf(pending.map((p) => p.personId)))
}

async function followersOf(
  pending: AckPerson[],
  householdOf: Map<string, string | undefined>,
): Promise<Map<string, Follower>> {
  const householdIds = [...new Set([...householdOf.values()].filter((h): h is string => Boolean(h)))]
  const households = await HouseholdModel.find({
    _id: { $in: householdIds.map((h) => new Types.ObjectId(h)) },
  }).lean()
  const byHousehold = new Map(households.map((h) => [String(h._id), h]))
  const gridIds = [...new Set(pending.map((p) => p.gridId).filter((g): g is string => Boolean(g)))]
  const grids = await GridModel.find(
    { _id: { $in: gridIds.map((g) => new Types.ObjectId(g)) } },
    { primaryWorkerId: 1 },
  ).lean()
  const workerOf = new Map(
    grids.map((g) => [String(g._id), g.primaryWorkerId ? String(g.primaryWorkerId) : undefined]),
  )
  const out = new Map<string, Follower>()
  for (const p of pending) {
    const h = byHousehold.get(householdOf.get(p.personId) ?? '')
    const followerId = h?.partyMemberId ? String(h.partyMemberId) : workerOf.get(p.gridId ?? '')
    if (!followerId) continue
    const address = h ? `${h.building}号楼${h.unit ? `${h.unit}单元` : ''}${h.room}` : ''
    const entry = out.get(followerId) ?? { personId: followerId, residents: [] }
    entry.residents.push({ ...p, address })
    out.set(followerId, entry)
  }
  return out
}

async function householdsOf(personIds: string[]): Promise<Map<string, string | undefined>> {
  const docs = await ResidentModel.find(
    { _id: { $in: personIds.map((p) => new Types.ObjectId(p)) } },
    { householdId: 1 },
  ).lean()
  return new Map(docs.map((d) => [String(d._id), d.householdId ? String(d.householdId) : undefined]))
}
