import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { ASK_KINDS } from '../../models/conversation-ask.model.js'
import { OUTBOX_LANES, OutboxModel, OutboxPendingModels } from '../../models/outbox.model.js'
import { MESSAGE_PURPOSES } from '../channels/channel.js'
import { purposeOf } from '../channels/purposes.js'
import type { Asks } from '../conversations/asks.service.js'
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
export function createOutbox(deps: {
  clock: Clock
  asks?: Asks
  accountOf?: (to: OutboxInput['to']) => Promise<string>
}): Outbox {
  async function toDoc(input: OutboxInput) {
    const { expects: _question, ...parsed } = OutboxInput.parse(input)
    const account = parsed.account ?? (await deps.accountOf?.(parsed.to))
    return {
      ...parsed,
      ...(account ? { account } : {}),
      lane: laneOf(parsed),
      purpose: purposeOf(parsed),
      notBefore: parsed.notBefore ?? deps.clock.now(),
      status: 'queued' as const,
    }
  }
  /** Records the questions the messages ask (also on a repeat: recording is idempotent). */
  async function recordQuestions(inputs: OutboxInput[]): Promise<void> {
    const asks = deps.asks
    if (!asks) return
    for (const { to, expects } of inputs) {
      // A robot feed cannot answer: nothing is asked of it.
      if (expects && to.type !== 'robot') await asks.record({ type: to.type, id: to.id }, expects)
    }
  }
  return {
    async enqueue(input) {
      await recordQuestions([input])
      try {
        const doc = await OutboxModel.create(await toDoc(input))
        await markPending([doc])
        return true
      } catch (err) {
        if (isDuplicateKeyError(err)) return false
        throw err
      }
    },
    async enqueueMany(inputs) {
      if (inputs.length === 0) return 0
      await recordQuestions(inputs)
      try {
        const docs = []
        for (let i = 0; i < inputs.length; i += 50) {
          docs.push(...(await Promise.all(inputs.slice(i, i + 50).map(toDoc))))
        }
        const res = await OutboxModel.insertMany(docs, { ordered: false })
        await markPending(res)
        return res.length
      } catch (err) {
        const e = err as {
          insertedDocs?: PendingSource[]
          writeErrors?: Array<{ code?: number; err?: { code?: number } }>
        }
        const onlyDuplicates = (e.writeErrors ?? []).every((w) => (w.code ?? w.err?.code) === 11000)
        if (!onlyDuplicates || !e.insertedDocs) throw err
        await markPending(e.insertedDocs)
        return e.insertedDocs.length
      }
    },
  }
}

interface PendingSource {
  _id: unknown
  account?: string | null
  kind: string
  lane?: string | null
  notBefore: Date
  createdAt?: Date | null
}

/**
 * Adds queued messages to their lane's index (idempotent). A crash between the two inserts leaves a
 * message out of the index until the sender's start-up check (`reconcilePending`) puts it back.
 */
export async function markPending(docs: PendingSource[]): Promise<void> {
  for (const lane of OUTBOX_LANES) {
    const rows = docs
      .filter((d) => laneOf(d) === lane)
      .map((d) => ({
        _id: d._id,
        account: d.account ?? 'default',
        notBefore: d.notBefore,
        createdAt: d.createdAt ?? d.notBefore,
      }))
    if (rows.length === 0) continue
    try {
      await OutboxPendingModels[lane].insertMany(rows, { ordered: false })
    } catch (err) {
      const e = err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }
      const onlyDuplicates =
        isDuplicateKeyError(err) || e.writeErrors?.every((w) => (w.code ?? w.err?.code) === 11000) === true
      if (!onlyDuplicates) throw err
    }
  }
}

/** How many messages wait in the queue, all lanes and accounts (read from the small lane indexes). */
export async function countQueued(): Promise<number> {
  const counts = await Promise.all(OUTBOX_LANES.map((lane) => OutboxPendingModels[lane].countDocuments()))
  return counts.reduce((a, b) => a + b, 0)
}

/** Puts every queued message of the account that the index lacks back into it; returns how many. */
export async function reconcilePending(account: string): Promise<number> {
  const queued = await OutboxModel.find(
    { account, status: 'queued' },
    { account: 1, kind: 1, lane: 1, notBefore: 1, createdAt: 1 },
  ).lean()
  if (queued.length === 0) return 0
  const indexed = await Promise.all(
    OUTBOX_LANES.map((lane) => OutboxPendingModels[lane].find({ account }, { _id: 1 }).lean()),
  )
  const known = new Set(indexed.flat().map((p) => String(p._id)))
  const missing = queued.filter((q) => !known.has(String(q._id)))
  await markPending(missing)
  return missing.length
}
