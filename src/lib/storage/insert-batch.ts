import type { Model } from 'mongoose'

/** A refused document's own error: a duplicate key keeps `code` 11000, as a single insert's would. */
export class BatchedInsertError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly keyValue?: unknown,
  ) {
    super(message)
    this.name = 'BatchedInsertError'
  }
}

interface Waiting {
  doc: Record<string, unknown>
  resolve(): void
  reject(err: unknown): void
}

interface WriteErrorLike {
  index: number
  code?: number
  errmsg?: string
  err?: { keyValue?: unknown }
}

const MAX_BATCH = 200

/**
 * Inserts through `model` that arrive together go to the server as one unordered `insertMany`: the
 * first caller's goes at once (no wait when the service is quiet), and whoever arrives while a batch
 * is on its way goes in the next one. Each caller learns its own document's fate: resolved when it was
 * stored, rejected with its own error when refused (a duplicate key keeps code 11000, so a unique-key
 * race is decided exactly as by a single insert, also between two documents of one batch), and every
 * caller of a batch is rejected when the command itself fails (connection lost). Under load this turns
 * dozens of commands into one, which is where FerretDB spends its time (one `insertMany` of 32
 * documents stores about five times as many a second as 32 single inserts in flight). Same on MongoDB.
 *
 * Only for models whose inserts need no document middleware (`save` hooks do not run; `insertMany`
 * hooks and schema validation do).
 */
export function batchedInserts(model: Model<never>): (doc: Record<string, unknown>) => Promise<void> {
  let queue: Waiting[] = []
  let running = false

  async function drain(): Promise<void> {
    running = true
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH)
        queue = queue.slice(batch.length)
        await insertBatch(model, batch)
      }
    } finally {
      running = false
    }
  }

  return (doc) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ doc, resolve, reject })
      if (!running) void drain()
    })
}

async function insertBatch(model: Model<never>, batch: Waiting[]): Promise<void> {
  try {
    await model.insertMany(
      batch.map((w) => w.doc),
      { ordered: false, throwOnValidationError: true },
    )
    for (const w of batch) w.resolve()
  } catch (err) {
    const refused = refusedByIndex(err)
    if (!refused) {
      for (const w of batch) w.reject(err)
      return
    }
    batch.forEach((w, i) => {
      const own = refused.get(i)
      if (own) w.reject(own)
      else w.resolve()
    })
  }
}

/**
 * The refused documents of a failed unordered insert, by their index in the batch; undefined when the
 * error is not about single documents (nothing can be said of any of them).
 */
function refusedByIndex(err: unknown): Map<number, unknown> | undefined {
  const e = err as { writeErrors?: WriteErrorLike[]; results?: unknown[]; validationErrors?: unknown[] }
  if (!Array.isArray(e.results)) return undefined
  const refused = new Map<number, unknown>()
  e.results.forEach((r, i) => {
    if (r instanceof Error) refused.set(i, r)
  })
  for (const w of Array.isArray(e.writeErrors) ? e.writeErrors : [])
    refused.set(w.index, new BatchedInsertError(w.errmsg ?? 'insert refused', w.code, w.err?.keyValue))
  return refused
}
