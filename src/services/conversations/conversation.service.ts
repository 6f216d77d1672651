import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { batchedInserts } from '../../lib/storage/index.js'
import {
  type ChatMessageDoc,
  ChatMessageModel,
  MESSAGE_TYPES,
  type MessageStatus,
  type MessageType,
} from '../../models/chat-message.model.js'

/** The longest text stored for one message. */
export const MAX_TEXT = 20_000

/** The first `max` characters, never splitting a surrogate pair. */
function keepFirst(max: number): (text: string) => string {
  return (text) => {
    if (text.length <= max) return text
    const cut = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max
    return text.slice(0, cut)
  }
}

export const AttachmentInput = z.object({
  kind: z.enum(['image', 'voice', 'file']),
  path: z.string().min(1),
  name: z.string().optional(),
  mediaType: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  transcript: z.string().optional(),
})
export type AttachmentInput = z.infer<typeof AttachmentInput>

export const InboundInput = z.object({
  messageId: z.string().min(1),
  roomId: z.string().min(1).optional(),
  roomTopic: z.string().optional(),
  senderContactId: z.string().min(1),
  senderName: z.string().default(''),
  /** Kept to its first 20,000 characters: a flood is stored (and answered), not refused. */
  text: z.string().default('').transform(keepFirst(MAX_TEXT)),
  type: z.enum(MESSAGE_TYPES).default('text'),
  mentionsBot: z.boolean().default(false),
  mentionIds: z.array(z.string()).default([]),
  quoted: z
    .object({
      messageId: z.string().optional(),
      text: z.string().optional(),
      senderName: z.string().optional(),
    })
    .optional(),
  attachments: z.array(AttachmentInput).default([]),
  /** A location message's point, WGS-84 (the bot converts WeChat's GCJ-02). */
  location: z
    .object({
      lng: z.number().min(-180).max(180),
      lat: z.number().min(-90).max(90),
      name: z.string().max(200).optional(),
      address: z.string().max(500).optional(),
    })
    .optional(),
  /**
   * When the message was sent, as the puppet tells it (WeChat's own time, kept when the puppet
   * delivers the message again after a reconnect); the bot's clock when the puppet gives none.
   */
  receivedAt: z.date(),
})
export type InboundInput = z.input<typeof InboundInput>

/** Where a location message points: WGS-84 degrees and the place name WeChat gave. */
export interface ChatLocation {
  lng: number
  lat: number
  name?: string
  address?: string
}

/** A logged chat message as the bot and the simulator see it. */
export interface StoredMessage {
  id: string
  direction: 'in' | 'out'
  messageId: string
  chatKey: string
  roomId?: string
  roomTopic?: string
  senderContactId: string
  senderName: string
  toContactId?: string
  text: string
  type: MessageType
  mentionsBot: boolean
  mentionIds: string[]
  quoted?: { messageId?: string; text?: string; senderName?: string }
  attachments: AttachmentInput[]
  location?: ChatLocation
  status: MessageStatus
  receivedAt: Date
  processedAt?: Date
  outcome?: string
  replyKeys: string[]
}

export interface OutboundInput {
  messageId: string
  roomId?: string
  toContactId?: string
  botContactId: string
  botName: string
  text: string
  outboxKey?: string
  sentAt: Date
}

export interface Conversations {
  /** Stores an inbound message before anything else; `duplicate` when it was already stored. */
  storeInbound(input: InboundInput): Promise<{ message: StoredMessage; duplicate: boolean }>
  markProcessed(messageId: string, outcome: { outcome: string; replyKeys?: string[] }): Promise<void>
  markFailed(messageId: string, error: string): Promise<void>
  /** Inbound messages stored but never finished, received at least `olderThanMs` ago, oldest first. */
  listUnprocessed(olderThanMs: number): Promise<StoredMessage[]>
  /** Logs a message the bot sent (idempotent on its id). */
  logOutbound(input: OutboundInput): Promise<void>
  /** A chat's messages, both directions, oldest first. */
  transcript(chatKey: string, limit?: number): Promise<StoredMessage[]>
}

export interface ConversationOptions {
  clock: Clock
}

/** Messages stored together (a busy group, the bot's own replies) share one insert command. */
const insertMessage = batchedInserts(ChatMessageModel)

/** `room:<roomId>` for a group, `dm:<contactId>` for a direct chat with that contact. */
export function chatKeyOf(roomId: string | undefined, contactId: string): string {
  return roomId ? `room:${roomId}` : `dm:${contactId}`
}

/** Whitespace-collapsed, lower-cased text: what counts as "the same text". */
export function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase()
}

function contentHashOf(chatKey: string, sender: string, text: string): string {
  return createHash('sha256')
    .update(`${chatKey}\u0000${sender}\u0000${normaliseText(text)}`)
    .digest('hex')
}

/**
 * The unique keys that make a second delivery of one message a duplicate. A text message is the
 * same message when the same sender said the same text in the same chat at the same second of its
 * original time: a puppet that re-delivers after a reconnect, even under a new id, keeps WeChat's
 * time, while a person who says it again (a second 「菜单」, 「报名 1」 after 「取消报名 1」) says it
 * at a new one. Other messages are one by their puppet id alone.
 */
export function dedupeKeysOf(input: {
  messageId: string
  chatKey: string
  senderContactId: string
  type: MessageType
  text: string
  receivedAt: Date
}): { dedupeKey: string; dedupeKey2: string; contentHash?: string } {
  const idKeys = { dedupeKey: `id:${input.messageId}`, dedupeKey2: `id2:${input.messageId}` }
  if (input.type !== 'text' || normaliseText(input.text) === '') return idKeys
  const contentHash = contentHashOf(input.chatKey, input.senderContactId, input.text)
  const second = Math.floor(input.receivedAt.getTime() / 1000)
  return { ...idKeys, dedupeKey: `t:${contentHash}:${second}`, contentHash }
}

function toView(doc: ChatMessageDoc): StoredMessage {
  return {
    id: doc._id.toString(),
    direction: doc.direction,
    messageId: doc.messageId,
    chatKey: doc.chatKey,
    roomId: doc.roomId ?? undefined,
    roomTopic: doc.roomTopic ?? undefined,
    senderContactId: doc.senderContactId,
    senderName: doc.senderName,
    toContactId: doc.toContactId ?? undefined,
    text: doc.text,
    type: doc.type,
    mentionsBot: doc.mentionsBot,
    mentionIds: [...doc.mentionIds],
    quoted: doc.quoted?.text || doc.quoted?.messageId ? stripNulls(doc.quoted) : undefined,
    attachments: doc.attachments.map((a) => stripNulls(a) as AttachmentInput),
    location:
      typeof doc.location?.lng === 'number' && typeof doc.location?.lat === 'number'
        ? (stripNulls(doc.location) as ChatLocation)
        : undefined,
    status: doc.status,
    receivedAt: doc.receivedAt,
    processedAt: doc.processedAt ?? undefined,
    outcome: doc.outcome ?? undefined,
    replyKeys: [...doc.replyKeys],
  }
}

function stripNulls<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  const plain = JSON.parse(JSON.stringify(o)) as Record<string, unknown>
  for (const k of Object.keys(plain)) if (plain[k] === null) delete plain[k]
  return plain as { [K in keyof T]: Exclude<T[K], null> }
}

/**
 * The conversation log and per-contact conversation state. A message is stored under its puppet id,
 * and a text message also under a content key with its original time (see `dedupeKeysOf`); the
 * unique insert alone decides a re-delivery and a race, with no look-up before it.
 */
export function createConversations(options: ConversationOptions): Conversations {
  const clock = options.clock

  async function findExisting(messageId: string, dedupeKey: string): Promise<ChatMessageDoc | undefined> {
    const byId = await ChatMessageModel.findById(messageId).lean<ChatMessageDoc>()
    if (byId) return byId
    return (await ChatMessageModel.findOne({ dedupeKey }).lean<ChatMessageDoc>()) ?? undefined
  }

  return {
    async storeInbound(raw) {
      const input = InboundInput.parse(raw)
      const chatKey = chatKeyOf(input.roomId, input.senderContactId)
      const keys = dedupeKeysOf({ ...input, chatKey })
      try {
        const doc = new ChatMessageModel({
          ...input,
          _id: input.messageId,
          direction: 'in',
          chatKey,
          ...keys,
          status: 'received',
        }).toObject() as ChatMessageDoc
        await insertMessage(doc as unknown as Record<string, unknown>)
        return { message: toView(doc), duplicate: false }
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
        const existing = await findExisting(input.messageId, keys.dedupeKey)
        if (!existing) throw err
        return { message: toView(existing), duplicate: true }
      }
    },

    async markProcessed(messageId, outcome) {
      await ChatMessageModel.updateOne(
        { _id: messageId },
        {
          $set: {
            status: 'processed',
            processedAt: clock.now(),
            outcome: outcome.outcome,
            replyKeys: outcome.replyKeys ?? [],
          },
        },
      )
    },

    async markFailed(messageId, error) {
      await ChatMessageModel.updateOne(
        { _id: messageId },
        { $set: { status: 'failed', processedAt: clock.now(), error: error.slice(0, 500) } },
      )
    },

    async listUnprocessed(olderThanMs) {
      const before = new Date(clock.now().getTime() - olderThanMs)
      // One indexed equality a status (`processing`: left by versions before 0.2), never an `$in`,
      // which would read every message ever stored at each start on the embedded server.
      const found = await Promise.all(
        (['received', 'processing'] as const).map((status) =>
          ChatMessageModel.find({ status, direction: 'in', receivedAt: { $lte: before } })
            .sort({ receivedAt: 1, _id: 1 })
            .lean<ChatMessageDoc[]>(),
        ),
      )
      const docs = found
        .flat()
        .sort(
          (a, b) =>
            a.receivedAt.getTime() - b.receivedAt.getTime() ||
            (String(a._id) < String(b._id) ? -1 : String(a._id) > String(b._id) ? 1 : 0),
        )
      return docs.map(toView)
    },

    async logOutbound(input) {
      const chatKey = chatKeyOf(input.roomId, input.toContactId ?? input.botContactId)
      try {
        await insertMessage({
          _id: input.messageId,
          direction: 'out',
          messageId: input.messageId,
          dedupeKey: `out:${input.messageId}`,
          dedupeKey2: `out2:${input.messageId}`,
          chatKey,
          roomId: input.roomId,
          toContactId: input.toContactId,
          senderContactId: input.botContactId,
          senderName: input.botName,
          text: input.text,
          type: 'text',
          status: 'sent',
          receivedAt: input.sentAt,
          outboxKey: input.outboxKey,
        })
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
      }
    },

    async transcript(chatKey, limit = 200) {
      const docs = await ChatMessageModel.find({ chatKey })
        .sort({ receivedAt: -1, _id: -1 })
        .limit(limit)
        .lean<ChatMessageDoc[]>()
      return docs.reverse().map(toView)
    },
  }
}
