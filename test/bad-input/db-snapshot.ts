import { createHash } from 'node:crypto'
import { BSON } from 'mongodb'
import mongoose from 'mongoose'

/** One collection's state: how many documents and a hash over all of them in `_id` order. */
export interface CollectionState {
  count: number
  hash: string
}

export type DbSnapshot = Record<string, CollectionState>

/**
 * What a refused request may legitimately change, by collection, with the reason. Collections not
 * listed here are compared document by document.
 */
export type Allowed = Readonly<Record<string, string>>

/** Counts and hashes every collection of the test database (except the allowed ones). */
export async function snapshotDatabase(allowed: Allowed = {}): Promise<DbSnapshot> {
  const db = mongoose.connection.db
  if (!db) throw new Error('test database is not connected')
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !(n in allowed) && !n.startsWith('system.'))
    .sort()
  const states = await Promise.all(
    names.map(async (name) => {
      const docs = await db.collection(name).find({}).sort({ _id: 1 }).toArray()
      const hash = createHash('sha256')
      for (const d of docs) hash.update(BSON.EJSON.stringify(d, { relaxed: false }))
      return [name, { count: docs.length, hash: hash.digest('hex') }] as const
    }),
  )
  return Object.fromEntries(states)
}

/** The collections whose count or content differ between two snapshots ("name: 3→4 docs"). */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)])
  const out: string[] = []
  for (const name of [...names].sort()) {
    const a = before[name]
    const b = after[name]
    if (a?.hash === b?.hash && a?.count === b?.count) continue
    out.push(
      `${name}: ${a?.count ?? 'absent'}→${b?.count ?? 'absent'} docs${a && b && a.count === b.count ? ' (content changed)' : ''}`,
    )
  }
  return out
}
