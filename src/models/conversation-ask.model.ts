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

/** The fields of one question, in either layout. */
const askFields = {
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
}

const askSchema = new Schema(askFields, { _id: false })

/**
 * Before `chat_asks`: what the bot asked one subject, all questions in one document; `_id` is the
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

/**
 * One open question of the bot, recorded when it asks: `_id` names the question (subject, kind, what
 * it is about, the chat), so asking it again replaces it with one write by `_id` — no lock, no read,
 * two writers never share a document. A subject's questions are read by the top-level `subject`
 * (`person:<id>`, `contact:<contactId>` or `room:<roomId>`). Expired ones are deleted by a job.
 */
const chatAskSchema = new Schema(
  {
    _id: { type: String, required: true },
    subject: { type: String, required: true, index: true },
    ...askFields,
  },
  { versionKey: false },
)
export const ChatAskModel = model('ChatAsk', chatAskSchema, 'chat_asks')
