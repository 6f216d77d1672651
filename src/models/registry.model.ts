import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { registryVersioned } from './registry-version.model.js'
import { maintainStaffKeys } from './staff-keys.js'

// The community registry: community → grid → building → household → resident (一格一码、一户一码、一人一码).
// Everyone Linli knows is a Resident document; staff are residents with staff roles.

const communitySchema = new Schema(
  {
    code: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    street: { type: String, default: '' }, // 街道
    district: { type: String, default: '' }, // 旗区
    city: { type: String, default: '' },
  },
  { timestamps: true },
)
// Cached registry views are tagged with the registry version (see registry-version.model.ts).
registryVersioned(communitySchema)
export const CommunityModel = model('Community', communitySchema, 'communities')
export type Community = InferSchemaType<typeof communitySchema> & { _id: Types.ObjectId }

/** One building's point (WGS-84 degrees). */
const buildingPlaceSchema = new Schema(
  { building: { type: String, required: true }, lng: Number, lat: Number },
  { _id: false },
)

const gridSchema = new Schema(
  {
    code: { type: String, required: true, unique: true }, // e.g. KC-07
    name: { type: String, required: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true, index: true },
    buildings: { type: [String], default: [] },
    primaryWorkerId: { type: Schema.Types.ObjectId, ref: 'Resident', index: true },
    partTimeWorkerIds: { type: [Schema.Types.ObjectId], ref: 'Resident', default: [] },
    /**
     * The grid's outline: `{ lng, lat }` corners, WGS-84 (GCJ-02 input is converted on the way in);
     * a GeoJSON Polygon is also read, but FerretDB cannot store its nested arrays. No geo index:
     * lookups go through the in-memory place index (services/registry/registry.places.ts).
     */
    boundary: { type: Schema.Types.Mixed },
    /** Where each of the grid's buildings stands: one point per building, WGS-84 degrees. */
    buildingPlaces: { type: [buildingPlaceSchema], default: [] },
    /** The datum of `boundary` and `buildingPlaces`: always WGS-84 as stored. */
    datum: { type: String, enum: ['WGS-84'], default: 'WGS-84' },
    token: { type: String, required: true, unique: true },
    tokenRevokedAt: Date,
  },
  { timestamps: true },
)
gridSchema.index({ communityId: 1, buildings: 1 })
// Cached registry views are tagged with the registry version (see registry-version.model.ts).
registryVersioned(gridSchema)
export const GridModel = model('Grid', gridSchema, 'grids')
export type Grid = InferSchemaType<typeof gridSchema> & { _id: Types.ObjectId }

const householdSchema = new Schema(
  {
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid', required: true, index: true },
    building: { type: String, required: true }, // 楼栋, normalised: "10"
    unit: { type: String, default: '' }, // 单元: "1"
    room: { type: String, required: true }, // 房号: "301"
    token: { type: String, required: true, unique: true },
    tokenRevokedAt: Date,
    partyMemberId: { type: Schema.Types.ObjectId, ref: 'Resident', index: true }, // 党员联系户
  },
  { timestamps: true },
)
householdSchema.index({ communityId: 1, building: 1, unit: 1, room: 1 }, { unique: true })
householdSchema.index({ gridId: 1, building: 1 })
export const HouseholdModel = model('Household', householdSchema, 'households')
export type Household = InferSchemaType<typeof householdSchema> & { _id: Types.ObjectId }

export const ROLES = [
  'resident',
  'grid_worker',
  'community_staff',
  'department_staff',
  'admin',
  'party_member',
  'street_staff',
  /** 受理窗口: takes the cases whose place is unknown or whose community has nobody on duty. */
  'intake_desk',
  /** A local merchant's staff (商户核销员): verifies pickup codes of that merchant's shop items only. */
  'merchant',
] as const
export type Role = (typeof ROLES)[number]

const residentSchema = new Schema(
  {
    name: { type: String, required: true },
    householdId: { type: Schema.Types.ObjectId, ref: 'Household', index: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', index: true },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid', index: true },
    roles: { type: [String], enum: ROLES, default: ['resident'] },
    tags: { type: [String], default: [] }, // 独居老人, 残疾人, 低保 …
    /** AES-256-GCM ciphertexts and keyed hashes for exact lookup; never the plain numbers. */
    phoneEnc: String,
    phoneHash: { type: String, index: true },
    idNumberEnc: String,
    idNumberHash: { type: String, index: true },
    wechat: {
      contactId: { type: String, index: true }, // Wechaty contact id (group and direct chats)
      openid: { type: String, index: true }, // mini-program
      nickname: String,
    },
    /** The person's WeCom (企业微信) userid, for staff reached through the self-built app. */
    wecomUserId: { type: String, index: true },
    /** The resident's external_userid at the community's 微信客服 account (wecom_kf channel). */
    wecomExternalUserId: { type: String, index: true },
    consent: { at: Date, version: String },
    token: { type: String, required: true, unique: true }, // 一人一码
    /**
     * Staff scope: which grids, community or department a staff role acts for. An intake desk member
     * serves the communities listed (a street's desk) or, with none, the whole city.
     */
    staff: {
      gridIds: { type: [Schema.Types.ObjectId], default: [] },
      communityIds: { type: [Schema.Types.ObjectId], default: [] },
      departmentId: { type: Schema.Types.ObjectId, ref: 'Department' },
      /** A merchant login's merchant: the shop items offered under this name in its community. */
      merchantName: String,
      onDuty: { type: Boolean, default: true },
    },
    erasedAt: Date,
    /**
     * Maintained from `roles`, `staff` and `erasedAt` (see staff-keys.ts): `grid_worker@grid:<id>`,
     * `community_staff@community:<id>`, `department_staff@dept:<id>`, `<role>`. Staff lists read one
     * equality on it.
     */
    staffKeys: { type: [String], default: [] },
    /** What the resident asked for: `reminders: false` opts out of event reminders (notices still go). */
    preferences: {
      reminders: { type: Boolean, default: true },
      /** True: left out of the grid's points leaderboard (积分排行). */
      leaderboardOptOut: { type: Boolean, default: false },
    },
  },
  { timestamps: true },
)
residentSchema.index({ roles: 1, communityId: 1 })
residentSchema.index({ 'staff.gridIds': 1 })
residentSchema.index({ staffKeys: 1 })
// Before registryVersioned: the keys are rewritten before the version tells readers of the change.
maintainStaffKeys(residentSchema)
// Cached views of people are staff views (roles, scope, on duty, name): a new plain resident or a
// change of other fields (home, contact, preferences) leaves them as they are, so it bumps nothing —
// a city-sized import does not bump once per row. A chat message reads its sender afresh anyway.
const STAFF_VIEW_FIELDS = ['roles', 'staff', 'erasedAt', 'name']
registryVersioned(residentSchema, {
  quietInsert: (d) => {
    const roles = (d.roles as string[] | undefined) ?? []
    return roles.every((r) => r === 'resident')
  },
  quietUpdate: (paths) =>
    paths.every((p) => p !== '*' && !STAFF_VIEW_FIELDS.includes(p.split('.')[0] as string)),
})
export const ResidentModel = model('Resident', residentSchema, 'residents')
export type Resident = InferSchemaType<typeof residentSchema> & { _id: Types.ObjectId }

const departmentSchema = new Schema(
  {
    code: { type: String, required: true, unique: true }, // e.g. heating-co
    name: { type: String, required: true }, // 供热公司
    /** Empty: serves every community (a city department). */
    communityIds: { type: [Schema.Types.ObjectId], default: [] },
    categories: { type: [String], default: [], index: true },
    contactIds: { type: [Schema.Types.ObjectId], ref: 'Resident', default: [] },
    isDefault: { type: Boolean, default: false },
  },
  { timestamps: true },
)
// Cached registry views are tagged with the registry version (see registry-version.model.ts).
registryVersioned(departmentSchema)
export const DepartmentModel = model('Department', departmentSchema, 'departments')
export type Department = InferSchemaType<typeof departmentSchema> & { _id: Types.ObjectId }
