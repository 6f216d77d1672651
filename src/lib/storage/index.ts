/**
 * The storage seam: the few primitives Linli's services use where the embedded server (FerretDB on
 * PostgreSQL or SQLite) differs from MongoDB. Each is one implementation, correct on both: it relies
 * only on what every one of them guarantees — an insert on a unique key is atomic, a read or write by
 * `_id` is exact — and never on `$inc` or conditional updates being atomic (they are not on FerretDB).
 * Services import these from here, not from the files behind it.
 */

/**
 * Inserts that arrive together as one unordered `insertMany` (`batchedInserts`): each caller still
 * learns its own document's fate, a duplicate key included, so unique-key races are decided as by
 * single inserts; under load dozens of commands become one. Correct on every server.
 */
export { BatchedInsertError, batchedInserts } from './insert-batch.js'
/** Who holds a lock: host + pid, so a restarted process breaks the locks of the one it replaces at once. */
export { isDeadLocalOwner, lockOwnerName } from './lock-owner.js'
/**
 * Locks and sequences (`locks`, `counters`). `withLock`/`tryLock`: mutual exclusion by inserting the
 * lock's `_id` — exactly one racing writer's insert succeeds; an expired or dead holder's document is
 * deleted by exactly its owner before retrying. `nextSequence`: case numbers and other sequences, read
 * and written by `_id` under such a lock, because `$inc` loses increments on FerretDB. On MongoDB the
 * same inserts are just as atomic; the lock costs one insert and one delete.
 */
export { type LockOptions, nextSequence, tryLock, withLock } from './locks.js'

/**
 * Lookup keys (`lookup_keys`): a natural key (a report's source key, a case number, a WeChat contact,
 * a room, a building, a WeCom user) pointing at its document, read by `_id`. FerretDB's SQLite backend
 * answers only `{_id}` from an index, so hot reads go through these; `claimKey` is also how one racing
 * writer wins (a unique `_id` insert). On MongoDB the ordinary indexes would do, and the keys stay
 * correct: they are written with the document and repaired by a fallback search on a miss.
 */
export {
  claimKey,
  dropKey,
  type LookupKind,
  lookupKey,
  lookupKeyEntry,
  moveKey,
  putKey,
} from './lookup-keys.js'

/**
 * GIN expression indexes for the embedded PostgreSQL backend: FerretDB pushes a top-level equality
 * down as `_jsonb->'field' @> value`, which only these serve. One declared list (`PG_INDEXED_FIELDS`),
 * created at start; no-ops on MongoDB and SQLite, where the mongoose indexes in src/models serve.
 * test/storage/hot-paths.test.ts checks every hot-path query against both lists.
 */
export { ensurePgIndexes, ferretTables, indexName, PG_INDEXED_FIELDS } from './pg-indexes.js'

/*
 * Maintained counters and keys. A worker's open workload is the case's own `holderId` (written in the
 * same write as the status and assignee, counted by one indexed equality:
 * src/services/cases/case.workload.ts); the cases a person follows are `case_follows` rows (unique-key
 * inserts: src/services/cases/case.follows.ts); a report's duplicate set is `intake_entries` (one
 * unique slot per case). They replace counts and scans over `cases` by status or by dotted subscriber
 * paths, stay next to the case code that writes them, and the `case-indexes` job repairs them. On
 * MongoDB they are exact for the same reason: every write is by `_id` or a unique-key insert.
 */
