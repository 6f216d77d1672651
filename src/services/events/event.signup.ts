import { Types } from 'mongoose'
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import {
  type EventDoc,
  EventModel,
  type EventSignupDoc,
  EventSignupModel,
  type SignupStatus,
} from '../../models/event.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import type { EventServiceDeps } from './event.service.js'
import { promotedText } from './event.texts.js'
import { type SignupView, toSignupView } from './event.views.js'

/** How long before the start and after the end a volunteer may check in. */
const CHECKIN_OPENS_MS = 60 * 60_000
const CHECKIN_CLOSES_MS = 2 * 60 * 60_000
const LOCK = { waitMs: 30_000 }

async function findEvent(id: string): Promise<EventDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('活动')
  const doc = await EventModel.findById(id).lean<EventDoc>()
  if (!doc) throw new NotFoundError('活动')
  return doc
}

async function assertMayJoin(event: EventDoc, personId: string): Promise<void> {
  if (!Types.ObjectId.isValid(personId)) throw new NotFoundError('居民')
  const p = await ResidentModel.findById(personId, {
    communityId: 1,
    gridId: 1,
    staff: 1,
    roles: 1,
    erasedAt: 1,
  }).lean()
  if (!p || p.erasedAt) throw new NotFoundError('居民')
  const community = String(event.communityId)
  // A merchant's verifier login is scoped to its shop items, not to the community's events.
  const merchantOnly =
    (p.roles ?? []).every((r) => r === 'merchant' || r === 'resident') && p.roles?.includes('merchant')
  const isStaff = !merchantOnly && (p.staff?.communityIds ?? []).some((c) => String(c) === community)
  if (isStaff) return
  if (String(p.communityId) !== community) throw new ForbiddenError('该活动仅限本社区居民报名')
  const grids = (event.gridIds ?? []).map(String)
  if (grids.length > 0 && !grids.includes(String(p.gridId)))
    throw new ForbiddenError('该活动仅限指定网格的居民报名')
}

async function waitingPosition(signup: EventSignupDoc): Promise<number> {
  const ahead = await EventSignupModel.countDocuments({
    eventId: signup.eventId,
    status: 'waiting',
    $or: [
      { signedUpAt: { $lt: signup.signedUpAt } },
      { signedUpAt: signup.signedUpAt, _id: { $lt: signup._id } },
    ],
  })
  return ahead + 1
}

/** Sign-ups, the waiting list and check-in; every change runs under the event's lock. */
export function createSignups(deps: EventServiceDeps) {
  const tz = deps.settings.timezone

  /** Moves the earliest waiting sign-ups into free places; call while holding the event's lock. */
  async function promoteWaiting(eventId: Types.ObjectId): Promise<string[]> {
    const event = await EventModel.findById(eventId).lean<EventDoc>()
    if (event?.status !== 'scheduled' || !event.capacity) return []
    const confirmed = await EventSignupModel.countDocuments({ eventId, status: 'confirmed' })
    const free = event.capacity - confirmed
    if (free <= 0) return []
    const next = await EventSignupModel.find({ eventId, status: 'waiting' })
      .sort({ signedUpAt: 1, _id: 1 })
      .limit(free)
      .lean<EventSignupDoc[]>()
    const now = deps.clock.now()
    for (const s of next) {
      await EventSignupModel.updateOne({ _id: s._id }, { $set: { status: 'confirmed', promotedAt: now } })
      await deps.outbox.enqueue({
        key: `event:${eventId}:promoted:${s.personId}:${s.round}`,
        to: { type: 'person', id: String(s.personId) },
        text: promotedText(event, tz),
        kind: 'event',
        refs: { eventId: String(eventId) },
      })
    }
    return next.map((s) => String(s.personId))
  }

  async function signUp(eventId: string, personId: string, channel = 'api') {
    const event = await findEvent(eventId)
    await assertMayJoin(event, personId)
    const now = deps.clock.now()
    if (event.status !== 'scheduled') throw new ConflictError('活动已取消，无法报名')
    if (now >= (event.signupDeadline ?? event.startsAt)) throw new ConflictError('报名已截止')
    return withLock(
      `event:${eventId}`,
      async () => {
        const pid = new Types.ObjectId(personId)
        const existing = await EventSignupModel.findOne({
          eventId: event._id,
          personId: pid,
        }).lean<EventSignupDoc>()
        if (existing && existing.status !== 'cancelled') {
          const position = existing.status === 'waiting' ? await waitingPosition(existing) : undefined
          return { ...toSignupView(existing, position), already: true }
        }
        const fresh = await EventModel.findById(event._id, { capacity: 1, status: 1 }).lean()
        if (fresh?.status !== 'scheduled') throw new ConflictError('活动已取消，无法报名')
        const confirmed = await EventSignupModel.countDocuments({ eventId: event._id, status: 'confirmed' })
        const status: SignupStatus = !fresh.capacity || confirmed < fresh.capacity ? 'confirmed' : 'waiting'
        const fields = { status, signedUpAt: now, channel }
        if (existing) {
          await EventSignupModel.updateOne(
            { _id: existing._id },
            {
              $set: { ...fields, round: (existing.round ?? 1) + 1 },
              $unset: { cancelledAt: 1, promotedAt: 1 },
            },
          )
        } else {
          await EventSignupModel.create({ eventId: event._id, personId: pid, ...fields, round: 1 })
        }
        const doc = (await EventSignupModel.findOne({
          eventId: event._id,
          personId: pid,
        }).lean<EventSignupDoc>()) as EventSignupDoc
        const position = status === 'waiting' ? await waitingPosition(doc) : undefined
        return { ...toSignupView(doc, position), already: false }
      },
      LOCK,
    )
  }

  async function cancelSignup(eventId: string, personId: string) {
    const event = await findEvent(eventId)
    if (!Types.ObjectId.isValid(personId)) throw new NotFoundError('居民')
    return withLock(
      `event:${eventId}`,
      async () => {
        const s = await EventSignupModel.findOne({
          eventId: event._id,
          personId: new Types.ObjectId(personId),
        }).lean()
        if (!s || s.status === 'cancelled') return { cancelled: false }
        await EventSignupModel.updateOne(
          { _id: s._id },
          { $set: { status: 'cancelled', cancelledAt: deps.clock.now() } },
        )
        const promoted = s.status === 'confirmed' ? await promoteWaiting(event._id) : []
        return { cancelled: true, ...(promoted[0] ? { promotedPersonId: promoted[0] } : {}) }
      },
      LOCK,
    )
  }

  async function creditHours(event: EventDoc, signup: EventSignupDoc): Promise<number> {
    if (!deps.points || !event.volunteerHours || signup.pointsCredited) return signup.pointsCredited ?? 0
    const result = await deps.points.credit({
      personId: String(signup.personId),
      reason: 'volunteer_hours',
      refKey: `event:${event._id}:volunteer:${signup.personId}`,
      units: event.volunteerHours,
      refs: { eventId: String(event._id) },
    })
    if (result.credited > 0) {
      await EventSignupModel.updateOne({ _id: signup._id }, { $set: { pointsCredited: result.credited } })
    }
    return result.credited
  }

  async function checkIn(code: string, personId: string) {
    const clean = String(code ?? '')
      .trim()
      .toUpperCase()
    if (!/^[0-9A-Z]{4,8}$/.test(clean)) throw new InvalidInputError('签到码格式不正确')
    const event = await EventModel.findOne({ checkinCode: clean }).lean<EventDoc>()
    if (!event) throw new NotFoundError('该签到码对应的活动')
    if (event.status !== 'scheduled') throw new ConflictError('活动已取消，无法签到')
    const now = deps.clock.now().getTime()
    if (
      now < event.startsAt.getTime() - CHECKIN_OPENS_MS ||
      now > event.endsAt.getTime() + CHECKIN_CLOSES_MS
    ) {
      throw new ConflictError('现在不在签到时间内（活动开始前1小时至结束后2小时）')
    }
    await assertMayJoin(event, personId)
    const { signup, already } = await withLock(
      `event:${event._id}`,
      () => markCheckedIn(event, new Types.ObjectId(personId)),
      LOCK,
    )
    const pointsCredited = await creditHours(event, signup)
    return { event, already, pointsCredited }
  }

  async function markCheckedIn(event: EventDoc, pid: Types.ObjectId) {
    const now = deps.clock.now()
    let s = await EventSignupModel.findOne({ eventId: event._id, personId: pid }).lean<EventSignupDoc>()
    if (s?.checkedInAt) return { signup: s, already: true }
    if (s?.status !== 'confirmed') {
      const confirmed = await EventSignupModel.countDocuments({ eventId: event._id, status: 'confirmed' })
      if (event.capacity && confirmed >= event.capacity)
        throw new ConflictError('您没有报名成功该活动，暂时不能签到')
      if (s) await EventSignupModel.updateOne({ _id: s._id }, { $set: { status: 'confirmed' } })
      else
        await EventSignupModel.create({
          eventId: event._id,
          personId: pid,
          status: 'confirmed',
          signedUpAt: now,
          channel: 'checkin',
        })
    }
    await EventSignupModel.updateOne({ eventId: event._id, personId: pid }, { $set: { checkedInAt: now } })
    s = (await EventSignupModel.findOne({
      eventId: event._id,
      personId: pid,
    }).lean<EventSignupDoc>()) as EventSignupDoc
    return { signup: s, already: false }
  }

  async function list(eventId: string): Promise<SignupView[]> {
    const event = await findEvent(eventId)
    const docs = await EventSignupModel.find({ eventId: event._id, status: { $ne: 'cancelled' } })
      .sort({ signedUpAt: 1, _id: 1 })
      .lean<EventSignupDoc[]>()
    let waiting = 0
    return docs.map((d) => toSignupView(d, d.status === 'waiting' ? ++waiting : undefined))
  }

  return { signUp, cancelSignup, checkIn, list, promoteWaiting }
}
