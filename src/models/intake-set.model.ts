import { model, Schema } from 'mongoose'

/**
 * The cases recently opened under one intake key (a grid and a category, or a community and a
 * category): what a new report is compared with to find a duplicate. Read and written only under the
 * intake lock of its key, by `_id`, so a new report costs a few indexed reads instead of a search
 * through every case ever opened (which FerretDB's SQLite backend would scan in full).
 */
const intakeSetSchema = new Schema(
  {
    _id: { type: String, required: true },
    cases: {
      type: [
        {
          _id: false,
          caseId: { type: Schema.Types.ObjectId, required: true },
          at: { type: Date, required: true },
          /** What a new report is compared with, so only a likely duplicate is read in full. */
          text: String,
          building: String,
          unit: String,
          room: String,
        },
      ],
      default: [],
    },
  },
  { versionKey: false },
)

export const IntakeSetModel = model('IntakeSet', intakeSetSchema, 'intake_sets')

/**
 * One case opened under an intake key, written before the case itself: `_id` is `<key>#<n>`, the
 * set's next slot, so two reports of one problem at once cannot both open a case — the second one's
 * insert of the same slot fails, and it reads the set again and finds the first. A new report reads
 * its key's entries by the top-level `set` (one equality); entries past the duplicate window are
 * deleted by the case-indexes job. Replaces `intake_sets` (moved by that job).
 */
const intakeEntrySchema = new Schema(
  {
    _id: { type: String, required: true },
    set: { type: String, required: true, index: true },
    seq: { type: Number, required: true },
    caseId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
    /** When the entry was written, by this host's clock: a case still missing long after is not coming. */
    writtenAt: { type: Date, required: true },
    text: String,
    building: String,
    unit: String,
    room: String,
  },
  { versionKey: false },
)

export const IntakeEntryModel = model('IntakeEntry', intakeEntrySchema, 'intake_entries')
