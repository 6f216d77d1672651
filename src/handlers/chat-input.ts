import type { AttachmentInput, ChatLocation } from '../services/conversations/conversation.service.js'

export type ChatMessageType = 'text' | 'image' | 'voice' | 'file' | 'location' | 'other'

/** One inbound chat message as the handlers see it: no Wechaty types. */
export interface ChatInput {
  /** The puppet's message id; reply keys derive from it so a replay never sends twice. */
  messageId: string
  /** Absent in a direct chat. */
  room?: { id: string; topic: string }
  sender: { contactId: string; name: string }
  /** The text as received (mentions included); a voice message's transcript when there is one. */
  text: string
  mentionsBot: boolean
  mentionIds: string[]
  /** The message this one quotes; `fromBot` when the quoted message was the bot's. */
  quoted?: { messageId?: string; text?: string; fromBot?: boolean }
  type: ChatMessageType
  attachments: AttachmentInput[]
  /** A location message's point (WGS-84). */
  location?: ChatLocation
  receivedAt: Date
}

/** A reply the handler queued: into the chat it came from, or privately to the sender. */
export interface ChatReply {
  key: string
  to: { type: 'room' | 'contact'; id: string }
  text: string
}

/** What handling one message did. */
export interface ChatOutcome {
  /** e.g. `report`, `policy`, `menu`, `ignored:chit-chat`, `error`. */
  outcome: string
  replies: ChatReply[]
}
