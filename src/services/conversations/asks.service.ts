import type { Clock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { bumpTopic, topicCache } from '../../models/cache-version.model.js'
import { type AskKind, ChatAskModel, ConversationAsksModel } from '../../models/conversation-ask.model.js'

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
  /** Records many questions at once (a notice's 收到 to each of its groups): one bulk write. */
  recordMany(items: ReadonlyArray<{ subject: AskSubject; ask: AskInput }>): Promise<void>
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

/** The refs of a question as stored: each a string, `''` for none (so settling is equalities only). */
function storedRefs(a: AskRefs) {
  return {
    caseNumber: a.caseNumber ?? '',
    noticeId: a.noticeId ?? '',
    pollId: a.pollId ?? '',
    topicId: a.topicId ?? '',
  }
}

/** The `_id` of a question: its subject, kind, chat and refs (the same question asked again replaces it). */
function askId(subject: string, a: Ask): string {
  const r = storedRefs(a)
  return [subject, a.kind, a.chat, r.caseNumber, r.noticeId, r.pollId, r.topicId].join('|')
}

/** Writes one question (replacing the same question asked before): one write by `_id`. */
async function writeAsk(doc: ReturnType<typeof askDoc>): Promise<void> {
  const _id = doc._id
  try {
    await ChatAskModel.replaceOne({ _id }, doc, { upsert: true }).exec()
  } catch (err) {
    // The same question asked twice at once: the other upsert created it (FerretDB does not retry an
    // upsert that hits the unique _id). Replace the one that exists now.
    if (!isDuplicateKeyError(err)) throw err
    await ChatAskModel.replaceOne({ _id }, doc).exec()
  }
}

const ROOM_PREFIX = 'room:'

type StoredAsk = Awaited<ReturnType<typeof readStored>>[number]

function readStored(key: string) {
  return ChatAskModel.find({ subject: key }).lean().exec()
}

/** Groups' stored questions (expired ones included: filtered as they are read), shared: never changed. */
const roomAsks = topicCache<StoredAsk[]>('asks', 5_000)

/** After a write of any group's question: the groups' questions kept in every process are read again. */
async function roomTouched(keys: readonly string[]): Promise<void> {
  if (keys.some((k) => k.startsWith(ROOM_PREFIX))) await bumpTopic('asks')
}

/** The stored document of a question. */
function askDoc(subject: string, ask: Ask) {
  return { _id: askId(subject, ask), subject, ...ask, ...storedRefs(ask) }
}

/**
 * The bot's open questions as data: written when the bot asks (a rating prompt, the 回访 follow-up,
 * a notice that wants 收到, a question for the place), read first when a message comes in. What a
 * reply means never depends on the wording of the bot's earlier sentences. One document per question
 * (see `chat_asks`): recording is one write by `_id`, reading a subject's questions one equality on
 * `subject`; nothing is read-modified-written, so no lock is needed on any server.
 *
 * A group's questions (a notice's 收到, a poll) are few and change rarely, yet every message in the
 * group looks for them: they are kept in the process under the `asks` version, which every write of
 * a group's question changes (see `roomTouched`), so a group message costs no read for them.
 */
export function createAsks(deps: { clock: Clock }): Asks {
  const now = () => deps.clock.now()

  /** A subject's open questions, newest first, at most MAX_OPEN of them. */
  async function read(key: string): Promise<Ask[]> {
    const docs = key.startsWith(ROOM_PREFIX)
      ? await roomAsks.get(key, () => readStored(key))
      : await readStored(key)
    const t = now().getTime()
    return docs
      .map((d) => plain({ ...d, kind: d.kind as AskKind }))
      .filter((a) => a.expiresAt.getTime() > t)
      .sort((a, b) => b.askedAt.getTime() - a.askedAt.getTime())
      .slice(0, MAX_OPEN)
  }

  function askOf(subject: AskSubject, input: AskInput, at: Date): Ask {
    return {
      kind: input.kind,
      chat: input.chat ?? (subject.type === 'room' ? `room:${subject.id}` : 'dm'),
      ...(input.caseNumber ? { caseNumber: input.caseNumber } : {}),
      ...(input.noticeId ? { noticeId: input.noticeId } : {}),
      ...(input.pollId ? { pollId: input.pollId } : {}),
      ...(input.topicId ? { topicId: input.topicId } : {}),
      askedAt: at,
      expiresAt: new Date(at.getTime() + input.ttlMs),
    }
  }

  return {
    async record(subject, input) {
      const key = keyOf(subject)
      await writeAsk(askDoc(key, askOf(subject, input, now())))
      await roomTouched([key])
    },

    async recordMany(items) {
      if (items.length === 0) return
      const at = now()
      const docs = items.map(({ subject, ask }) => askDoc(keyOf(subject), askOf(subject, ask, at)))
      // One command for all. A server may leave some statements out without reporting them (FerretDB
      // 1.24 stops an unordered batch at a refused statement, e.g. an upsert that met the same question
      // created meanwhile): unless every statement is accounted for, each is written again on its own.
      const all = await ChatAskModel.bulkWrite(
        docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
        { ordered: false },
      ).then(
        (r) => r.matchedCount + r.upsertedCount === docs.length,
        (err: unknown) => {
          const e = err as { writeErrors?: Array<{ code?: number }> }
          if (!e.writeErrors?.length || !e.writeErrors.every((w) => w.code === 11000)) throw err
          return false
        },
      )
      if (!all) for (const doc of docs) await writeAsk(doc)
      await roomTouched(docs.map((d) => d.subject))
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
      const key = keyOf(subject)
      await ChatAskModel.deleteMany({ subject: key, kind: match.kind, ...storedRefs(match) }).exec()
      await roomTouched([key])
    },
  }
}

/**
 * Housekeeping of the questions: those of the one-document-per-subject layout (`conversation_asks`)
 * still open are moved to `chat_asks`, and expired questions are deleted. A periodic job, not a
 * per-message path. Returns how many were moved and deleted.
 */
export async function tidyAsks(now: Date): Promise<{ moved: number; deleted: number }> {
  let moved = 0
  for await (const legacy of ConversationAsksModel.find({}).lean().cursor()) {
    for (const a of legacy.asks) {
      if (a.expiresAt.getTime() <= now.getTime()) continue
      await writeAsk(askDoc(legacy._id, plain({ ...a, kind: a.kind as AskKind })))
      moved++
    }
    await roomTouched([legacy._id])
    await ConversationAsksModel.deleteOne({ _id: legacy._id }).exec()
  }
  const res = await ChatAskModel.deleteMany({ expiresAt: { $lte: now } }).exec()
  return { moved, deleted: res.deletedCount }
}
