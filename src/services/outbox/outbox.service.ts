import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import { OutboxModel } from '../../models/outbox.model.js'

export const OutboxInput = z.object({
  key: z.string().min(1).max(300),
  to: z.object({ type: z.enum(['room', 'contact', 'person']), id: z.string().min(1) }),
  text: z.string().min(1).max(4000),
  kind: z.string().min(1),
  notBefore: z.date().optional(),
  refs: z
    .object({ caseId: z.string(), noticeId: z.string(), eventId: z.string(), messageId: z.string() })
    .partial()
    .optional(),
})
export type OutboxInput = z.infer<typeof OutboxInput>

export interface Outbox {
  /** Queues a message once per key; returns false when that key was already queued. */
  enqueue(input: OutboxInput): Promise<boolean>
  /** Queues many at once (broadcasts); returns how many were new. */
  enqueueMany(inputs: OutboxInput[]): Promise<number>
}

/** The durable queue every outgoing chat message goes through; the bot's sender drains it. */
export function createOutbox(deps: { clock: Clock }): Outbox {
  function toDoc(input: OutboxInput) {
    const parsed = OutboxInput.parse(input)
    return { ...parsed, notBefore: parsed.notBefore ?? deps.clock.now(), status: 'queued' as const }
  }
  return {
    async enqueue(input) {
      try {
        await OutboxModel.create(toDoc(input))
        return true
      } catch (err) {
        if (isDuplicateKeyError(err)) return false
        throw err
      }
    },
    async enqueueMany(inputs) {
      if (inputs.length === 0) return 0
      try {
        const res = await OutboxModel.insertMany(inputs.map(toDoc), { ordered: false })
        return res.length
      } catch (err) {
        const e = err as {
          insertedDocs?: unknown[]
          writeErrors?: Array<{ code?: number; err?: { code?: number } }>
        }
        const onlyDuplicates = (e.writeErrors ?? []).every((w) => (w.code ?? w.err?.code) === 11000)
        if (onlyDuplicates && e.insertedDocs) return e.insertedDocs.length
        throw err
      }
    },
  }
}
