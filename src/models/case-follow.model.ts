import { model, Schema } from 'mongoose'

/**
 * A person follows a case: they reported it, or joined it (a duplicate report, a merge). One document
 * per person and case, `_id` `<personId>:<caseId>`, so writing it twice is harmless and two writers
 * never make two. `cases/mine` and the chat's 我的工单 read a person's follows by one top-level
 * equality on `personId` (newest case first) and then each case by `_id`, instead of a search of every
 * case by `$or` over a dotted array path.
 */
const caseFollowSchema = new Schema(
  {
    _id: { type: String, required: true },
    personId: { type: Schema.Types.ObjectId, required: true },
    caseId: { type: Schema.Types.ObjectId, required: true },
    via: { type: String, enum: ['reporter', 'subscriber'], required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)

caseFollowSchema.index({ personId: 1, caseId: -1 })

export const CaseFollowModel = model('CaseFollow', caseFollowSchema, 'case_follows')
