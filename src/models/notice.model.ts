import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const NOTICE_STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled'] as const
export type NoticeStatus = (typeof NOTICE_STATUSES)[number]

/**
 * A notice 通知 (broadcast: 停水, 停暖, 疫苗, 防汛) for a community, some grids and/or tagged
 * residents. Delivery state lives in the outbox (one message per room or person, keyed by the
 * notice); this document keeps what was asked and when it went out. Changed under `notice:<id>`.
 */
const noticeSchema = new Schema(
  {
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    /** A notice sent to many communities at once (街道、城市通知): the same id on each community's copy. */
    batchId: String,
    gridIds: { type: [Schema.Types.ObjectId], ref: 'Grid', default: [] },
    tags: { type: [String], default: [] },
    /** Where it goes: the bound groups in scope, and/or each resident in scope by direct chat. */
    toRooms: { type: Boolean, default: true },
    toPersons: { type: Boolean, default: false },
    title: { type: String, required: true },
    body: { type: String, required: true },
    requireAck: { type: Boolean, default: false },
    status: { type: String, enum: NOTICE_STATUSES, default: 'draft' },
    scheduledAt: Date,
    sentAt: Date,
    /** Set when a sender confirmed a large scope (the scheduled send does not ask again). */
    confirmedLarge: { type: Boolean, default: false },
    planned: { rooms: { type: Number, default: 0 }, persons: { type: Number, default: 0 } },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Resident' },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
noticeSchema.index({ status: 1, scheduledAt: 1 })
noticeSchema.index({ communityId: 1, createdAt: -1 })
noticeSchema.index({ requireAck: 1, status: 1, sentAt: 1 })
noticeSchema.index({ batchId: 1 }, { sparse: true })
export const NoticeModel = model('Notice', noticeSchema, 'notices')
export type NoticeDoc = InferSchemaType<typeof noticeSchema> & { _id: Types.ObjectId }

/** A resident's "收到" (reply 1) to a notice; once per person and notice. */
const noticeAckSchema = new Schema(
  {
    noticeId: { type: Schema.Types.ObjectId, ref: 'Notice', required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    at: { type: Date, required: true },
    via: { type: String, default: 'chat' },
  },
  { versionKey: false },
)
noticeAckSchema.index({ noticeId: 1, personId: 1 }, { unique: true })
export const NoticeAckModel = model('NoticeAck', noticeAckSchema, 'notice_acks')

/**
 * A proxy's 收到 for a whole household (代办确认): once per household and notice, whoever of its
 * proxies gives it; `actedById` is the proxy who acted.
 */
const noticeHouseholdAckSchema = new Schema(
  {
    noticeId: { type: Schema.Types.ObjectId, ref: 'Notice', required: true },
    /** The household acknowledged for (代办): the unique key with the notice. */
    householdId: { type: Schema.Types.ObjectId, ref: 'Household', required: true },
    actedById: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    at: { type: Date, required: true },
    via: { type: String, default: 'chat' },
  },
  { versionKey: false },
)
noticeHouseholdAckSchema.index({ noticeId: 1, householdId: 1 }, { unique: true })
export const NoticeHouseholdAckModel = model(
  'NoticeHouseholdAck',
  noticeHouseholdAckSchema,
  'notice_household_acks',
)
