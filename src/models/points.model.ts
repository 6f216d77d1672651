import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { ResidentModel } from './registry.model.js'

/** Why points moved. Earning reasons count towards the monthly cap; the others do not. */
export const POINTS_REASONS = [
  'report_verified',
  'rating_given',
  'volunteer_hours',
  'event_checkin',
  'reversal',
  'manual_adjust',
  /** A staff award under a configured rule of a kind (points.kinds.<kind>.rules). */
  'award',
  /** Points spent in the shop (积分商城); refunded by a reversal. */
  'redemption',
] as const
export type PointsReason = (typeof POINTS_REASONS)[number]

/** The reasons a person earns points for (积分赋能); capped per person and month. */
export const EARNING_REASONS = [
  'report_verified',
  'rating_given',
  'volunteer_hours',
  'event_checkin',
] as const
export type EarningReason = (typeof EARNING_REASONS)[number]

/** The kinds of points: 活动积分 (activity, the default) and 品德积分 (conduct). */
export const POINTS_KINDS = ['activity', 'conduct'] as const
export type PointsKind = (typeof POINTS_KINDS)[number]

/**
 * One movement of a person's points (积分). The ledger is append-only: a balance is the sum of a
 * person's entries, a correction is a new entry. `refKey` is unique and names the event that earned
 * the points (`report:<caseId>`, `rating:<caseId>`, `checkin:<eventId>:<personId>` …), so a replayed
 * handler or job never credits twice; the unique insert decides it even on FerretDB.
 */
const pointsEntrySchema = new Schema(
  {
    personId: { type: Schema.Types.ObjectId, ref: 'Resident', required: true },
    delta: { type: Number, required: true },
    /** Which points moved; entries written before kinds existed have none and count as activity. */
    kind: { type: String, enum: POINTS_KINDS, default: 'activity' },
    reason: { type: String, enum: POINTS_REASONS, required: true },
    refKey: { type: String, required: true, unique: true },
    refs: {
      caseId: String,
      eventId: String,
    },
    /** 'YYYY-MM' of `at` in the service's time zone (Asia/Shanghai): the month the cap applies to. */
    month: { type: String, required: true },
    /**
     * `<gridId>:<month>` of the person's grid when the entry was written: a grid's leaderboard is one
     * indexed equality on it (see `gridMonthKey`). Absent for someone with no grid.
     */
    gridMonth: String,
    at: { type: Date, required: true },
    /** Staff who made a manual adjustment or reversal. */
    byId: { type: Schema.Types.ObjectId, ref: 'Resident' },
    note: String,
  },
  { versionKey: false },
)
pointsEntrySchema.index({ personId: 1, month: 1 })
pointsEntrySchema.index({ personId: 1, at: -1, _id: -1 })
/** Whose points moved in a month (the monthly statements). */
pointsEntrySchema.index({ month: 1 })
pointsEntrySchema.index({ gridMonth: 1 }, { sparse: true })

/** The leaderboard key of a grid and month. */
export const gridMonthKey = (gridId: unknown, month: string): string => `${String(gridId)}:${month}`

// Every entry records the grid its person lives in as it is written (one read by `_id`), so a grid's
// board never reads the whole ledger. Entries are written with `create` (save middleware runs).
pointsEntrySchema.pre('save', async function () {
  if (this.gridMonth || !this.personId) return
  const person = await ResidentModel.findById(this.personId, { gridId: 1 }).lean()
  if (person?.gridId) this.gridMonth = gridMonthKey(person.gridId, this.month)
})

export const PointsEntryModel = model('PointsEntry', pointsEntrySchema, 'points_ledger')
export type PointsEntry = InferSchemaType<typeof pointsEntrySchema> & { _id: Types.ObjectId }
