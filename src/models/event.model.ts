import { type InferSchemaType, model, Schema, type Types } from 'mongoose'

export const EVENT_STATUSES = ['scheduled', 'cancelled'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/**
 * A neighbourhood event 活动 (邻里节, 议事会, volunteer day, health check) for a community or some of
 * its grids. `revision` grows when the time changes, so reminders and "moved" notes of each version
 * have their own outbox keys. Changed only under the `event:<id>` lock.
 */
const eventSchema = new Schema(
  {
    communityId: { type: Schema.Types.ObjectId, ref: 'Community', required: true },
    /** Empty: the whole community. */
    gridIds: { type: [Schema.Types.ObjectId], ref: 'Grid', default: [] },
    title: { type: String, required: true },
    description: { type: String, default: '' },
    place: { type: String, required: true },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    /** 0: no limit. */
    capacity: { type: Number, default: 0 },
    signupDeadline: Date,
    /** The event's public short code: residents sign up with it (报名 <code>); unique among events. */
    code: { type: String, required: true, unique: true },
    /**
     * The code shown only at the event (printed by staff) that residents send to check in; it proves
     * presence, so it is never listed to residents. Unique among events.
     */
    checkinCode: { type: String, required: true, unique: true },
    /** Minutes before the start at which reminders go out. */
    remindOffsetsMinutes: { type: [Number], default: [1440, 60] },
    /** Remind the bound groups in scope too, not only those who signed up. */
    remindRooms: { type: Boolean, default: true },
    /** Volunteer hours credited at check-in (0: no points). */
    volunteerHours: { type: Number, default: 0 },
    status: { type: String, enum: EVENT_STATUSES, default: 'scheduled' },
    revision: { type: Number, default: 0 },
    cancelReason: String,
    createdBy: { type: Schema.Types.ObjectId, ref: 'Resident' },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)
eventSchema.index({ status: 1, startsAt: 1 })
eventSchema.index({ communityId: 1, startsAt: 1 })
export const EventModel = model('Event', eventSchema, 'events')
export type EventDoc = InferSchemaType<typeof eventSchema> & { _id: Types.ObjectId }

export const SIGNUP_STATUSES = ['confirmed', 'waiting', 'cancelled'] as const
export type SignupStatus = (typeof SIGNUP_STATUSES)[number]

/**
 * One person's sign-up for one event (unique per pair). `round` counts how often they signed up, so
 * the messages of a second sign-up have keys of their own. Changed only under the event's lock.
 */
const eventSignupSchema = new Schema(
  {
    eventId: { type: Schema.Types.ObjectId, ref: 'Event', required: true },
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    status: { type: String, enum: SIGNUP_STATUSES, required: true },
    /** When the current sign-up was made: the waiting list is served in this order. */
    signedUpAt: { type: Date, required: true },
    round: { type: Number, default: 1 },
    channel: { type: String, default: 'api' },
    promotedAt: Date,
    cancelledAt: Date,
    checkedInAt: Date,
    pointsCredited: { type: Number, default: 0 },
  },
  { versionKey: false },
)
eventSignupSchema.index({ eventId: 1, personId: 1 }, { unique: true })
eventSignupSchema.index({ eventId: 1, status: 1, signedUpAt: 1 })
eventSignupSchema.index({ personId: 1 })
export const EventSignupModel = model('EventSignup', eventSignupSchema, 'event_signups')
export type EventSignupDoc = InferSchemaType<typeof eventSignupSchema> & { _id: Types.ObjectId }
