import mongoose from 'mongoose'

/** One database command as the driver sent it: its name, collection and filter. */
export interface RecordedCommand {
  name: string
  collection: string
  filter: unknown
  /** One line: `find residents {"_id":"ObjectId"}` (values replaced by their types). */
  line: string
}

/** A value with its leaves replaced by their types: `{_id: 'ObjectId', status: {$in: ['String']}}`. */
export function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shapeOf(v[0])] : []
  if (v && typeof v === 'object' && v.constructor?.name === 'Object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]))
  return v === null ? null : ((v as { constructor?: { name?: string } })?.constructor?.name ?? typeof v)
}

/** The filter of a find, count, update, delete, findAndModify or the first stage of an aggregate. */
export function filterOf(c: Record<string, unknown>): unknown {
  const first = (list: unknown) => (list as { q?: unknown }[] | undefined)?.[0]?.q
  return c.filter ?? c.q ?? first(c.updates) ?? first(c.deletes) ?? (c.pipeline as unknown[])?.[0] ?? c.query
}

/** Commands the servers answer for the driver itself, not for the application. */
const HOUSEKEEPING = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'endSessions',
  'saslStart',
  'saslContinue',
])

/**
 * Records the commands the default mongoose connection sends while `fn` runs (the connection must
 * have been opened with `monitorCommands=true`, see `useTestDatabase({ monitorCommands: true })`).
 */
export async function recordCommands<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; commands: RecordedCommand[] }> {
  const client = mongoose.connection.getClient()
  const commands: RecordedCommand[] = []
  const listener = (e: { commandName: string; command: Record<string, unknown> }) => {
    if (HOUSEKEEPING.has(e.commandName)) return
    const c = e.command
    const collection = String(c[e.commandName] ?? '')
    const filter = filterOf(c)
    commands.push({
      name: e.commandName,
      collection,
      filter,
      line: `${e.commandName} ${collection} ${JSON.stringify(shapeOf(filter ?? ''))}`,
    })
  }
  client.on('commandStarted', listener)
  try {
    const result = await fn()
    return { result, commands }
  } finally {
    client.off('commandStarted', listener)
  }
}

/**
 * Why a command is not a cheap one, or undefined when it is: an insert, or a read/update/delete
 * whose filter is `_id` or top-level equalities (no dotted path, no operator such as `$in`, `$or`,
 * `$exists`; a cursor's range beside equalities is allowed); an aggregate only as a `$match` of the
 * same kind.
 */
export function notCheap(c: RecordedCommand): string | undefined {
  if (c.name === 'insert') return undefined
  let filter = c.filter
  if (c.name === 'aggregate') {
    const stage = filter as Record<string, unknown> | undefined
    if (!stage || !('$match' in stage)) return 'an aggregate that does not start with $match'
    filter = stage.$match
  }
  if (filter === undefined || filter === null) return 'no filter'
  if (typeof filter !== 'object') return 'no filter'
  const entries = Object.entries(filter as Record<string, unknown>)
  if (entries.length === 0) return 'an empty filter (reads every document)'
  for (const [k, v] of entries) {
    if (k.startsWith('$')) return `operator ${k} at the top`
    if (k.includes('.')) return `dotted path ${k}`
    if (v && typeof v === 'object' && v.constructor?.name === 'Object') {
      const ops = Object.keys(v as object)
      // A cursor's range after equalities (`caseId < last seen`) reads an index in order: allowed.
      const range = entries.length > 1 && ops.every((o) => ['$lt', '$lte', '$gt', '$gte'].includes(o))
      if (!range && ops.some((o) => o.startsWith('$'))) return `operator ${ops.join(',')} on ${k}`
    }
  }
  return undefined
}

/**
 * The declared index of the collection's model that answers the command's filter: its equality fields
 * lead the index (in any order), a range (`$lt`, `$gte`…) is on the field after them. `_id` needs no
 * declared index. Undefined when none does.
 */
export function servingIndex(c: RecordedCommand): string | undefined {
  const filter = (c.name === 'aggregate' ? (c.filter as { $match?: unknown })?.$match : c.filter) as
    | Record<string, unknown>
    | undefined
  if (!filter || typeof filter !== 'object') return undefined
  const keys = Object.keys(filter)
  if (keys.length > 0 && keys.every((k) => k === '_id')) return '_id'
  const isRange = (v: unknown) =>
    Boolean(
      v &&
        typeof v === 'object' &&
        v.constructor?.name === 'Object' &&
        Object.keys(v).every((o) => ['$lt', '$lte', '$gt', '$gte'].includes(o)),
    )
  const eq = keys.filter((k) => !isRange(filter[k]))
  const range = keys.filter((k) => isRange(filter[k]))
  const model = mongoose
    .modelNames()
    .map((n) => mongoose.model(n))
    .find((m) => m.collection.collectionName === c.collection)
  for (const [fields] of model?.schema.indexes() ?? []) {
    const order = Object.keys(fields)
    const lead = order.slice(0, eq.length)
    if (lead.length !== eq.length || !eq.every((k) => lead.includes(k))) continue
    if (!range.every((k) => order.slice(eq.length, eq.length + range.length).includes(k))) continue
    return `${c.collection} {${order.join(', ')}}`
  }
  return undefined
}
