import { randomBytes } from 'node:crypto'
import type { Types } from 'mongoose'
import {
  CommunityModel,
  DepartmentModel,
  GridModel,
  HouseholdModel,
  ResidentModel,
  type Role,
} from '../src/models/registry.model.js'

/**
 * Small factories for registry documents in tests (shared: keep each function small; append yours).
 * Each returns the created document; ids are ObjectIds.
 */

const token = () => randomBytes(8).toString('hex')

export function createCommunity(code = 'KH') {
  return CommunityModel.create({ code, name: `${code}社区`, street: '康和街道' })
}

export function createGrid(communityId: Types.ObjectId, code: string, extra: Record<string, unknown> = {}) {
  return GridModel.create({ code, name: `${code}网格`, communityId, token: token(), ...extra })
}

export function createHousehold(
  grid: { _id: Types.ObjectId; communityId: Types.ObjectId },
  building: string,
  unit: string,
  room: string,
) {
  return HouseholdModel.create({
    communityId: grid.communityId,
    gridId: grid._id,
    building,
    unit,
    room,
    token: token(),
  })
}

export function createPerson(
  name: string,
  roles: Role[] = ['resident'],
  extra: {
    communityId?: Types.ObjectId
    gridId?: Types.ObjectId
    householdId?: Types.ObjectId
    contactId?: string
    tags?: string[]
    staff?: {
      gridIds?: Types.ObjectId[]
      communityIds?: Types.ObjectId[]
      departmentId?: Types.ObjectId
      onDuty?: boolean
    }
  } = {},
) {
  const { contactId, ...rest } = extra
  return ResidentModel.create({
    name,
    roles,
    token: token(),
    wechat: contactId ? { contactId } : {},
    ...rest,
  })
}

export function createDepartment(code: string, name: string, categories: string[], isDefault = false) {
  return DepartmentModel.create({ code, name, categories, isDefault })
}
