import type { Clock } from '../../lib/clock.js'
import { withLock } from '../../lib/storage/index.js'
import { type AskKind, ConversationAsksModel } from '../../models/conversation-ask.model.js'

export type { AskKind } from '../../models/conversation-ask.model.js'

/** Who a question was put to: a registry person, a WeChat contact, or everyone in a group. */
export type AskSubject = { type: 'person' | 'contact' | 'room'; id: string }

/** One open question of the bot. */
export interface Ask {
  kind: AskKind
  /** `dm` or `room:<roomId>`: the chat the answer is expected in. */
  chat: string
  caseNumber?: string
  noticeId?: string
  pollId?: string
  topicId?: string
  askedAt: Date
  expiresAt: Date
}

export interface AskInput {
  kind: AskKind
  /** Default: `dm` for a person or contact, the room itself for a room. */
  chat?: string
  caseNumber?: string
  noticeId?: string
  pollId?: string
  topicId?: string
  ttlMs: number
}

/** Which of a subject's questions an answer settles. */
export interface AskMatch {
  kind: AskKind
  caseNumber?: string
  noticeId?: string
  pollId?: string
  topicId?: string
}

export interface Asks {
  /** Records that the bot asked `subject` something (a newer question of the same kind and case replaces the older). */
  record(subject: AskSubject, ask: AskInput): Promise<void>
  /**
   * The open questions a message's sender may be answering in this chat, newest first: those put to
   * the person or the contact in this chat, and, in a group, those put to the whole group.
   */
  openFor(who: { personId?: string; contactId: string }, roomId?: string): Promise<Ask[]>
  /** Marks a question answered (or withdrawn). */
  settle(subject: AskSubject, match: AskMatch): Promise<void>
}

/** At most this many open questions are kept per subject (the oldest go first). */
const MAX_OPEN = 8

function keyOf(subject: AskSubject): string {
  return `${subject.type}:${subject.id}`
}

type AskRefs = {
  caseNumber?: string | null
  noticeId?: string | null
  pollId?: string | null
  topicId?: string | null
}

function sameQuestion(a: { kind: string } & AskRefs, b: AskMatch) {
  return (
    a.kind === b.kind &&
    (a.caseNumber ?? undefined) === b.caseNumber &&
    (a.noticeId ?? undefined) === b.noticeId &&
    (a.pollId ?? undefined) === b.pollId &&
    (a.topicId ?? undefined) === b.topicId
  )
}

function plain(a: { kind: AskKind; chat: string; askedAt: Date; expiresAt: Date } & AskRefs): Ask {
  return {
    kind: a.kind,
    chat: a.chat,
    ...(a.caseNumber ? { caseNumber: a.caseNumber } : {}),
    ...(a.noticeId ? { noticeId: a.noticeId } : {}),
    ...(a.pollId ? { pollId: a.pollId } : {}),
    ...(a.topicId ? { topicId: a.topicId } : {}),
    askedAt: a.askedAt,
    expiresAt: a.expiresAt,
  }
}

/**
 * The bot's open questions as data: written when the bot asks (a rating prompt, the 回访 follow-up,
 * a notice that wants 收到, a question for the place), read first when a message comes in. What a
 * reply means never depends on the wording of the bot's earlier sentences. One document per subject,
 * read by `_id`; writes to one subject are serialised by a lock (updates are not atomic everywhere).
 */
export function createAsks(deps: { clock: Clock }): Asks {
  const now = () => deps.clock.now()

  async function read(key: string): Promise<Ask[]> {
    const doc = await ConversationAsksModel.findById(key).lean()
    const t = now().getTime()
    return (doc?.asks ?? []).map(plain).filter((a) => a.expiresAt.getTime() > t)
  }

  async function rewrite(key: string, change: (open: Ask[]) => Ask[]): Promise<void> {
    await withLock(`asks:${key}`, async () => {
      const next = change(await read(key))
      if (next.length === 0) await ConversationAsksModel.deleteOne({ _id: key })
      else await ConversationAsksModel.updateOne({ _id: key }, { $set: { asks: next } }, { upsert: true })
    })
  }

  return {
    async record(subject, input) {
      const at = now()
      const ask: Ask = {
        kind: input.kind,
        chat: input.chat ?? (subject.type === 'room' ? `room:${subject.id}` : 'dm'),
        ...(input.caseNumber ? { caseNumber: input.caseNumber } : {}),
        ...(input.noticeId ? { noticeId: input.noticeId } : {}),
        ...(input.pollId ? { pollId: input.pollId } : {}),
        ...(input.topicId ? { topicId: input.topicId } : {}),
        askedAt: at,
        expiresAt: new Date(at.getTime() + input.ttlMs),
      }
      await rewrite(keyOf(subject), (open) =>
        [...open.filter((a) => !(sameQuestion(a, ask) && a.chat === ask.chat)), ask].slice(-MAX_OPEN),
      )
    },

    async openFor(who, roomId) {
      const chat = roomId ? `room:${roomId}` : 'dm'
      const keys = [
        ...(who.personId ? [keyOf({ type: 'person', id: who.personId })] : []),
        keyOf({ type: 'contact', id: who.contactId }),
        ...(roomId ? [keyOf({ type: 'room', id: roomId })] : []),
      ]
      const all = (await Promise.all(keys.map(read))).flat().filter((a) => a.chat === chat)
      return all.sort((a, b) => b.askedAt.getTime() - a.askedAt.getTime())
    },

    async settle(subject, match) {
      await rewrite(keyOf(subject), (open) => open.filter((a) => !sameQuestion(a, match)))
    },
  }
}
