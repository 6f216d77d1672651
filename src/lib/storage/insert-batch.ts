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

interface Waiting<T> {
  item: T
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
 * Items that arrive together go to the server in one command: the first caller's goes at once (no
 * wait when the service is quiet), and whoever arrives while a batch is on its way goes in the next
 * one. `send` writes a batch unordered and throws an error whose per-item failures `refusedByIndex`
 * can read; each caller then learns its own item's fate. When the command itself fails (connection
 * lost) every caller of that batch is rejected.
 */
function batched<T>(send: (items: T[]) => Promise<unknown>): (item: T) => Promise<void> {
  let queue: Waiting<T>[] = []
  let running = false

  async function drain(): Promise<void> {
    running = true
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH)
        queue = queue.slice(batch.length)
        await settle(batch, send)
      }
    } finally {
      running = false
    }
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      if (!running) void drain()
    })
}

async function settle<T>(batch: Waiting<T>[], send: (items: T[]) => Promise<unknown>): Promise<void> {
  try {
    await send(batch.map((w) => w.item))
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
 * Inserts through `model` that arrive together, as one unordered `insertMany`. Each caller learns its
 * own document's fate: a duplicate key keeps code 11000, so a unique-key race is decided exactly as by
 * a single insert, also between two documents of one batch. Under load this turns dozens of commands
 * into one, which is where FerretDB spends its time (one `insertMany` of 32 documents stores about
 * five times as many a second as 32 single inserts in flight). Same on MongoDB.
 *
 * Only for models whose inserts need no document middleware (`save` hooks do not run; `insertMany`
 * hooks and schema validation do).
 */
export function batchedInserts(model: {
  insertMany(
    docs: Record<string, unknown>[],
    options: { ordered: false; throwOnValidationError: true },
  ): Promise<unknown>
}): (doc: Record<string, unknown>) => Promise<void> {
  return batched((docs: Record<string, unknown>[]) =>
    model.insertMany(docs, { ordered: false, throwOnValidationError: true }),
  )
}

/**
 * The refused items of a failed unordered write, by their index in the batch; undefined when the
 * error is not about single items (nothing can be said of any of them). Mongoose lists every item's
 * outcome (`results`) when some were invalid or refused; otherwise the driver's `writeErrors`,
 * indexed as the batch.
 *
 * Inserts only: FerretDB 1.24 stops an unordered multi-statement update at its first refused
 * statement and reports the rest as done, so updates are never batched this way.
 */
function refusedByIndex(err: unknown): Map<number, unknown> | undefined {
  const e = err as { writeErrors?: unknown; results?: unknown[]; mongoose?: { results?: unknown[] } }
  const results = e.results ?? e.mongoose?.results
  const refused = new Map<number, unknown>()
  if (Array.isArray(results)) {
    results.forEach((r, i) => {
      if (r instanceof Error) refused.set(i, r)
      else if (isWriteError(r)) refused.set(i, ownError(r))
    })
    return refused
  }
  if (!Array.isArray(e.writeErrors)) return undefined
  for (const w of e.writeErrors) if (isWriteError(w)) refused.set(w.index, ownError(w))
  return refused
}

function isWriteError(r: unknown): r is WriteErrorLike {
  const w = r as Partial<WriteErrorLike> | null
  return Boolean(w && typeof w.index === 'number' && typeof w.errmsg === 'string' && 'err' in w)
}

const ownError = (w: WriteErrorLike) =>
  new BatchedInsertError(w.errmsg ?? 'write refused', w.code, w.err?.keyValue)
