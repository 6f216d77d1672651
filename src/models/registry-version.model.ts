import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import { model, Schema, type Schema as SchemaType } from 'mongoose'
import { coalesced } from '../lib/coalesced.js'

/**
 * The registry's version: one document, `_id: 'registry'`, whose `v` gets a new random value after
 * every write to people, grids, communities or departments (see `registryVersioned`). Every process
 * keeps registry views (a person, a grid's staff) tagged with the version they were read under and
 * reads this one document by `_id` to know whether they still hold: a role withdrawn or an off-duty
 * switch in another process is seen by the next message. A new random value rather than `$inc`
 * (not atomic on FerretDB): two writers racing each set a value no cached view was tagged with.
 */
const registryVersionSchema = new Schema(
  {
    _id: { type: String, required: true },
    v: { type: String, required: true },
    at: { type: Date, required: true },
    /** Every version document carries it: all of them come in one read by this indexed equality. */
    set: { type: String },
  },
  { versionKey: false },
)
registryVersionSchema.index({ set: 1 })

/**
 * The version documents: the registry's (`_id: 'registry'`), that of the other views processes keep
 * (`_id: 'memory'`, see cache-version.model.ts) and that of groups' open questions (`_id: 'asks'`:
 * written rarely, read by every group message, so not renewed by each case write). Separate
 * documents, because FerretDB updates are read-modify-write: two writers setting two fields of one
 * document could undo each other.
 */
export const RegistryVersionModel = model('RegistryVersion', registryVersionSchema, 'registry_versions')

export const REGISTRY_VERSION_ID = 'registry'
export const MEMORY_VERSION_ID = 'memory'
export const ASKS_VERSION_ID = 'asks'
const VERSION_SET = 'versions'

export interface Versions {
  registry: string
  memory: string
  asks: string
}

/**
 * All versions in one command (the documents' shared `set`), shared by the callers that ask at the
 * same time, never with a read that started before they asked (see `coalesced`).
 */
export const readVersions = coalesced(async (): Promise<Versions> => {
  const docs = await RegistryVersionModel.find({ set: VERSION_SET }, { v: 1 }).lean().exec()
  const v = (id: string) => docs.find((d) => d._id === id)?.v ?? 'none'
  return { registry: v(REGISTRY_VERSION_ID), memory: v(MEMORY_VERSION_ID), asks: v(ASKS_VERSION_ID) }
})

const scopes = new AsyncLocalStorage<{ versions?: Promise<Versions> }>()

/**
 * Runs `fn` (one chat message, one API request) with the versions read at most once: at the first view
 * it asks for, or at once when `eager`. Every view it is served is checked against the state then
 * (and this process's own writes since, counted by the epochs).
 */
export function withVersionScope<T>(fn: () => Promise<T>, o: { eager?: boolean } = {}): Promise<T> {
  const versions = o.eager ? readVersions() : undefined
  // Awaited by whoever asks; if nobody does, a failed read must not be an unhandled rejection.
  versions?.catch(() => undefined)
  return scopes.run({ versions }, fn)
}

/** The versions of the current scope (read once in it), or a fresh read outside any scope. */
export function scopedVersions(): Promise<Versions> {
  const scope = scopes.getStore()
  if (!scope) return readVersions()
  scope.versions ??= readVersions()
  return scope.versions
}

let localEpoch = 0
let viewEpoch = 0
/**
 * Counts this process's own registry writes, quiet ones included: a person read before one is stale
 * here at once (a person read earlier in the same message).
 */
export function registryLocalEpoch(): number {
  return localEpoch
}

/**
 * Counts this process's own registry writes that change the version: a cached view read before one
 * is stale here at once, before the new version is read. Quiet writes (see `registryVersioned`)
 * change nothing a view holds — in other processes they invalidate nothing either — so they do not
 * count: a newcomer's first message does not empty this process's views.
 */
export function registryViewEpoch(): number {
  return viewEpoch
}

/** Marks the registry changed: after the write, so a view read under the new value includes it. */
export async function bumpRegistryVersion(): Promise<void> {
  localEpoch++
  viewEpoch++
  await newVersion(REGISTRY_VERSION_ID)
}

const bumps = new Map<string, () => Promise<void>>()

/**
 * Gives version `id` a new value, once for all the writers asking at the same time: a writer arriving
 * while a change is on its way waits for the next one, which starts after it asked (see `coalesced`),
 * so the value still changes after every write, in one command for a busy moment.
 */
export function newVersion(id: string): Promise<void> {
  let bump = bumps.get(id)
  if (!bump) {
    bump = coalesced(() => setNewVersion(id))
    bumps.set(id, bump)
  }
  return bump()
}

/** Gives the version document `id` a new random value, creating it the first time. */
async function setNewVersion(id: string): Promise<void> {
  const versions = RegistryVersionModel
  const set = { v: randomUUID(), at: new Date(), set: VERSION_SET }
  try {
    await versions.updateOne({ _id: id }, { $set: set }, { upsert: true }).exec()
  } catch (err) {
    // Two first writes at once: the other upsert created the document (FerretDB does not retry an
    // upsert that hits the unique _id). Write to the one that exists now.
    if ((err as { code?: number }).code !== 11000) throw err
    await versions.updateOne({ _id: id }, { $set: set }).exec()
  }
}

const QUERY_WRITES = [
  'updateOne',
  'updateMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
  'replaceOne',
] as const

/**
 * Schema plugin: every write through the model bumps the registry version (writes through the raw
 * driver collection do not). `quietInsert` names new documents no cached view can hold yet (a plain
 * resident: no view is kept of an id not read before, and they are on no staff list), so a
 * city-sized import does not bump once per row.
 */
export function registryVersioned(
  schema: SchemaType,
  options: {
    quietInsert?: (doc: Record<string, unknown>) => boolean
    /** An update (by the field paths it writes) that changes nothing a cached view holds. */
    quietUpdate?: (paths: string[]) => boolean
  } = {},
): void {
  const bump = async () => bumpRegistryVersion()
  const UPDATES = new Set(['updateOne', 'updateMany', 'findOneAndUpdate'])
  for (const op of QUERY_WRITES)
    schema.post(op, { query: true, document: false }, async function afterWrite(this: unknown) {
      const update = (this as { getUpdate?(): unknown }).getUpdate?.()
      if (UPDATES.has(op) && options.quietUpdate?.(pathsOf(update))) {
        localEpoch++
        return
      }
      await bump()
    })
  schema.post('deleteOne', { query: false, document: true }, bump)
  schema.pre('save', function markNew() {
    this.$locals.wasNew = this.isNew
  })
  schema.post('save', async function afterSave(doc) {
    if (doc.$locals.wasNew && options.quietInsert?.(doc.toObject())) {
      localEpoch++
      return
    }
    await bump()
  })
  schema.post('insertMany', async (docs: unknown) => {
    const list = Array.isArray(docs) ? (docs as Array<{ toObject?(): Record<string, unknown> }>) : []
    const quiet = options.quietInsert
    if (quiet && list.every((d) => quiet(d.toObject ? d.toObject() : (d as Record<string, unknown>)))) return
    await bump()
  })
  schema.post('bulkWrite', bump)
}

/** The field paths an update document writes: `{$set: {'staff.onDuty': false}}` → `['staff.onDuty']`. */
function pathsOf(update: unknown): string[] {
  if (!update || typeof update !== 'object' || Array.isArray(update)) return ['*']
  const paths: string[] = []
  for (const [k, v] of Object.entries(update as Record<string, unknown>)) {
    if (!k.startsWith('$')) paths.push(k)
    else if (v && typeof v === 'object') paths.push(...Object.keys(v as object))
  }
  return paths
}
