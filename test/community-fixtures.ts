import { randomBytes } from 'node:crypto'
import type { Types } from 'mongoose'
import {
  CommunityModel,
  GridModel,
  HouseholdModel,
  ResidentModel,
  type Role,
} from '../src/models/registry.model.js'
import { RoomBindingModel } from '../src/models/room-binding.model.js'

const token = () => randomBytes(8).toString('hex')

/** Test data for jobs, events and notices: a community with grids, people and bound rooms. */
export async function makeCommunity(code = 'KC') {
  const community = await CommunityModel.create({ code, name: `${code}社区`, street: '康和街道' })
  const grid = async (n: number) =>
    GridModel.create({
      code: `${code}-0${n}`,
      name: `第${n}网格`,
      communityId: community._id,
      token: token(),
    })
  return { community, grid }
}

export async function makePerson(input: {
  name: string
  communityId: Types.ObjectId
  gridId?: Types.ObjectId
  householdId?: Types.ObjectId
  roles?: Role[]
  tags?: string[]
  staff?: { gridIds?: Types.ObjectId[]; communityIds?: Types.ObjectId[]; departmentId?: Types.ObjectId }
  contactId?: string
}) {
  return ResidentModel.create({
    name: input.name,
    communityId: input.communityId,
    gridId: input.gridId,
    householdId: input.householdId,
    roles: input.roles ?? ['resident'],
    tags: input.tags ?? [],
    staff: input.staff ?? {},
    wechat: input.contactId ? { contactId: input.contactId } : {},
    token: token(),
  })
}

export async function makeHousehold(input: {
  communityId: Types.ObjectId
  gridId: Types.ObjectId
  building: string
  room: string
  partyMemberId?: Types.ObjectId
}) {
  return HouseholdModel.create({ ...input, unit: '1', token: token() })
}

export async function bindRoom(input: {
  roomId: string
  communityId: Types.ObjectId
  gridId?: Types.ObjectId
  code?: string
}) {
  return RoomBindingModel.create({
    roomId: input.roomId,
    topic: `${input.roomId}群`,
    scope: input.gridId ? 'grid' : 'community',
    gridId: input.gridId,
    gridCode: input.gridId ? input.code : undefined,
    communityId: input.communityId,
    communityCode: input.code ?? 'KC',
  })
}

/** An actor as auth would build it for a staff member. */
export function staffActor(
  person: { _id: Types.ObjectId },
  roles: Role[],
  communityIds: Types.ObjectId[],
  gridIds: Types.ObjectId[] = [],
) {
  return {
    personId: String(person._id),
    roles,
    communityIds: communityIds.map(String),
    gridIds: gridIds.map(String),
  }
}
