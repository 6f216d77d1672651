import type { Schema as SchemaType } from 'mongoose'
import { ASKS_VERSION_ID, MEMORY_VERSION_ID, newVersion, scopedVersions } from './registry-version.model.js'

/**
 * The versions of what processes keep in memory besides the registry (see registry-version.model.ts),
 * documents of `registry_versions` whose `v` gets a new random value after every write that changes a
 * topic kept in memory. `auth` (a session ended: logout, a reused refresh token, every session of a
 * person) and `cases` (a case or a follow changed) share `_id: 'memory'`: a write to either makes both
 * read again, which costs one `_id` read for a session. `asks` (a group's open question written or
 * settled) has `_id: 'asks'`, so case writes do not renew it. All are read with the registry's in one
 * command (`scopedVersions`). A view tagged with the version it was read under is served only while
 * the document still holds that value, so a write in any process is seen by the next request
 * anywhere. A new random value rather than `$inc` (not atomic on FerretDB): two writers racing each
 * set a value no view was tagged with.
 */
export type CacheTopic = 'auth' | 'cases' | 'asks'

/** Writes made by this process, per version document: a view read before one is stale here at once. */
const localEpochs = { memory: 0, asks: 0 }
const VERSION_IDS = { memory: MEMORY_VERSION_ID, asks: ASKS_VERSION_ID } as const
const docOf = (topic: CacheTopic): keyof typeof localEpochs => (topic === 'asks' ? 'asks' : 'memory')

/** The version for `topic`, with this process's write count (read once per request or message). */
export async function topicVersion(topic: CacheTopic): Promise<string> {
  const doc = docOf(topic)
  const epoch = localEpochs[doc]
  return `${(await scopedVersions())[doc]}#${epoch}`
}

/** Marks the topic changed: call after the write, so a view read under the new value includes it. */
export async function bumpTopic(topic: CacheTopic): Promise<void> {
  const doc = docOf(topic)
  localEpochs[doc]++
  await newVersion(VERSION_IDS[doc])
}

/** Schema plugin: every write through the model bumps the topic (raw driver writes do not). */
export function topicVersioned(topic: CacheTopic) {
  return (schema: SchemaType): void => {
    const bump = () => bumpTopic(topic)
    const writes = ['updateOne', 'updateMany', 'findOneAndUpdate', 'findOneAndReplace', 'replaceOne']
    for (const op of [...writes, 'findOneAndDelete', 'deleteOne', 'deleteMany'])
      schema.post(op as 'updateOne', { query: true, document: false }, bump)
    schema.post('deleteOne', { query: false, document: true }, bump)
    schema.post('save', bump)
    schema.post('insertMany', bump)
    schema.post('bulkWrite', bump)
  }
}

/**
 * Views kept in this process under a topic: `get` serves the view under `key` while the topic has not
 * changed since it was read, else `load()`'s (kept unless `keep` says no). At most `max` views; the
 * map is emptied when full. Views are shared: callers must not change what they get.
 */
export function topicCache<T>(topic: CacheTopic, max = 10_000) {
  const views = new Map<string, { tag: string; value: T }>()
  return {
    async get(key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
      // Read before the load: a write during the load leaves the view tagged as older, so unused.
      const tag = await topicVersion(topic)
      const hit = views.get(key)
      if (hit && hit.tag === tag) return hit.value
      const value = await load()
      if (!keep(value)) return value
      if (views.size >= max) views.clear()
      views.set(key, { tag, value })
      return value
    },
  }
}
