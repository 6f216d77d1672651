import type { Schema, Types } from 'mongoose'
import { withLock } from '../lib/storage/index.js'

/**
 * Staff found by key: each resident carries `staffKeys`, one string per role it holds for a scope —
 * `grid_worker@grid:<gridId>`, `community_staff@community:<communityId>`,
 * `department_staff@dept:<departmentId>` — and one per staff role alone (`grid_worker`), none at all
 * once erased. "The grid workers of a grid" is then one equality on an array field (`{staffKeys:
 * 'grid_worker@grid:…'}`), which MongoDB answers from a multikey index and FerretDB on PostgreSQL
 * pushes down as `_jsonb->'staffKeys' @> '"…"'`, served by a GIN index — never a scan of `residents`
 * by role with a dotted scope path and `$exists`. On-duty is not in the key: readers check it on the
 * people they read (it changes often, the keys do not).
 *
 * The keys are derived from `roles`, `staff` and `erasedAt` and written by the hooks below on every
 * write through the model; raw driver writes (the city seed) compute them with `staffKeysOf`; the
 * `case-indexes` job repairs any that disagree (`backfillStaffKeys`).
 */

type Id = Types.ObjectId | string

export interface StaffScoped {
  roles?: readonly string[] | null
  staff?: {
    gridIds?: readonly Id[] | null
    communityIds?: readonly Id[] | null
    departmentId?: Id | null
  } | null
  erasedAt?: Date | null
}

/** Roles that are not staff: they give no keys. */
const PLAIN_ROLES = new Set(['resident', 'party_member'])

export const staffKey = {
  grid: (role: string, gridId: Id) => `${role}@grid:${String(gridId)}`,
  community: (role: string, communityId: Id) => `${role}@community:${String(communityId)}`,
  department: (role: string, departmentId: Id) => `${role}@dept:${String(departmentId)}`,
  role: (role: string) => role,
}

/** The keys a person with these roles and this scope carries, sorted, each once. */
export function staffKeysOf(p: StaffScoped | null | undefined): string[] {
  if (!p || p.erasedAt) return []
  const keys = new Set<string>()
  for (const role of p.roles ?? []) {
    if (PLAIN_ROLES.has(role)) continue
    keys.add(staffKey.role(role))
    for (const g of p.staff?.gridIds ?? []) keys.add(staffKey.grid(role, g))
    for (const c of p.staff?.communityIds ?? []) keys.add(staffKey.community(role, c))
    if (p.staff?.departmentId) keys.add(staffKey.department(role, p.staff.departmentId))
  }
  return [...keys].sort()
}

/** The top-level fields the keys are derived from. */
const SOURCES = ['roles', 'staff', 'erasedAt']

/** True when an update document may change what the keys are derived from. */
function touchesSources(update: unknown): boolean {
  if (!update || typeof update !== 'object' || Array.isArray(update)) return true
  for (const [k, v] of Object.entries(update as Record<string, unknown>)) {
    const paths = k.startsWith('$') ? Object.keys((v as object) ?? {}) : [k]
    if (paths.some((p) => SOURCES.includes(p.split('.')[0] as string))) return true
  }
  return false
}

const SOURCE_PROJECTION = { roles: 1, staff: 1, erasedAt: 1, staffKeys: 1 }

interface KeyedModel {
  find(filter: unknown, projection: unknown): { lean(): { exec(): Promise<Array<{ _id: Types.ObjectId }>> } }
  findById(id: unknown, projection: unknown): { lean(): { exec(): Promise<unknown> } }
  collection: { updateOne(filter: unknown, update: unknown): Promise<unknown> }
}

/**
 * Rewrites the person's `staffKeys` from what is stored now, when they differ (a raw write: no hook,
 * no second version bump). True when changed. Under the `staff-keys:<id>` lock: two writes to one
 * person at once each refresh after their own write, one after the other, so the later refresh reads
 * both and an older read never overwrites a newer one.
 */
export function refreshStaffKeys(model: KeyedModel, id: Types.ObjectId): Promise<boolean> {
  return withLock(`staff-keys:${id}`, () => rewriteKeys(model, id))
}

async function rewriteKeys(model: KeyedModel, id: Types.ObjectId): Promise<boolean> {
  const doc = (await model.findById(id, SOURCE_PROJECTION).lean().exec()) as
    | (StaffScoped & { staffKeys?: string[] })
    | null
  if (!doc) return false
  const keys = staffKeysOf(doc)
  if (JSON.stringify(keys) === JSON.stringify(doc.staffKeys ?? [])) return false
  await model.collection.updateOne({ _id: id }, { $set: { staffKeys: keys } })
  return true
}

/**
 * Schema plugin: keeps `staffKeys` right on every write through the model. A new document gets them
 * before validation (save, create, insertMany); an update that writes roles, staff scope or erasure
 * has the ids it matches read first and their keys rewritten after it, from the stored result (so
 * `$addToSet`, `$pull` and partial `$set`s all come out right). Apply before any plugin whose post
 * hooks announce the change (the registry version), so readers told of it see the new keys.
 */
export function maintainStaffKeys(schema: Schema): void {
  schema.pre('validate', function () {
    const doc = this as unknown as StaffScoped & { set(k: string, v: unknown): void }
    doc.set('staffKeys', staffKeysOf(doc))
  })
  schema.pre('insertMany', (docs: unknown) => {
    for (const d of (Array.isArray(docs) ? docs : [docs]) as Array<Record<string, unknown>>)
      if (d && typeof d === 'object' && typeof d.$isNew !== 'boolean') d.staffKeys = staffKeysOf(d)
  })
  type Q = {
    getUpdate(): unknown
    getFilter(): unknown
    getOptions(): { upsert?: boolean }
    model: KeyedModel
    $locals?: Record<string, unknown>
    _staffIds?: Types.ObjectId[]
  }
  for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate'] as const) {
    schema.pre(op, async function (this: unknown) {
      const q = this as Q
      if (!touchesSources(q.getUpdate())) return
      const ids = await q.model.find(q.getFilter(), { _id: 1 }).lean().exec()
      q._staffIds = (op === 'updateMany' ? ids : ids.slice(0, 1)).map((d) => d._id)
    })
    schema.post(op, async function (this: unknown, res: unknown) {
      const q = this as Q
      if (!q._staffIds) return
      const upserted = (res as { upsertedId?: Types.ObjectId; _id?: Types.ObjectId } | null) ?? {}
      const ids = [...q._staffIds]
      if (upserted.upsertedId) ids.push(upserted.upsertedId)
      else if (op === 'findOneAndUpdate' && upserted._id && ids.length === 0) ids.push(upserted._id)
      for (const id of ids) await refreshStaffKeys(q.model, id)
    })
  }
}
