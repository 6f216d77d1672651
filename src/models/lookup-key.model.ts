import { model, Schema } from 'mongoose'

/**
 * A natural key pointing at a document: `case-source:<sourceKey>` → a case id, `case-number:261128-0042`
 * → a case id, `contact:<wechat contact id>` → a person id, `room:<room id>` → its binding. Reads by `_id` are the only reads FerretDB's
 * SQLite backend answers from an index (every other filter scans the collection), and inserting one is
 * atomic everywhere, so a key is also how exactly one writer claims a natural key.
 */
const lookupKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    ref: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)

export const LookupKeyModel = model('LookupKey', lookupKeySchema, 'lookup_keys')
