import { randomInt } from 'node:crypto'
import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { describeIssues, InvalidInputError, isDuplicateKeyError, NotFoundError } from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import { type EventDoc, EventModel, EventSignupModel } from '../../models/event.model.js'
import { GridModel, ResidentModel } from '../../models/registry.model.js'
import { roomsInScope } from '../notices/audience.js'
import type { Outbox } from '../outbox/outbox.service.js'
import type { PointsService } from '../points/points.service.js'
import { type Roster, rosterOf } from './event.roster.js'
import { createSignups } from './event.signup.js'
import { eventCancelledText, eventChangedText } from './event.texts.js'
import { parseEventTime } from './event.time.js'
import {
  assertCanManage,
  type EventView,
  type SignupView,
  type StaffActor,
  toEventView,
} from './event.views.js'

const ObjectIdString = z.string({ error: '编号要是文字' }).regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
const TimeInput = z.union([z.date(), z.string().min(1).max(40).meta({ format: 'date-time' })], {
  error: '时间格式不正确，请写成 2026-12-01 09:30',
})
const Offsets = z
  .array(
    z
      .number({ error: '提醒时间要写成提前多少分钟' })
      .int('提醒时间要是整数分钟')
      .positive('提醒时间要在活动开始之前')
      .max(14 * 1440, '提醒最多提前 14 天'),
    { error: '提醒时间要写成提前多少分钟的列表' },
  )
  .max(5, '最多设置 5 次提醒')

/** What staff fill in for an event, without defaults; every message is the sentence the form shows. */
const EventFields = {
  communityId: ObjectIdString,
  gridIds: z.array(ObjectIdString, { error: '活动范围要是网格列表' }).max(500, '网格太多了'),
  title: z
    .string({ error: '请填写活动名称' })
    .trim()
    .min(1, '请填写活动名称')
    .max(100, '活动名称最多 100 字'),
  description: z.string({ error: '活动介绍要是文字' }).trim().max(2000, '活动介绍最多 2000 字'),
  place: z
    .string({ error: '请填写活动地点' })
    .trim()
    .min(1, '请填写活动地点')
    .max(200, '活动地点最多 200 字'),
  startsAt: TimeInput,
  endsAt: TimeInput,
  capacity: z
    .number({ error: '人数上限要填数字' })
    .int('人数上限要是整数')
    .min(0, '人数上限不能小于 0')
    .max(100_000, '人数上限太大了'),
  signupDeadline: TimeInput,
  remindOffsetsMinutes: Offsets,
  remindRooms: z.boolean({ error: '是否在群里提醒要选“是”或“否”' }),
  volunteerHours: z
    .number({ error: '志愿时长要填数字' })
    .min(0, '志愿时长不能小于 0')
    .max(24, '志愿时长最多 24 小时'),
}

export const EventInput = z.object({
  ...EventFields,
  gridIds: EventFields.gridIds.default([]),
  description: EventFields.description.default(''),
  capacity: EventFields.capacity.default(0),
  signupDeadline: TimeInput.optional(),
  remindOffsetsMinutes: Offsets.optional(),
  remindRooms: EventFields.remindRooms.default(true),
  volunteerHours: EventFields.volunteerHours.default(0),
})
export type EventInput = z.input<typeof EventInput>

/** An edit: only the fields sent change (no defaults, so an edit of the place keeps the grids). */
export const EventPatch = z.object(EventFields).omit({ communityId: true }).partial().strict()
export type EventPatch = z.input<typeof EventPatch>

export interface EventSettings {
  timezone: string
  reminderOffsetsMinutes: number[]
}

export interface EventServiceDeps {
  clock: Clock
  outbox: Outbox
  settings: EventSettings
  /** When given, volunteer check-ins credit points by hours served. */
  points?: Pick<PointsService, 'credit'>
}

export interface EventService {
  create(input: EventInput, actor: StaffActor): Promise<EventView>
  /** Edits an event; a new time or place tells everyone signed up (once per revision). */
  update(id: string, patch: EventPatch, actor: StaffActor): Promise<EventView>
  /** Cancels an event and tells everyone signed up and the groups in scope. */
  cancel(id: string, reason: string, actor: StaffActor): Promise<EventView>
  get(id: string): Promise<EventView>
  /** Upcoming events a resident may join: their community's, and their grid's. */
  listForPerson(personId: string, options?: { limit?: number }): Promise<EventView[]>
  /**
   * A community's events, for staff: `upcoming` (default) those not ended more than a day ago, soonest
   * first; `past` the others, latest first.
   */
  listForCommunity(
    communityId: string,
    options?: { limit?: number; when?: 'upcoming' | 'past' },
  ): Promise<EventView[]>
  signUp(
    eventId: string,
    personId: string,
    options?: { channel?: string },
  ): Promise<SignupView & { already: boolean }>
  /** Cancels a sign-up; the first on the waiting list takes a freed place and is told. */
  cancelSignup(eventId: string, personId: string): Promise<{ cancelled: boolean; promotedPersonId?: string }>
  /** Volunteer check-in with the code shown at the event; credits volunteer hours once. */
  checkIn(
    code: string,
    personId: string,
  ): Promise<{ event: EventView; already: boolean; pointsCredited: number }>
  signups(eventId: string): Promise<SignupView[]>
  /** Who signed up and checked in, with names and homes, for the event's staff. */
  roster(eventId: string): Promise<Roster>
  /** Turns event reminders on or off for a resident (退订提醒 / 开启提醒). */
  setReminders(personId: string, on: boolean): Promise<void>
}

function parse<S extends z.ZodType>(schema: S, input: unknown, message: string): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError(message, describeIssues(result.error.issues))
  return result.data
}

const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
function newCode(): string {
  return Array.from({ length: 6 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('')
}

async function loadEvent(id: string): Promise<EventDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('活动')
  const doc = await EventModel.findById(id).lean<EventDoc>()
  if (!doc) throw new NotFoundError('活动')
  return doc
}

async function countsOf(eventId: Types.ObjectId) {
  const [confirmed, waiting] = await Promise.all([
    EventSignupModel.countDocuments({ eventId, status: 'confirmed' }),
    EventSignupModel.countDocuments({ eventId, status: 'waiting' }),
  ])
  return { confirmed, waiting }
}

export async function viewOf(doc: EventDoc): Promise<EventView> {
  return toEventView(doc, await countsOf(doc._id))
}

/** Event times, checked: a readable time, an end after the start, a deadline before the start. */
function readTimes(
  input: { startsAt?: Date | string; endsAt?: Date | string; signupDeadline?: Date | string },
  current: Partial<Pick<EventDoc, 'startsAt' | 'endsAt' | 'signupDeadline'>>,
  timeZone: string,
) {
  const read = (v: Date | string | undefined, label: string) => {
    if (v === undefined) return undefined
    const d = v instanceof Date ? v : parseEventTime(v, timeZone)
    if (!d || Number.isNaN(d.getTime()))
      throw new InvalidInputError(`${label}格式不正确，请写成 2026-12-01 09:30`)
    return d
  }
  const startsAt = read(input.startsAt, '开始时间') ?? current.startsAt
  const endsAt = read(input.endsAt, '结束时间') ?? current.endsAt
  const signupDeadline = read(input.signupDeadline, '报名截止时间') ?? current.signupDeadline ?? undefined
  if (!startsAt || !endsAt) throw new InvalidInputError('请填写活动的开始和结束时间')
  if (endsAt <= startsAt) throw new InvalidInputError('结束时间要晚于开始时间')
  if (signupDeadline && signupDeadline > startsAt) throw new InvalidInputError('报名截止时间不能晚于活动开始')
  return { startsAt, endsAt, signupDeadline }
}

async function assertGridsInCommunity(communityId: string, gridIds: string[]): Promise<void> {
  if (gridIds.length === 0) return
  const found = await GridModel.countDocuments({
    _id: { $in: gridIds.map((g) => new Types.ObjectId(g)) },
    communityId: new Types.ObjectId(communityId),
  })
  if (found !== new Set(gridIds).size) throw new InvalidInputError('所选网格不属于该社区')
}

/** Neighbourhood events 活动: planning, sign-ups with a waiting list, check-in, change notices. */
export function createEventService(deps: EventServiceDeps): EventService {
  const tz = deps.settings.timezone
  const signups = createSignups(deps)

  async function create(raw: EventInput, actor: StaffActor): Promise<EventView> {
    const input = parse(EventInput, raw, '活动信息不完整或格式不正确')
    assertCanManage(actor, input.communityId, input.gridIds)
    await assertGridsInCommunity(input.communityId, input.gridIds)
    const times = readTimes(input, {}, tz)
    const now = deps.clock.now()
    if (times.startsAt <= now) throw new InvalidInputError('活动开始时间已经过去了')
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await EventModel.create({
          ...input,
          ...times,
          gridIds: input.gridIds.map((g) => new Types.ObjectId(g)),
          remindOffsetsMinutes: input.remindOffsetsMinutes ?? deps.settings.reminderOffsetsMinutes,
          code: newCode(),
          checkinCode: newCode(),
          createdBy: new Types.ObjectId(actor.personId),
          createdAt: now,
          updatedAt: now,
        })
        return viewOf(doc.toObject() as EventDoc)
      } catch (err) {
        if (!isDuplicateKeyError(err) || attempt >= 5) throw err
      }
    }
  }

  async function notifyChanged(doc: EventDoc, text: string, tag: string): Promise<void> {
    const people = await EventSignupModel.find({
      eventId: doc._id,
      status: { $in: ['confirmed', 'waiting'] },
    }).lean()
    await deps.outbox.enqueueMany(
      people.map((s) => ({
        key: `event:${doc._id}:${tag}:${s.personId}`,
        to: { type: 'person' as const, id: String(s.personId) },
        text,
        kind: 'event',
        refs: { eventId: String(doc._id) },
      })),
    )
  }

  async function update(id: string, rawPatch: EventPatch, actor: StaffActor): Promise<EventView> {
    const patch = parse(EventPatch, rawPatch, '活动信息格式不正确')
    const { doc, moved } = await withLock(`event:${id}`, async () => {
      const current = await loadEvent(id)
      assertCanManage(actor, String(current.communityId), (current.gridIds ?? []).map(String))
      if (current.status === 'cancelled') throw new InvalidInputError('活动已取消，不能再修改')
      const gridIds = patch.gridIds ?? (current.gridIds ?? []).map(String)
      await assertGridsInCommunity(String(current.communityId), gridIds)
      const times = readTimes(patch, current, tz)
      const moved =
        times.startsAt.getTime() !== current.startsAt.getTime() ||
        times.endsAt.getTime() !== current.endsAt.getTime() ||
        (patch.place !== undefined && patch.place !== current.place)
      const set = {
        ...patch,
        ...times,
        gridIds: gridIds.map((g) => new Types.ObjectId(g)),
        revision: (current.revision ?? 0) + (moved ? 1 : 0),
        updatedAt: deps.clock.now(),
      }
      await EventModel.updateOne({ _id: current._id }, { $set: set })
      await signups.promoteWaiting(current._id)
      return { doc: await loadEvent(id), moved }
    })
    if (moved) await notifyChanged(doc, eventChangedText(doc, tz), `moved:${doc.revision}`)
    return viewOf(doc)
  }

  async function cancel(id: string, reason: string, actor: StaffActor): Promise<EventView> {
    const why = parse(z.string().trim().max(200), reason ?? '', '取消原因太长了')
    const doc = await withLock(`event:${id}`, async () => {
      const current = await loadEvent(id)
      assertCanManage(actor, String(current.communityId), (current.gridIds ?? []).map(String))
      if (current.status !== 'cancelled') {
        await EventModel.updateOne(
          { _id: current._id },
          { $set: { status: 'cancelled', cancelReason: why, updatedAt: deps.clock.now() } },
        )
      }
      return loadEvent(id)
    })
    const text = eventCancelledText(doc, tz)
    await notifyChanged(doc, text, 'cancelled')
    if (doc.remindRooms) {
      const rooms = await roomsInScope({
        communityId: String(doc.communityId),
        gridIds: (doc.gridIds ?? []).map(String),
      })
      await deps.outbox.enqueueMany(
        rooms.map((r) => ({
          key: `event:${doc._id}:cancelled:room:${r.roomId}`,
          to: { type: 'room' as const, id: r.roomId },
          text,
          kind: 'event',
          refs: { eventId: String(doc._id) },
        })),
      )
    }
    return viewOf(doc)
  }

  async function listUpcoming(
    filter: Record<string, unknown>,
    limit = 20,
    when: 'upcoming' | 'past' = 'upcoming',
  ): Promise<EventView[]> {
    const since = new Date(deps.clock.now().getTime() - 24 * 3600_000)
    const past = when === 'past'
    const docs = await EventModel.find({ ...filter, endsAt: past ? { $lt: since } : { $gte: since } })
      .sort({ startsAt: past ? -1 : 1 })
      .limit(Math.min(Math.max(limit, 1), 100))
      .lean<EventDoc[]>()
    return Promise.all(docs.map(viewOf))
  }

  async function listForPerson(personId: string, options: { limit?: number } = {}): Promise<EventView[]> {
    if (!Types.ObjectId.isValid(personId)) throw new NotFoundError('居民')
    const person = await ResidentModel.findById(personId, { communityId: 1, gridId: 1, staff: 1 }).lean()
    if (!person) throw new NotFoundError('居民')
    const communityIds = [person.communityId, ...(person.staff?.communityIds ?? [])].filter(Boolean)
    if (communityIds.length === 0) return []
    const gridClause = person.gridId ? [{ gridIds: person.gridId }] : []
    return listUpcoming(
      {
        communityId: { $in: communityIds },
        status: 'scheduled',
        $or: [{ gridIds: { $size: 0 } }, ...gridClause],
      },
      options.limit,
    )
  }

  return {
    create,
    update,
    cancel,
    get: async (id) => viewOf(await loadEvent(id)),
    listForPerson,
    listForCommunity: (communityId, options = {}) => {
      if (!Types.ObjectId.isValid(communityId)) throw new NotFoundError('社区')
      return listUpcoming({ communityId: new Types.ObjectId(communityId) }, options.limit, options.when)
    },
    signUp: (eventId, personId, options) => signups.signUp(eventId, personId, options?.channel),
    cancelSignup: (eventId, personId) => signups.cancelSignup(eventId, personId),
    checkIn: async (code, personId) => {
      const result = await signups.checkIn(code, personId)
      return { ...result, event: await viewOf(result.event) }
    },
    signups: (eventId) => signups.list(eventId),
    roster: async (eventId) => rosterOf((await loadEvent(eventId))._id),
    setReminders: async (personId, on) => {
      if (!Types.ObjectId.isValid(personId)) throw new NotFoundError('居民')
      const res = await ResidentModel.updateOne({ _id: personId }, { $set: { 'preferences.reminders': on } })
      if (res.matchedCount === 0) throw new NotFoundError('居民')
    },
  }
}

export { loadEvent }
