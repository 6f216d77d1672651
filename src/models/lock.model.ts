import { model, Schema } from 'mongoose'

/**
 * A held lock or lease. Its `_id` is the lock's key: inserting a document is the one write that is
 * atomic on every server Linli runs on (FerretDB's SQLite backend does not make conditional
 * updates atomic), so whoever inserts it holds it until it is deleted or expires.
 */
const lockSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const LockModel = model('Lock', lockSchema, 'locks')

/** A named monotonic counter (case numbers); only ever changed while its lock is held. */
const counterSchema = new Schema(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  { versionKey: false },
)

export const CounterModel = model('Counter', counterSchema, 'counters')
