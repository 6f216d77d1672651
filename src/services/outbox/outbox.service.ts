import mongoose, { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { stripNulDeep } from '../../lib/nul.js'
import { batchedInserts } from '../../lib/storage/index.js'
import { ASK_KINDS } from '../../models/conversation-ask.model.js'
import { LEGACY_PENDING_COLLECTIONS, OUTBOX_LANES, OutboxModel } from '../../models/outbox.model.js'
import { MESSAGE_PURPOSES } from '../channels/channel.js'
import { purposeOf } from '../channels/purposes.js'
import type { Asks } from '../conversations/asks.service.js'
import { MAIN_ACCOUNT } from './bot-accounts.js'
import { laneOf } from './outbox.lanes.js'

export const OutboxInput = z.object({
  key: z.string().min(1).max(300),
  to: z.object({ type: z.enum(['room', 'contact', 'person', 'robot']), id: z.string().min(1) }),
  text: z.string().min(1).max(4000),
  kind: z.string().min(1),
  /** Which bot account sends it (default `default`). */
  account: z.string().min(1).max(100).optional(),
  /** The priority lane; by default the one `kind` has in outbox.lanes.ts. */
  lane: z.enum(OUTBOX_LANES).optional(),
  /** Why it is sent (decides the channels that may carry it); by default from `kind` (channels/purposes.ts). */
  purpose: z.enum(MESSAGE_PURPOSES).optional(),
  notBefore: z.date().optional(),
  refs: z
    .object({
      caseId: z.string(),
      caseNumber: z.string(),
      noticeId: z.string(),
      eventId: z.string(),
      messageId: z.string(),
    })
    .partial()
    .optional(),
  /**
   * The question this message puts to its recipient (a rating, a 收到): recorded as an open question
   * when the message is queued, so the reply is read against it (see conversations/asks.service.ts).
   */
  expects: z
    .object({
      kind: z.enum(ASK_KINDS),
      caseNumber: z.string().optional(),
      noticeId: z.string().optional(),
      pollId: z.string().optional(),
      topicId: z.string().optional(),
      ttlMs: z.number().int().positive(),
    })
    .optional(),
})
export type OutboxInput = z.infer<typeof OutboxInput>

export interface Outbox {
  /** Queues a message once per key; returns false when that key was already queued. */
  enqueue(input: OutboxInput): Promise<boolean>
  /** Queues many at once (broadcasts); returns how many were new. */
  enqueueMany(inputs: OutboxInput[]): Promise<number>
}

/**
 * The durable queue every outgoing chat message goes through; the bot's sender drains it. With a
 * pool of bot accounts, `accountOf` names the account that reaches a recipient (bot-accounts.ts); a
 * message queued without an explicit `account` goes to that account's sender.
 */

/** Messages queued together (replies and tasks of a busy moment) share one insert command. */
const insertMessage = batchedInserts(OutboxModel)

export function createOutbox(deps: {
  clock: Clock
  asks?: Asks
  accountOf?: (to: OutboxInput['to']) => Promise<string>
}): Outbox {
  async function toDoc(input: OutboxInput) {
    const { expects: _question, ...parsed } = OutboxInput.parse(input)
    const account = parsed.account ?? (await deps.accountOf?.(parsed.to))
    const lane = laneOf(parsed)
    return {
      ...parsed,
      ...(account ? { account } : {}),
      lane,
      // Queued: the sender finds it by this marker (one insert, no separate index entry).
      pendingLane: lane,
      purpose: purposeOf(parsed),
      notBefore: parsed.notBefore ?? deps.clock.now(),
      status: 'queued' as const,
    }
  }
  /** Records the questions the messages ask (also on a repeat: recording is idempotent), in one write. */
  async function recordQuestions(inputs: OutboxInput[]): Promise<void> {
    const asks = deps.asks
    if (!asks) return
    // A robot feed cannot answer: nothing is asked of it.
    const items = inputs.flatMap(({ to, expects }) =>
      expects && to.type !== 'robot' ? [{ subject: { type: to.type, id: to.id }, ask: expects }] : [],
    )
    if (items.length === 1 && items[0]) await asks.record(items[0].subject, items[0].ask)
    else if (items.length > 1) await asks.recordMany(items)
  }
  return {
    async enqueue(input) {
      await recordQuestions([input])
      try {
        await insertMessage(await toDoc(input))
        return true
      } catch (err) {
        if (isDuplicateKeyError(err)) return false
        throw err
      }
    },
    async enqueueMany(inputs) {
      if (inputs.length === 0) return 0
      await recordQuestions(inputs)
      const docs = []
      for (let i = 0; i < inputs.length; i += 50) {
        docs.push(...(await Promise.all(inputs.slice(i, i + 50).map(toDoc))))
      }
      // Checked by OutboxInput and written as the model would (defaults, timestamps, no NUL), by the
      // driver: a 2,445-group broadcast is not hydrated into mongoose documents on the way.
      const now = new Date()
      const rows = docs.map((d) =>
        stripNulDeep({
          _id: new Types.ObjectId(),
          ...d,
          account: d.account ?? MAIN_ACCOUNT,
          attempts: 0,
          createdAt: now,
          updatedAt: now,
          __v: 0,
        }),
      )
      try {
        return (await OutboxModel.collection.insertMany(rows, { ordered: false })).insertedCount
      } catch (err) {
        const e = err as {
          insertedCount?: number
          writeErrors?: Array<{ code?: number }> | { code?: number }
        }
        const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : []
        const onlyDuplicates = errors.length > 0 && errors.every((w) => w.code === 11000)
        if (!onlyDuplicates || e.insertedCount === undefined) throw err
        return e.insertedCount
      }
    },
  }
}

/** How many messages wait in the queue, all lanes and accounts (one indexed count a lane). */
export async function countQueued(account?: string): Promise<number> {
  const counts = await Promise.all(
    OUTBOX_LANES.map((lane) =>
      OutboxModel.countDocuments({ pendingLane: lane, ...(account ? { account } : {}) }),
    ),
  )
  return counts.reduce((a, b) => a + b, 0)
}

/**
 * The sender's start-up check of the queue's markers, run under its lease: every queued message of
 * the account that lacks its `pendingLane` (stored before the marker moved into the message, when the
 * lane index was a collection of its own) gets it, and those collections are dropped (every queued
 * message carries what they held). Idempotent; returns how many messages were marked.
 */
export async function reconcilePending(account: string): Promise<number> {
  const unmarked = await OutboxModel.find(
    { account, status: 'queued', pendingLane: { $exists: false } },
    { kind: 1, lane: 1 },
  ).lean()
  // One write by `_id` each (an `$in` would read the whole outbox on FerretDB); a start-up path only.
  for (const d of unmarked)
    await OutboxModel.updateOne({ _id: d._id, status: 'queued' }, { $set: { pendingLane: laneOf(d) } })
  await dropLegacyPending()
  return unmarked.length
}

/** Drops the former per-lane index collections, if any are left. */
async function dropLegacyPending(): Promise<void> {
  const db = mongoose.connection.db
  if (!db) return
  const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name))
  for (const name of LEGACY_PENDING_COLLECTIONS) if (names.has(name)) await db.dropCollection(name)
}
