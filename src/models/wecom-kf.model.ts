import { type InferSchemaType, model, Schema } from 'mongoose'

export const KF_MESSAGE_STATES = ['received', 'processing', 'handled', 'failed'] as const

/**
 * A message a resident sent to the community's 微信客服 account, read with kf/sync_msg and stored
 * before it is handled. `_id` is `kf:<msgid>`, so a message read twice is stored and handled once.
 * Its `sendTime` opens the resident's reply window (5 messages within 48 hours, see kf-window.ts).
 */
const kfMessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    openKfId: { type: String, required: true },
    externalUserId: { type: String, required: true },
    msgType: { type: String, required: true },
    text: String,
    sendTime: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    state: { type: String, enum: KF_MESSAGE_STATES, required: true, default: 'received' },
    outcome: String,
    replies: {
      type: [
        new Schema({ key: String, text: String, sentAt: Date, providerMessageId: String }, { _id: false }),
      ],
      default: [],
    },
    error: String,
  },
  { collection: 'wecom_kf_messages', versionKey: false },
)
kfMessageSchema.index({ openKfId: 1, externalUserId: 1, sendTime: -1, receivedAt: -1 })
kfMessageSchema.index({ state: 1 })
export type KfMessageDoc = InferSchemaType<typeof kfMessageSchema>
export const KfMessageModel = model('WeComKfMessage', kfMessageSchema)

/**
 * One of the 5 sends a reply window allows: `_id` is `<windowId>:<n>` (n = 1..5), so two sends racing
 * for the same slot are decided by the insert. `windowId` is the id of the inbound message that opened
 * the window; `key` is the outbox key the slot was spent on (a retry of that key reuses it).
 */
const kfSlotSchema = new Schema(
  {
    _id: { type: String, required: true },
    windowId: { type: String, required: true },
    slot: { type: Number, required: true, min: 1, max: 5 },
    key: { type: String, required: true },
    openKfId: { type: String, required: true },
    externalUserId: { type: String, required: true },
    takenAt: { type: Date, required: true },
    providerMessageId: String,
  },
  { collection: 'wecom_kf_slots', versionKey: false },
)
kfSlotSchema.index({ windowId: 1, key: 1 })
export const KfSlotModel = model('WeComKfSlot', kfSlotSchema)

/** The kf/sync_msg cursor per 客服账号, saved after each page so nothing is read twice after a restart. */
const kfCursorSchema = new Schema(
  {
    _id: { type: String, required: true }, // open_kfid
    cursor: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'wecom_kf_cursors', versionKey: false },
)
export const KfCursorModel = model('WeComKfCursor', kfCursorSchema)
