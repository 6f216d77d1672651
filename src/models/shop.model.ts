import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { POINTS_KINDS } from './points.model.js'

/**
 * Something residents buy with points (积分商城): offered by the community or a local merchant, with a
 * stock (how many in all) and a limit per household. Remaining stock is `stock` minus the taken
 * stock slots (redemption_slots), never a counter.
 */
const shopItemSchema = new Schema(
  {
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    title: { type: String, required: true },
    description: { type: String, default: '' },
    cost: { type: Number, required: true },
    kind: { type: String, enum: POINTS_KINDS, default: 'activity' },
    stock: { type: Number, required: true },
    perHouseholdLimit: { type: Number, required: true, default: 1 },
    offeredBy: {
      type: { type: String, enum: ['community', 'merchant'], default: 'community' },
      name: { type: String, default: '' },
      contact: { type: String, default: '' },
    },
    active: { type: Boolean, default: true },
    createdById: { type: Schema.Types.ObjectId, ref: 'Resident' },
  },
  { timestamps: true },
)
shopItemSchema.index({ communityId: 1, active: 1 })
export const ShopItemModel = model('ShopItem', shopItemSchema, 'shop_items')
export type ShopItem = InferSchemaType<typeof shopItemSchema> & { _id: Types.ObjectId }

export const REDEMPTION_STATUSES = ['pending', 'open', 'picked_up', 'cancelled', 'expired'] as const
export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number]

/**
 * One redemption: `pending` while its slots and debit are taken, `open` with a pickup code, then
 * `picked_up`, or `cancelled`/`expired` with the points refunded by a reversal entry.
 */
const redemptionSchema = new Schema(
  {
    itemId: { type: Schema.Types.ObjectId, ref: 'ShopItem', required: true, index: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    /** The household the limit counts against (`p:<personId>` for someone without one). */
    householdKey: { type: String, required: true },
    title: { type: String, required: true },
    cost: { type: Number, required: true },
    kind: { type: String, enum: POINTS_KINDS, required: true },
    /** `<personId>:<Idempotency-Key>`: one redemption per key, ever. */
    idemKey: { type: String, required: true, unique: true },
    channel: { type: String, enum: ['api', 'wechat'], required: true },
    status: { type: String, enum: REDEMPTION_STATUSES, required: true },
    /** The slots this redemption holds (ids in redemption_slots), released when it is cancelled. */
    slots: { type: [String], default: [] },
    /** Six digits; unique among open redemptions (a `code:<code>` slot). */
    code: String,
    expiresAt: Date,
    pickedUpAt: Date,
    verifiedById: { type: Schema.Types.ObjectId, ref: 'Resident' },
    closedAt: Date,
    closedById: { type: Schema.Types.ObjectId, ref: 'Resident' },
    closeReason: String,
  },
  { timestamps: true },
)
redemptionSchema.index({ personId: 1, createdAt: -1 })
redemptionSchema.index({ communityId: 1, createdAt: -1 })
redemptionSchema.index({ code: 1, status: 1 })
redemptionSchema.index({ status: 1, expiresAt: 1 })
export const RedemptionModel = model('Redemption', redemptionSchema, 'redemptions')
export type Redemption = InferSchemaType<typeof redemptionSchema> & { _id: Types.ObjectId }

/**
 * Slots decided by unique `_id` inserts (FerretDB has no atomic conditional update): `stock:<item>:<n>`
 * (the n-th unit of stock), `hh:<item>:<household>:<k>` (the household's k-th), `code:<code>` (a
 * pickup code in use), `close:<redemption>` (the one pickup, cancel or expiry of a redemption).
 */
const redemptionSlotSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, enum: ['stock', 'hh', 'code', 'close'], required: true },
    itemId: { type: Schema.Types.ObjectId },
    redemptionId: { type: Schema.Types.ObjectId },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
redemptionSlotSchema.index({ itemId: 1, type: 1 })
export const RedemptionSlotModel = model('RedemptionSlot', redemptionSlotSchema, 'redemption_slots')

/** The shop list the bot last showed a person in chat (「积分」): 「兑换 3」 means item 3 of it. */
const shopMenuSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    itemIds: { type: [Schema.Types.ObjectId], default: [] },
    messageId: String,
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
export const ShopMenuModel = model('ShopMenu', shopMenuSchema, 'shop_menus')
