import { type InferSchemaType, model, Schema } from 'mongoose'

export const WECOM_MESSAGE_STATES = ['received', 'processing', 'handled', 'ignored', 'failed'] as const

/**
 * An inbound WeCom app message, stored before it is handled. `_id` is `wecom:<MsgId>` (events, which
 * have no MsgId, use `wecom-event:<FromUserName>:<CreateTime>:<Event>`), so a callback WeCom retries
 * is stored once and handled once, decided by the insert alone.
 */
const wecomMessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    fromUserId: { type: String, required: true },
    msgType: { type: String, required: true },
    text: String,
    agentId: Number,
    createTime: Date,
    receivedAt: { type: Date, required: true },
    state: { type: String, enum: WECOM_MESSAGE_STATES, required: true, default: 'received' },
    outcome: String,
    replies: {
      type: [
        new Schema(
          { key: String, text: String, sentAt: Date, providerMessageId: String, error: String },
          { _id: false },
        ),
      ],
      default: [],
    },
    error: String,
  },
  { collection: 'wecom_messages', versionKey: false },
)
wecomMessageSchema.index({ state: 1 })

export type WeComMessageDoc = InferSchemaType<typeof wecomMessageSchema>
export const WeComMessageModel = model('WeComMessage', wecomMessageSchema)
