import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const POLL_STATUSES = ['open', 'closed'] as const
export type PollStatus = (typeof POLL_STATUSES)[number]
export const VOTE_UNITS = ['household', 'person'] as const
export type VoteUnit = (typeof VOTE_UNITS)[number]
export const RESULTS_VISIBILITY = ['all', 'staff', 'after_close'] as const
export type ResultsVisibility = (typeof RESULTS_VISIBILITY)[number]

/**
 * Who a poll or a 议事 topic is for: a community, narrowed to grids, or a list of households.
 * Group chats carry the announcement for a community or grids; a household list is told one by one.
 */
const audienceSchema = new Schema(
  {
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    gridIds: { type: [Schema.Types.ObjectId], ref: 'Grid', default: [] },
    householdIds: { type: [Schema.Types.ObjectId], ref: 'Household', default: [] },
  },
  { _id: false },
)

/** A poll 投票: one question, numbered options, one vote per household (or person) until the deadline. */
const pollSchema = new Schema(
  {
    /** The short code residents may name in chat (「投票 T4K2 2」) when several polls are open. */
    code: { type: String, required: true, unique: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    audience: { type: audienceSchema, required: true },
    question: { type: String, required: true },
    options: { type: [String], required: true },
    voteUnit: { type: String, enum: VOTE_UNITS, default: 'household' },
    /** At most this many options per vote (1: single choice). */
    maxChoices: { type: Number, default: 1 },
    deadline: { type: Date, required: true },
    resultsVisibleTo: { type: String, enum: RESULTS_VISIBILITY, default: 'after_close' },
    status: { type: String, enum: POLL_STATUSES, default: 'open' },
    closedAt: Date,
    closedBy: { type: Schema.Types.ObjectId, ref: 'Resident' },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)
pollSchema.index({ communityId: 1, createdAt: -1 })
pollSchema.index({ status: 1, deadline: 1 })
export const PollModel = model('Poll', pollSchema, 'polls')
export type PollDoc = InferSchemaType<typeof pollSchema> & { _id: Types.ObjectId }

/**
 * One counted vote. `_id` is `<pollId>:<householdId>` (or `<pollId>:<personId>` for a per-person
 * poll): the insert decides, so a household that votes twice at once is counted once. A vote is not
 * changed afterwards (a second vote is refused politely, naming the first).
 */
const pollVoteSchema = new Schema(
  {
    _id: { type: String, required: true },
    pollId: { type: Schema.Types.ObjectId, ref: 'Poll', required: true },
    choices: { type: [Number], required: true },
    householdId: { type: Schema.Types.ObjectId, ref: 'Household' },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    /** Who cast it (for a household vote: the member who answered). */
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    via: { type: String, default: 'chat' },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
pollVoteSchema.index({ pollId: 1 })
export const PollVoteModel = model('PollVote', pollVoteSchema, 'poll_votes')
export type PollVoteDoc = InferSchemaType<typeof pollVoteSchema> & { _id: string }

export const DELIBERATION_STATUSES = ['open', 'decided'] as const
export type DeliberationStatus = (typeof DELIBERATION_STATUSES)[number]

/** A 议事 topic: residents give opinions in a window; staff record the decision, which is announced. */
const deliberationSchema = new Schema(
  {
    code: { type: String, required: true, unique: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    audience: { type: audienceSchema, required: true },
    title: { type: String, required: true },
    background: { type: String, default: '' },
    opensAt: { type: Date, required: true },
    closesAt: { type: Date, required: true },
    status: { type: String, enum: DELIBERATION_STATUSES, default: 'open' },
    decision: {
      text: String,
      /** What it rests on: 居民议事会表决, a poll, the opinions … */
      basis: String,
      pollId: { type: Schema.Types.ObjectId, ref: 'Poll' },
      decidedBy: { type: Schema.Types.ObjectId, ref: 'Resident' },
      decidedAt: Date,
    },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)
deliberationSchema.index({ communityId: 1, createdAt: -1 })
export const DeliberationModel = model('Deliberation', deliberationSchema, 'deliberations')
export type DeliberationDoc = InferSchemaType<typeof deliberationSchema> & { _id: Types.ObjectId }

/** One resident's opinion on a topic (several allowed; each kept as said, personal numbers masked). */
const opinionSchema = new Schema(
  {
    deliberationId: { type: Schema.Types.ObjectId, ref: 'Deliberation', required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    text: { type: String, required: true },
    via: { type: String, default: 'chat' },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
opinionSchema.index({ deliberationId: 1, at: 1 })
export const OpinionModel = model('DeliberationOpinion', opinionSchema, 'deliberation_opinions')
export type OpinionDoc = InferSchemaType<typeof opinionSchema> & { _id: Types.ObjectId }
