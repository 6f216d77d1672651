import { LookupKeyModel } from '../../models/lookup-key.model.js'
import { isDuplicateKeyError } from '../errors.js'
import { batchedInserts } from './insert-batch.js'

/** What a natural key names; the prefix of its `_id`. */
export type LookupKind =
  | 'case-source'
  | 'case-number'
  | 'contact'
  | 'room'
  | 'building-grid'
  | 'wecom-user'
  /** A case flagged 需要志愿者 → the one volunteer need posted from it. */
  | 'volunteer-case'

const idOf = (kind: LookupKind, value: string) => `${kind}:${value}`

/** Claims arriving together share one insert command (each still decided by its own unique `_id`). */
const insertKey = batchedInserts(LookupKeyModel)

/** The id the key points at, if it was recorded. */
export async function lookupKey(kind: LookupKind, value: string): Promise<string | undefined> {
  const doc = await LookupKeyModel.findById(idOf(kind, value)).lean()
  return doc?.ref
}

/** The key's target and when it was recorded (for keys that expire, e.g. a remembered miss). */
export async function lookupKeyEntry(
  kind: LookupKind,
  value: string,
): Promise<{ ref: string; at: Date } | undefined> {
  const doc = await LookupKeyModel.findById(idOf(kind, value)).lean()
  return doc ? { ref: doc.ref, at: doc.at } : undefined
}

/**
 * Claims the key for `ref` by a unique insert: exactly one concurrent caller wins. Returns the id the
 * key points at after the call — `ref` for the winner, the earlier claimant's id for everyone else.
 */
export async function claimKey(
  kind: LookupKind,
  value: string,
  ref: string,
  at = new Date(),
): Promise<{ claimed: boolean; ref: string }> {
  try {
    await insertKey({ _id: idOf(kind, value), ref, at })
    return { claimed: true, ref }
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err
    const existing = await lookupKey(kind, value)
    if (existing === undefined) throw err
    return { claimed: false, ref: existing }
  }
}

/** Points the key at `ref`, replacing what it pointed at (a cache the reader verifies). */
export async function putKey(kind: LookupKind, value: string, ref: string, at = new Date()): Promise<void> {
  try {
    await LookupKeyModel.replaceOne({ _id: idOf(kind, value) }, { ref, at }, { upsert: true })
  } catch (err) {
    // Two upserts of the same key at once: one inserted it, the other lost the race (FerretDB does not
    // retry an upsert that hits the unique _id the way MongoDB does). The key exists now: replace it.
    if (!isDuplicateKeyError(err)) throw err
    await LookupKeyModel.replaceOne({ _id: idOf(kind, value) }, { ref, at })
  }
}

/**
 * Moves a key from `from` to `to` only while it still points at `from` (a stale claim taken over);
 * false when someone else moved it first.
 */
export async function moveKey(
  kind: LookupKind,
  value: string,
  from: string,
  to: string,
  at = new Date(),
): Promise<boolean> {
  const res = await LookupKeyModel.updateOne({ _id: idOf(kind, value), ref: from }, { $set: { ref: to, at } })
  return res.modifiedCount === 1
}

/** Forgets the key (its target is gone or no longer carries the value). */
export async function dropKey(kind: LookupKind, value: string): Promise<void> {
  await LookupKeyModel.deleteOne({ _id: idOf(kind, value) })
}
