import type { ChatInput, ChatMessageType } from '../handlers/chat-input.js'
import { gcj02ToWgs84 } from '../lib/geo.js'
import type { ChatLocation, StoredMessage } from '../services/conversations/conversation.service.js'

/** Wechaty's message type numbers (wechaty-puppet `types.Message`) as the conversation log names them. */
export function messageTypeOf(puppetType: number): ChatMessageType {
  switch (puppetType) {
    case 7:
      return 'text'
    case 6:
      return 'image'
    case 2:
      return 'voice'
    case 1:
      return 'file'
    case 8:
      return 'location'
    default:
      return 'other'
  }
}

const QUOTE_FIRST = /^「([^：:」]{1,40})[：:]([\s\S]*?)」\s*\n[-\s]{5,}\n([\s\S]*)$/
const QUOTE_LAST = /^([\s\S]*?)\n[-\s]{5,}\n「([^：:」]{1,40})[：:]([\s\S]*?)」\s*$/

/**
 * WeChat puts a quoted message into the text as `「name：quoted」\n- - - -\nreply` (or the reply
 * first, depending on the client); Wechaty has no quote API, so the text is parsed.
 */
export function parseQuote(text: string): { text: string; quoted?: { senderName: string; text: string } } {
  const first = QUOTE_FIRST.exec(text)
  if (first)
    return { text: (first[3] ?? '').trim(), quoted: { senderName: first[1] ?? '', text: first[2] ?? '' } }
  const last = QUOTE_LAST.exec(text)
  if (last)
    return { text: (last[1] ?? '').trim(), quoted: { senderName: last[2] ?? '', text: last[3] ?? '' } }
  return { text }
}

/** A WeChat location payload (GCJ-02, as WeChat sends it) as the conversation log keeps it (WGS-84). */
export function locationOf(payload: {
  longitude: number
  latitude: number
  name?: string
  address?: string
}): ChatLocation | undefined {
  const { longitude, latitude } = payload
  if (!Number.isFinite(longitude) || !Number.isFinite(latitude)) return undefined
  if (Math.abs(longitude) > 180 || Math.abs(latitude) > 90) return undefined
  const p = gcj02ToWgs84({ lng: longitude, lat: latitude })
  return {
    ...p,
    name: payload.name?.slice(0, 200) || undefined,
    address: payload.address?.slice(0, 500) || undefined,
  }
}

/** The handlers' view of a stored inbound message (also used to replay after a crash). */
export function toChatInput(m: StoredMessage, botName: string): ChatInput {
  return {
    messageId: m.messageId,
    room: m.roomId ? { id: m.roomId, topic: m.roomTopic ?? '' } : undefined,
    sender: { contactId: m.senderContactId, name: m.senderName },
    text: m.text,
    mentionsBot: m.mentionsBot,
    mentionIds: m.mentionIds,
    quoted: m.quoted
      ? { messageId: m.quoted.messageId, text: m.quoted.text, fromBot: m.quoted.senderName === botName }
      : undefined,
    type: m.type,
    attachments: m.attachments,
    location: m.location,
    receivedAt: m.receivedAt,
  }
}
