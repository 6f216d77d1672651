import { randomBytes } from 'node:crypto'
import { Types } from 'mongoose'
import type { FieldCrypto } from '../../lib/crypto.js'
import { NotFoundError } from '../../lib/errors.js'
import { maskIdNumber, maskPhone } from '../../lib/mask.js'
import type { Community, Department, Grid, Household, Resident, Role } from '../../models/registry.model.js'
import { formatAddress } from './registry.validation.js'

/** Plain view objects the registry returns; personal numbers only ever appear masked here. */

export interface CommunityView {
  id: string
  code: string
  name: string
  street: string
  district: string
  city: string
}

export interface GridView {
  id: string
  code: string
  name: string
  communityId: string
  buildings: string[]
  primaryWorkerId?: string
  partTimeWorkerIds: string[]
  token: string
  tokenRevoked: boolean
}

export interface HouseholdView {
  id: string
  communityId: string
  gridId: string
  building: string
  unit: string
  room: string
  /** 10号楼3单元301室 */
  address: string
  token: string
  tokenRevoked: boolean
  partyMemberId?: string
}

export interface ResidentView {
  id: string
  name: string
  householdId?: string
  communityId?: string
  gridId?: string
  roles: Role[]
  tags: string[]
  /** Masked: 138****5678. */
  phone?: string
  /** Masked: 1502**********1234. */
  idNumber?: string
  wechat: { contactId?: string; openid?: string; nickname?: string }
  /** The WeCom (企业微信) userid, for staff reached through the self-built app. */
  wecomUserId?: string
  token: string
  staff: { gridIds: string[]; communityIds: string[]; departmentId?: string; onDuty: boolean }
  consentAt?: Date
  erased: boolean
}

export interface DepartmentView {
  id: string
  code: string
  name: string
  communityIds: string[]
  categories: string[]
  contactIds: string[]
  isDefault: boolean
}

type Lean<T> = Omit<T, 'createdAt' | 'updatedAt'>
const str = (id: Types.ObjectId | null | undefined) => (id ? String(id) : undefined)
const strs = (ids: Types.ObjectId[] | null | undefined) => (ids ?? []).map(String)

/** An unguessable code token (一格一码/一户一码/一人一码): 18 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(18).toString('base64url')
}

/** Parses an id from the outside world; an impossible id is simply not found. */
export function objectId(id: string, what: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || String(new Types.ObjectId(id)) !== id) throw new NotFoundError(what)
  return new Types.ObjectId(id)
}

export function toCommunityView(c: Lean<Community>): CommunityView {
  return {
    id: String(c._id),
    code: c.code,
    name: c.name,
    street: c.street ?? '',
    district: c.district ?? '',
    city: c.city ?? '',
  }
}

export function toGridView(g: Lean<Grid>): GridView {
  return {
    id: String(g._id),
    code: g.code,
    name: g.name,
    communityId: String(g.communityId),
    buildings: [...(g.buildings ?? [])],
    primaryWorkerId: str(g.primaryWorkerId),
    partTimeWorkerIds: strs(g.partTimeWorkerIds),
    token: g.token,
    tokenRevoked: Boolean(g.tokenRevokedAt),
  }
}

export function toHouseholdView(h: Lean<Household>): HouseholdView {
  const address = { building: h.building, unit: h.unit ?? '', room: h.room }
  return {
    id: String(h._id),
    communityId: String(h.communityId),
    gridId: String(h.gridId),
    ...address,
    address: formatAddress(address),
    token: h.token,
    tokenRevoked: Boolean(h.tokenRevokedAt),
    partyMemberId: str(h.partyMemberId),
  }
}

function maskedOrUnreadable(
  crypto: FieldCrypto,
  sealed: string | null | undefined,
  mask: (s: string) => string,
) {
  if (!sealed) return undefined
  try {
    return mask(crypto.decrypt(sealed))
  } catch {
    return '（无法解密）'
  }
}

export function toResidentView(r: Lean<Resident>, crypto: FieldCrypto): ResidentView {
  return {
    id: String(r._id),
    name: r.name,
    householdId: str(r.householdId),
    communityId: str(r.communityId),
    gridId: str(r.gridId),
    roles: [...(r.roles as Role[])],
    tags: [...(r.tags ?? [])],
    phone: maskedOrUnreadable(crypto, r.phoneEnc, maskPhone),
    idNumber: maskedOrUnreadable(crypto, r.idNumberEnc, maskIdNumber),
    wechat: {
      contactId: r.wechat?.contactId ?? undefined,
      openid: r.wechat?.openid ?? undefined,
      nickname: r.wechat?.nickname ?? undefined,
    },
    token: r.token,
    staff: {
      gridIds: strs(r.staff?.gridIds),
      communityIds: strs(r.staff?.communityIds),
      departmentId: str(r.staff?.departmentId),
      onDuty: r.staff?.onDuty ?? true,
    },
    consentAt: r.consent?.at ?? undefined,
    ...(r.wecomUserId ? { wecomUserId: r.wecomUserId } : {}),
    erased: Boolean(r.erasedAt),
  }
}

export function toDepartmentView(d: Lean<Department>): DepartmentView {
  return {
    id: String(d._id),
    code: d.code,
    name: d.name,
    communityIds: strs(d.communityIds),
    categories: [...(d.categories ?? [])],
    contactIds: strs(d.contactIds),
    isDefault: Boolean(d.isDefault),
  }
}
