import { model, Schema } from 'mongoose'

/**
 * A case someone holds open (status assigned or in progress): one document per case, `_id` the case
 * id, naming its assignee. A person's open workload is the count of theirs, by one equality on the
 * indexed `assigneeId` — what routing compares between candidate workers — instead of a count over
 * every case by status. See services/cases/case.workload.ts for why it is kept this way.
 */
const openAssignmentSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    assigneeId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)

openAssignmentSchema.index({ assigneeId: 1 })

export const OpenAssignmentModel = model('OpenAssignment', openAssignmentSchema, 'open_assignments')
