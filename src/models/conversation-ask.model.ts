import { type InferSchemaType, model, Schema } from 'mongoose'

/** The kinds of question the bot waits for an answer to. */
export const ASK_KINDS = [
  'rating',
  'ack',
  'location',
  'report',
  'policy',
  'follow_up',
  'poll',
  'opinion',
] as const
export type AskKind = (typeof ASK_KINDS)[number]

const askSchema = new Schema(
  {
    kind: { type: String, enum: ASK_KINDS, required: true },
    /** Where the answer is expected: `dm` (a direct chat with the subject) or `room:<roomId>`. */
    chat: { type: String, required: true },
    caseNumber: String,
    noticeId: String,
    /** A poll announced or shown here (「投票 2」), or a 议事 topic (「意见 …」). */
    pollId: String,
    topicId: String,
    askedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { _id: false },
)

/**
 * What the bot has asked one subject and still waits for, recorded when it asks: `_id` is the
 * subject (`person:<id>`, `contact:<contactId>` or `room:<roomId>`), so the open questions of the
 * sender of a message are read by `_id`.
 */
const conversationAsksSchema = new Schema(
  {
    _id: { type: String, required: true },
    asks: { type: [askSchema], default: [] },
  },
  { timestamps: true, versionKey: false },
)
export const ConversationAsksModel = model('ConversationAsks', conversationAsksSchema, 'conversation_asks')
export type ConversationAsksDoc = InferSchemaType<typeof conversationAsksSchema> & { _id: string }
