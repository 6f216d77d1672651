import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { topicVersioned } from './cache-version.model.js'

/**
 * A case 工单: one per real-world problem, whatever channel it came through. Created only by
 * `caseService.open`; every later change is made by the case service while it holds the
 * `case:<id>` lock and appends one timeline entry.
 */

export const CASE_CHANNELS = ['group', 'direct', 'miniprogram', 'walk_in', 'cli', 'open311', 'kb'] as const
export type CaseChannel = (typeof CASE_CHANNELS)[number]

export const CASE_STATUSES = [
  'received', // stored, not yet routed, or waiting in a queue (see `heldAt` and `ownerOf`)
  'posted', // department level: offered to departments, waiting for a claim (社区下单、部门抢单)
  'assigned', // a grid worker / community staff member / claiming department owns it
  'in_progress',
  'resolved', // handled; waiting for the reporter's rating or the follow-up window
  'closed',
  'merged', // folded into another case (mergedInto)
  'rejected', // not a real request / out of scope
] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

/** Statuses in which a case still needs someone to act (dedupe, workload, SLA look only at these). */
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ['received', 'posted', 'assigned', 'in_progress']

export const CASE_URGENCIES = ['urgent', 'normal'] as const
export type CaseUrgency = (typeof CASE_URGENCIES)[number]

export const CASE_LEVELS = ['grid', 'community', 'department'] as const
export type CaseLevel = (typeof CASE_LEVELS)[number]

export const ACTOR_ROLES = [
  'resident',
  'grid_worker',
  'community_staff',
  'department_staff',
  'admin',
  'street_staff',
  'intake_desk',
  'system',
] as const
export type CaseActorRole = (typeof ACTOR_ROLES)[number]

export const TIMELINE_ACTIONS = [
  'opened',
  'subscribed', // another reporter of the same problem joined
  'assigned',
  'posted',
  'claimed',
  'auto_dispatched', // claim window passed, default department
  'accepted',
  'progress',
  'comment',
  'transferred',
  'returned',
  'escalated',
  'resolved',
  'rated',
  'reopened',
  'rework', // a low rating (1–2) sent the resolved case back to its handler (不满意重办)
  'closed',
  'merged',
  'merged_from', // on the target: another case was merged in
  'rejected',
  'notified',
  'held', // waiting in a queue (the community's, or the intake desk's) with nobody assigned
  'relocated', // its place became known (or changed) and it was routed again
  'called_back', // staff phoned the reporter back (电话回访), see `callbacks`
  'volunteer_needed', // flagged 需要志愿者: a volunteer need was posted from the case, see `volunteerNeed`
  'volunteer_update', // the need's outcome: a volunteer took it, finished it, or it was cancelled
] as const
export type TimelineAction = (typeof TIMELINE_ACTIONS)[number]

const attachmentSchema = new Schema(
  {
    kind: { type: String, enum: ['image', 'voice', 'file'], required: true },
    /** A URL or a storage reference (e.g. a Wechaty file id). */
    ref: { type: String, required: true },
    name: { type: String, default: '' },
  },
  { _id: false },
)

const subscriberSchema = new Schema(
  {
    personId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    contactId: String,
    roomId: String,
    channel: { type: String, enum: CASE_CHANNELS, required: true },
    /** The report that made them a subscriber; a replay of it finds this case again. */
    sourceKey: String,
    at: { type: Date, required: true },
  },
  { _id: false },
)

const timelineSchema = new Schema(
  {
    at: { type: Date, required: true },
    actorId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    actorRole: { type: String, enum: ACTOR_ROLES, required: true },
    action: { type: String, enum: TIMELINE_ACTIONS, required: true },
    note: String,
    attachments: { type: [attachmentSchema], default: undefined },
    from: String,
    to: String,
  },
  { _id: false },
)

/** Queues a case can wait in when no single handler has it (see `ownerOf`). */
export const CASE_QUEUES = ['community', 'intake_desk'] as const
export type CaseQueue = (typeof CASE_QUEUES)[number]

const heldAtSchema = new Schema(
  {
    /** `community`: its duty staff dispatch it (after a return); `intake_desk`: 受理窗口. */
    queue: { type: String, enum: CASE_QUEUES, required: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community' },
    /** `no_place` (no community known), `no_staff` (nobody on duty there), `returned`. */
    reason: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { _id: false },
)

const ratingSchema = new Schema(
  {
    score: { type: Number, min: 1, max: 5, required: true },
    comment: String,
    at: { type: Date, required: true },
    byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    byContactId: String,
  },
  { _id: false },
)

/** A call-back (电话回访) by community staff after a low rating or none. */
const callbackSchema = new Schema(
  {
    at: { type: Date, required: true },
    byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    /** Whether the resident was reached by phone. */
    reached: { type: Boolean, required: true },
    /** Whether the resident was content (only when reached). */
    satisfied: { type: Boolean, default: undefined },
    note: { type: String, required: true },
  },
  { _id: false },
)

/** Who claimed a posted case (抢单), recorded when it happened. */
const claimSchema = new Schema(
  {
    departmentId: { type: Schema.Types.ObjectId, ref: 'Department', required: true },
    byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    at: { type: Date, required: true },
  },
  { _id: false },
)

const caseSchema = new Schema(
  {
    /** Human-readable: YYMMDD-NNNN (Asia/Shanghai day + daily sequence), e.g. 261128-0042. */
    number: { type: String, required: true, unique: true },
    /** Idempotency key of the report (chat message id, mini-program request id, cli:<uuid> …). */
    sourceKey: { type: String, required: true, unique: true },
    channel: { type: String, enum: CASE_CHANNELS, required: true },
    reporterId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    /** Where replies to the reporter go (no phone numbers are kept on the case). */
    reporter: { contactId: String, roomId: String },
    /** Reported by a proxy (代办) for this household; `actedById` is the proxy who acted. */
    proxyFor: {
      type: new Schema({ householdId: Schema.Types.ObjectId }, { _id: false }),
      default: undefined,
    },
    actedById: { type: Schema.Types.ObjectId, ref: 'Resident' },
    subscribers: { type: [subscriberSchema], default: [] },
    category: { type: String, required: true },
    urgency: { type: String, enum: CASE_URGENCIES, default: 'normal' },
    isRequest: { type: Boolean, default: true },
    /** Handling level decided by the responsibility list at routing time. */
    level: { type: String, enum: CASE_LEVELS },
    location: {
      communityId: { type: Schema.Types.ObjectId, ref: 'Community' },
      gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
      householdId: { type: Schema.Types.ObjectId, ref: 'Household' },
      building: { type: String, default: '' },
      unit: { type: String, default: '' },
      room: { type: String, default: '' },
      text: { type: String, default: '' },
      /** The point sent with the report (WeChat location, Open311 lat/long), WGS-84 degrees. */
      coords: { lng: Number, lat: Number },
    },
    /**
     * `location.communityId` and `location.gridId` again at the top level, kept in step by the hooks
     * below (see `mirrorPlace`): FerretDB pushes down only top-level equalities, so the community's and
     * the grid's lists filter on these, never on the dotted paths.
     */
    communityId: { type: Schema.Types.ObjectId, ref: 'Community' },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    /** As the resident wrote it; views mask personal numbers. */
    description: { type: String, required: true },
    attachments: { type: [attachmentSchema], default: [] },
    status: { type: String, enum: CASE_STATUSES, required: true, default: 'received' },
    escalationLevel: { type: Number, default: 0 },
    reopenedCount: { type: Number, default: 0 },
    /** Times a low rating sent the case back for re-work (不满意重办); statistics read it (重办率). */
    reworkCount: { type: Number, default: 0 },
    assigneeId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    /**
     * The assignee while the case is open work for them (assigned or in progress), else absent: a
     * worker's open workload is the count of cases with their id here — one indexed equality, kept
     * in the same write as the case (see case.workload.ts).
     */
    holderId: { type: Schema.Types.ObjectId, ref: 'Resident', index: true },
    /**
     * True while the case is open and nobody handles it (held at a queue, or received with no assignee
     * and no department), else absent: the intake desk's list and the board's 无人负责 filter are one
     * indexed equality on it, kept in the same write as the case (see case.workload.ts).
     */
    unowned: { type: Boolean, default: undefined },
    /**
     * Set while the case is held at a queue: the intake desk (its assignee, when set, is a desk
     * member or an admin) or its community's dispatch queue. Cleared when the case is relocated.
     */
    heldAt: { type: heldAtSchema, default: undefined },
    /** The department that claimed (or was given) the case. */
    departmentId: { type: Schema.Types.ObjectId, ref: 'Department' },
    postedDepartmentIds: { type: [Schema.Types.ObjectId], ref: 'Department', default: [] },
    claimDeadline: Date,
    /** When the case was last offered to departments (社区下单 or routing). */
    postedAt: Date,
    /** The claim that took the posted case (抢单); cleared when the case is posted again. */
    claimedBy: { type: claimSchema, default: undefined },
    /** Call-backs (电话回访) recorded by staff, oldest first. */
    callbacks: { type: [callbackSchema], default: [] },
    /** Flagged 需要志愿者: the volunteer need posted from this case (one per case). */
    volunteerNeed: {
      type: new Schema(
        {
          needId: { type: Schema.Types.ObjectId, ref: 'VolunteerNeed', required: true },
          code: { type: String, required: true },
          skill: { type: String, required: true },
          byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
          at: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
    deadlines: { respondBy: Date, resolveBy: Date },
    respondedAt: Date,
    resolvedAt: Date,
    closedAt: Date,
    /** The reporter's rating (the one statistics use); `ratings` holds everyone's. */
    rating: { type: ratingSchema, default: undefined },
    ratings: { type: [ratingSchema], default: [] },
    /** Number of the case this one was merged into. */
    mergedInto: String,
    timeline: { type: [timelineSchema], default: [] },
    /** Set by the service from its clock (not mongoose timestamps), so tests and stats agree on time. */
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
caseSchema.index({ status: 1, 'deadlines.resolveBy': 1 })
caseSchema.index({ assigneeId: 1, status: 1 })
// A community's cases in a period (statistics, trends, hot spots), and its board newest first.
caseSchema.index({ communityId: 1, createdAt: -1 })
caseSchema.index({ communityId: 1, _id: -1 })
// A community's or a grid's cases in one status, newest first (the board's columns, the map, a grid's list).
caseSchema.index({ communityId: 1, status: 1, _id: -1 })
caseSchema.index({ gridId: 1, status: 1, _id: -1 })
caseSchema.index({ reporterId: 1, createdAt: -1 })
caseSchema.index({ 'reporter.contactId': 1 })
caseSchema.index({ 'subscribers.personId': 1 })
caseSchema.index({ 'subscribers.sourceKey': 1 })
caseSchema.index({ postedDepartmentIds: 1, status: 1 })
caseSchema.index({ departmentId: 1, status: 1 })
caseSchema.index({ status: 1, claimDeadline: 1 })
caseSchema.index({ unowned: 1, communityId: 1, _id: -1 }, { sparse: true })
mirrorPlace(caseSchema)
// Lists kept in memory (a person's cases) are served only while no case changed anywhere.
caseSchema.plugin(topicVersioned('cases'))

/** The top-level keys a case with this location carries: its community and grid ids, when known. */
export function placeKeysOf(location: { communityId?: unknown; gridId?: unknown } | null | undefined): {
  communityId?: Types.ObjectId
  gridId?: Types.ObjectId
} {
  const keys: { communityId?: Types.ObjectId; gridId?: Types.ObjectId } = {}
  for (const k of PLACE_KEYS) {
    const v = location?.[k]
    if (v != null && v !== '') keys[k] = v as Types.ObjectId
  }
  return keys
}

export const PLACE_KEYS = ['communityId', 'gridId'] as const

/**
 * Keeps the top-level `communityId` / `gridId` equal to `location.communityId` / `location.gridId` on
 * every write through the model: a new document (save, create, insertMany) and an update that sets
 * the whole `location` or one of its two ids (`$set` or `$unset`). Raw driver writes are not seen:
 * the `case-indexes` job fills what they (and cases stored before these keys) left out.
 */
function mirrorPlace(schema: Schema): void {
  schema.pre('validate', function () {
    const doc = this as unknown as { location?: Record<string, unknown>; set(k: string, v: unknown): void }
    const keys = placeKeysOf(doc.location)
    for (const k of PLACE_KEYS) doc.set(k, keys[k] ?? undefined)
  })
  schema.pre('insertMany', (docs: unknown) => {
    for (const d of (Array.isArray(docs) ? docs : [docs]) as Record<string, unknown>[]) {
      if (!d || typeof d !== 'object' || typeof (d as { $isNew?: unknown }).$isNew === 'boolean') continue
      const keys = placeKeysOf(d.location as Record<string, unknown> | undefined)
      for (const k of PLACE_KEYS) {
        if (keys[k]) d[k] = keys[k]
        else delete d[k]
      }
    }
  })
  for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate'] as const)
    schema.pre(op, function () {
      const update = this.getUpdate() as Record<string, Record<string, unknown> | undefined> | null
      if (!update || Array.isArray(update)) return
      mirrorUpdate(update)
    })
}

/** Adds to an update the top-level place keys its `location` changes imply. */
export function mirrorUpdate(update: Record<string, Record<string, unknown> | undefined>): void {
  const set = update.$set ?? {}
  const unset = update.$unset ?? {}
  update.$set = set
  update.$unset = unset
  const whole = 'location' in set ? placeKeysOf(set.location as Record<string, unknown>) : undefined
  for (const k of PLACE_KEYS) {
    const path = `location.${k}`
    const value = whole ? whole[k] : path in set ? set[path] : path in unset ? null : undefined
    if (value === undefined && !whole) continue
    if (value != null && value !== '') {
      set[k] = value
      delete unset[k]
    } else {
      unset[k] = ''
      delete set[k]
    }
  }
  if (Object.keys(set).length === 0) delete update.$set
  if (Object.keys(unset).length === 0) delete update.$unset
}

export const CaseModel = model('Case', caseSchema, 'cases')
export type CaseDoc = InferSchemaType<typeof caseSchema> & { _id: Types.ObjectId }
export type CaseAttachment = InferSchemaType<typeof attachmentSchema>
export type CaseTimelineEntry = InferSchemaType<typeof timelineSchema>

/** Statuses in which nobody needs to act any more: such a case needs no owner. */
export const FINISHED_CASE_STATUSES: readonly CaseStatus[] = ['closed', 'merged', 'rejected']

/**
 * Who owns a case — who must act on it now. In order: the assignee (a grid worker, community duty
 * staff, an intake-desk member or, as a last resort, an admin); the department that claimed or was
 * given it; the departments it is posted to, while their claim window runs (the scheduler then gives
 * it to the default department); the queue it is held at (the intake desk, or its community's
 * dispatch queue after a return), whose members were alerted.
 */
export type CaseOwner =
  | { kind: 'person'; personId: string; queue?: CaseQueue }
  | { kind: 'department'; departmentId: string }
  | { kind: 'posted'; departmentIds: string[]; claimDeadline: Date }
  | { kind: 'queue'; queue: CaseQueue; communityId?: string }

type OwnedParts = Pick<
  CaseDoc,
  'status' | 'assigneeId' | 'departmentId' | 'postedDepartmentIds' | 'claimDeadline' | 'heldAt'
>

/** The owner of a case, or undefined when nobody has it (which must never last: see `hasOwner`). */
export function ownerOf(c: OwnedParts): CaseOwner | undefined {
  const queue = c.heldAt?.queue
  if (c.assigneeId) return { kind: 'person', personId: String(c.assigneeId), ...(queue ? { queue } : {}) }
  if (c.departmentId) return { kind: 'department', departmentId: String(c.departmentId) }
  const posted = c.postedDepartmentIds ?? []
  if (c.status === 'posted' && posted.length > 0 && c.claimDeadline)
    return { kind: 'posted', departmentIds: posted.map(String), claimDeadline: c.claimDeadline }
  if (queue) {
    const communityId = c.heldAt?.communityId ? String(c.heldAt.communityId) : undefined
    return { kind: 'queue', queue, ...(communityId ? { communityId } : {}) }
  }
  return undefined
}

/** The invariant every case keeps: finished, or owned by someone (see `ownerOf`). */
export function hasOwner(c: OwnedParts): boolean {
  return FINISHED_CASE_STATUSES.includes(c.status) || ownerOf(c) !== undefined
}
