import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

/** The skills a volunteer can offer and a need can ask for (config `volunteers.skills` may narrow it). */
export const VOLUNTEER_SKILLS = ['陪诊', '维修', '助餐', '代购', '陪聊', '理发'] as const
export type VolunteerSkill = (typeof VOLUNTEER_SKILLS)[number]

/**
 * A resident who volunteers (志愿者): skills, free text, and when they are free (weekdays 1–7 with
 * Monday 1, and an HH:MM window, Asia/Shanghai). One profile a person.
 */
const volunteerProfileSchema = new Schema(
  {
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true, unique: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community' },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    skills: { type: [String], default: [] },
    note: { type: String, default: '' },
    availability: {
      days: { type: [Number], default: [1, 2, 3, 4, 5, 6, 7] },
      from: { type: String, default: '08:00' },
      to: { type: String, default: '20:00' },
    },
    active: { type: Boolean, default: true },
    channel: { type: String, default: 'api' },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
volunteerProfileSchema.index({ communityId: 1, skills: 1, active: 1 })
export const VolunteerProfileModel = model('VolunteerProfile', volunteerProfileSchema, 'volunteer_profiles')
export type VolunteerProfileDoc = InferSchemaType<typeof volunteerProfileSchema> & { _id: Types.ObjectId }

export const NEED_STATUSES = ['open', 'filled', 'done', 'cancelled'] as const
export type NeedStatus = (typeof NEED_STATUSES)[number]

/**
 * A need for a volunteer (陪老人去医院, 给残疾居民修水龙头), posted by staff or from a case. The
 * description carries no personal data (masked on the way in); the household is a reference only.
 * `offeredTo` records who was offered it, when the offers were queued.
 */
const volunteerNeedSchema = new Schema(
  {
    code: { type: String, required: true, unique: true },
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    gridId: { type: Schema.Types.ObjectId, ref: 'Grid' },
    householdId: { type: Schema.Types.ObjectId, ref: 'Household' },
    building: { type: String, default: '' },
    /** The person helped (who rates it, or their proxy). */
    requesterId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    skill: { type: String, required: true },
    description: { type: String, required: true },
    place: { type: String, default: '' },
    startsAt: { type: Date, required: true },
    volunteersNeeded: { type: Number, default: 1 },
    status: { type: String, enum: NEED_STATUSES, default: 'open' },
    caseId: { type: Schema.Types.ObjectId, ref: 'Case' },
    caseNumber: String,
    offeredTo: {
      type: [new Schema({ personId: Schema.Types.ObjectId, at: Date }, { _id: false })],
      default: [],
    },
    rating: {
      type: new Schema(
        {
          score: { type: Number, min: 1, max: 5, required: true },
          comment: String,
          byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
          /** Set when a proxy rated for the household. */
          proxyForHouseholdId: { type: Schema.Types.ObjectId, ref: 'Household' },
          at: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
    createdById: { type: Schema.Types.ObjectId, ref: 'Resident' },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
volunteerNeedSchema.index({ communityId: 1, createdAt: -1 })
volunteerNeedSchema.index({ caseId: 1 })
export const VolunteerNeedModel = model('VolunteerNeed', volunteerNeedSchema, 'volunteer_needs')
export type VolunteerNeedDoc = InferSchemaType<typeof volunteerNeedSchema> & { _id: Types.ObjectId }

export const ASSIGNMENT_STATUSES = ['accepted', 'checked_in', 'done'] as const

/**
 * A volunteer taking a need. Unique per (need, slot): slot 1 is the only one of a one-volunteer need,
 * so of ten volunteers accepting at once exactly one insert wins; unique per (need, person) too.
 */
const volunteerAssignmentSchema = new Schema(
  {
    needId: { type: Schema.Types.ObjectId, ref: 'VolunteerNeed', required: true },
    slot: { type: Number, required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    status: { type: String, enum: ASSIGNMENT_STATUSES, default: 'accepted' },
    acceptedAt: { type: Date, required: true },
    checkedInAt: Date,
    doneAt: Date,
    hours: Number,
    pointsCredited: { type: Number, default: 0 },
    channel: { type: String, default: 'api' },
  },
  { versionKey: false },
)
volunteerAssignmentSchema.index({ needId: 1, slot: 1 }, { unique: true })
volunteerAssignmentSchema.index({ needId: 1, personId: 1 }, { unique: true })
volunteerAssignmentSchema.index({ personId: 1, status: 1 })
export const VolunteerAssignmentModel = model(
  'VolunteerAssignment',
  volunteerAssignmentSchema,
  'volunteer_assignments',
)
export type VolunteerAssignmentDoc = InferSchemaType<typeof volunteerAssignmentSchema> & {
  _id: Types.ObjectId
}
