import { type InferSchemaType, model, Schema, Types } from 'mongoose'

export const MESSAGE_TYPES = ['text', 'image', 'voice', 'file', 'location', 'other'] as const
export type MessageType = (typeof MESSAGE_TYPES)[number]

export const MESSAGE_STATUSES = ['received', 'processing', 'processed', 'failed', 'sent'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

const attachmentSchema = new Schema(
  {
    kind: { type: String, enum: ['image', 'voice', 'file'], required: true },
    path: { type: String, required: true },
    name: String,
    mediaType: String,
    size: Number,
    transcript: String,
  },
  { _id: false },
)

/**
 * The conversation log: every inbound and outbound chat message. Inbound messages are stored before
 * anything else. The `_id` is the puppet's message id (so the hot reads and updates are by `_id`, the
 * one filter every backend answers from an index), and `dedupeKey` (chat+sender+text+original second
 * for inbound text) is unique, so a re-delivered message is stored once and processed once, decided
 * by the insert alone, while a person's deliberate repeat (a new original time) is stored again.
 */
const chatMessageSchema = new Schema(
  {
    _id: { type: String, default: () => new Types.ObjectId().toString() },
    direction: { type: String, enum: ['in', 'out'], required: true },
    messageId: { type: String, required: true, unique: true },
    /**
     * Second unique key: `t:<content hash>:<original second>` for inbound text, `id:<messageId>`
     * otherwise (`c:`/`c2:` time buckets in messages stored by earlier versions).
     */
    dedupeKey: { type: String, required: true, unique: true },
    /** `id2:<messageId>` (unique; a content key in a shifted time bucket in earlier versions). */
    dedupeKey2: { type: String, required: true, unique: true },
    /** Content hash (chat, sender, normalised text) without the time. */
    contentHash: String,
    /** `room:<roomId>` or `dm:<contactId>`: the chat a transcript is read from. */
    chatKey: { type: String, required: true },
    roomId: String,
    roomTopic: String,
    senderContactId: { type: String, required: true },
    senderName: { type: String, default: '' },
    /** Outbound direct messages: who it went to. */
    toContactId: String,
    text: { type: String, default: '' },
    type: { type: String, enum: MESSAGE_TYPES, default: 'text' },
    mentionsBot: { type: Boolean, default: false },
    mentionIds: { type: [String], default: [] },
    quoted: { messageId: String, text: String, senderName: String },
    attachments: { type: [attachmentSchema], default: [] },
    /** A location message's point, converted to WGS-84 (WeChat sends GCJ-02), with its place name. */
    location: { lng: Number, lat: Number, name: String, address: String },
    status: { type: String, enum: MESSAGE_STATUSES, default: 'received' },
    receivedAt: { type: Date, required: true },
    processedAt: Date,
    outcome: String,
    error: String,
    replyKeys: { type: [String], default: [] },
    outboxKey: String,
  },
  { timestamps: true },
)
chatMessageSchema.index({ status: 1, receivedAt: 1 })
chatMessageSchema.index({ chatKey: 1, receivedAt: 1 })
export const ChatMessageModel = model('ChatMessage', chatMessageSchema, 'chat_messages')
export type ChatMessageDoc = InferSchemaType<typeof chatMessageSchema> & { _id: string }

/**
 * Things the bot does once (the "not bound yet" note per room, the budget warning per day): the
 * unique `_id` insert decides, so two processes never both do it.
 */
const onceMarkerSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
)
export const OnceMarkerModel = model('OnceMarker', onceMarkerSchema, 'bot_once_markers')
