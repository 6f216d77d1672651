import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const JOB_OUTCOMES = ['running', 'ok', 'failed', 'skipped'] as const
export type JobOutcome = (typeof JOB_OUTCOMES)[number]

/**
 * One run of a scheduled job: when it started and ended, how it went and what it did (`counts`).
 * A run that found the job's lease held by another process is recorded as `skipped`.
 */
const jobRunSchema = new Schema(
  {
    name: { type: String, required: true },
    startedAt: { type: Date, required: true },
    endedAt: Date,
    outcome: { type: String, enum: JOB_OUTCOMES, required: true },
    counts: { type: Schema.Types.Mixed, default: {} },
    error: String,
  },
  { versionKey: false, minimize: false },
)
jobRunSchema.index({ name: 1, startedAt: -1 })
export const JobRunModel = model('JobRun', jobRunSchema, 'job_runs')
export type JobRunDoc = InferSchemaType<typeof jobRunSchema> & { _id: Types.ObjectId }

/**
 * One individual piece of scheduled work done once (a reminder, a warning, an escalation). `_id` is
 * its key: the unique insert decides which process does it. `doneAt` is set when the work finished,
 * so a key whose holder crashed before finishing can be taken over after a while.
 */
const jobSentSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    at: { type: Date, required: true },
    doneAt: Date,
  },
  { versionKey: false },
)
jobSentSchema.index({ job: 1, at: 1 })
export const JobSentModel = model('JobSent', jobSentSchema, 'job_sent')
