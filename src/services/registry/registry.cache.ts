import { AsyncLocalStorage } from 'node:async_hooks'
import type { Types } from 'mongoose'
import { GridModel, ResidentModel } from '../../models/registry.model.js'
import {
  registryLocalEpoch,
  registryViewEpoch,
  scopedVersions,
  withVersionScope,
} from '../../models/registry-version.model.js'

/**
 * Registry views kept in this process (a person, a grid, a grid's or community's staff, the
 * departments of a category), each tagged with the registry version it was read under. A view is
 * served only while the version document still holds that value and this process wrote nothing to the
 * registry since: every write through the registry models gives the version a new value (see
 * registry-version.model.ts), so someone who lost a role or went off duty in any process is never
 * served from here afterwards. Checking costs one read (both version documents); inside `withRegistrySnapshot` (one
 * chat message) it is read at most once, and the whole message sees the registry as it was then.
 *
 * Views are shared: callers must not change what they get.
 */

interface Snapshot {
  /** People read during this message, by id: each read once. */
  people: Map<string, Promise<unknown>>
}

const snapshots = new AsyncLocalStorage<Snapshot>()
const MAX_VIEWS = 20_000
const views = new Map<string, { tag: string; value: unknown }>()

/**
 * Runs `fn` with the versions read at most once (at the first cached view it asks for, or at once
 * when `eager`: an API request reads them as it starts), in one command with the other views'
 * version (see `withVersionScope`).
 */
export function withRegistrySnapshot<T>(fn: () => Promise<T>, o: { eager?: boolean } = {}): Promise<T> {
  return withVersionScope(() => snapshots.run({ people: new Map() }, fn), o)
}

async function currentVersion(): Promise<string> {
  return (await scopedVersions()).registry
}

/**
 * The view under `key` while the registry has not changed since it was read, else `load()`'s (kept
 * unless `keep` says no: a lookup key not written yet is not remembered as missing).
 */
export async function cachedRegistryView<T>(
  key: string,
  load: () => Promise<T>,
  keep: (value: T) => boolean = () => true,
): Promise<T> {
  // Both read before the load: a write during the load leaves the view tagged as older, so unused.
  const epoch = registryViewEpoch()
  const tag = `${await currentVersion()}#${epoch}`
  const hit = views.get(key)
  if (hit && hit.tag === tag) return hit.value as T
  const value = await load()
  if (!keep(value)) return value
  if (views.size >= MAX_VIEWS) views.clear()
  views.set(key, { tag, value })
  return value
}

/** Drops the view under `key` in this process (a caller that found it wrong and wrote the right one). */
export function forgetView(key: string): void {
  views.delete(key)
}

/** Keeps `value` as the view under `key`, as read now (a caller that has just written it). */
export async function rememberView<T>(key: string, value: T): Promise<void> {
  views.delete(key)
  await cachedRegistryView(key, async () => value)
}

type Id = string | Types.ObjectId

const readResident = (id: Id) => ResidentModel.findById(id).lean().exec()

/**
 * A person as staff (roles, scope, on duty, name, erased): from the cache while the registry is
 * unchanged. Writes to other fields do not change the version, so do not read those here.
 */
export function cachedStaffView(id: Id) {
  return cachedRegistryView(`staff:${id}`, () => readResident(id))
}

/**
 * A person's whole record, read by `_id` at most once per chat message (the sender, the reporter of
 * the case it opens): always as stored when the message started, whatever changed elsewhere.
 */
export function messageResident(id: Id): ReturnType<typeof readResident> {
  const people = snapshots.getStore()?.people
  if (!people) return readResident(id)
  // Keyed with this process's write count: after a write here (their home settled) it is read again.
  const key = `${id}#${registryLocalEpoch()}`
  let read = people.get(key) as ReturnType<typeof readResident> | undefined
  if (!read) {
    read = readResident(id)
    people.set(key, read)
  }
  return read
}

/** A grid's stored record (lean), or null; read by `_id` when the registry changed. */
export function cachedGrid(id: Id) {
  return cachedRegistryView(`grid:${id}`, () => GridModel.findById(id).lean().exec())
}
