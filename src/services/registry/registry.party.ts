import type { FieldCrypto } from '../../lib/crypto.js'
import { InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import {
  type HouseholdView,
  objectId,
  type ResidentView,
  toHouseholdView,
  toResidentView,
} from './registry.views.js'

export interface UnlinkedQuery {
  communityId?: string
  gridId?: string
  /** At most this many households are listed (the count covers all). */
  limit?: number
}

/** Party-member links (党员联系户): each party member looks after about five households. */
export function createPartyService(deps: { crypto: FieldCrypto }) {
  return {
    /** Links a party member to households; a household already linked to someone else is moved. */
    async linkPartyMember(partyMemberId: string, householdIds: string[]): Promise<number> {
      const member = await ResidentModel.findById(objectId(partyMemberId, '党员')).lean()
      if (!member || member.erasedAt) throw new NotFoundError('党员')
      if (!member.roles.includes('party_member')) throw new InvalidInputError(`${member.name}不是登记的党员`)
      const ids = householdIds.map((id) => objectId(id, '住户'))
      const res = await HouseholdModel.updateMany(
        { _id: { $in: ids } },
        { $set: { partyMemberId: member._id } },
      )
      if (res.matchedCount !== ids.length) throw new NotFoundError('部分住户')
      return res.matchedCount
    },

    async unlinkPartyMember(householdId: string): Promise<void> {
      await HouseholdModel.updateOne({ _id: objectId(householdId, '住户') }, { $unset: { partyMemberId: 1 } })
    },

    /** "Who is this household's party member?" */
    async getHouseholdPartyMember(householdId: string): Promise<ResidentView | undefined> {
      const h = await HouseholdModel.findById(objectId(householdId, '住户')).lean()
      if (!h) throw new NotFoundError('住户')
      if (!h.partyMemberId) return undefined
      const member = await ResidentModel.findOne({ _id: h.partyMemberId, erasedAt: null }).lean()
      return member ? toResidentView(member, deps.crypto) : undefined
    },

    /** The households a party member looks after. */
    async listPartyMemberHouseholds(partyMemberId: string): Promise<HouseholdView[]> {
      const docs = await HouseholdModel.find({ partyMemberId: objectId(partyMemberId, '党员') }).lean()
      return docs.map(toHouseholdView)
    },

    /** "Which households have no party member yet?" within a community or grid. */
    async listHouseholdsWithoutPartyMember(
      query: UnlinkedQuery,
    ): Promise<{ total: number; households: HouseholdView[] }> {
      const filter: Record<string, unknown> = { partyMemberId: null }
      if (query.communityId) filter.communityId = objectId(query.communityId, '社区')
      if (query.gridId) filter.gridId = objectId(query.gridId, '网格')
      const [total, docs] = await Promise.all([
        HouseholdModel.countDocuments(filter),
        HouseholdModel.find(filter)
          .sort({ building: 1, unit: 1, room: 1 })
          .limit(query.limit ?? 100)
          .lean(),
      ])
      return { total, households: docs.map(toHouseholdView) }
    },
  }
}

export type PartyService = ReturnType<typeof createPartyService>
