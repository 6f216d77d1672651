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
