import type { Types } from 'mongoose'
import { type EventSignupDoc, EventSignupModel, type SignupStatus } from '../../models/event.model.js'
import { HouseholdModel, ResidentModel } from '../../models/registry.model.js'

/** One sign-up as staff see it: who (name and home, never a phone number), how and when. */
export interface RosterEntry {
  personId: string
  name: string
  building: string
  unit: string
  room: string
  status: Exclude<SignupStatus, 'cancelled'>
  /** 1-based place on the waiting list. */
  position?: number
  channel: string
  signedUpAt: Date
  checkedInAt?: Date
}

export interface Roster {
  counts: { confirmed: number; waiting: number; checkedIn: number }
  items: RosterEntry[]
}

/**
 * The sign-ups of an event in sign-up order with each person's name and household (so two 王芳 are
 * told apart): one query per collection, whatever the number of people.
 */
export async function rosterOf(eventId: Types.ObjectId): Promise<Roster> {
  const signups = await EventSignupModel.find({ eventId, status: { $in: ['confirmed', 'waiting'] } })
    .sort({ signedUpAt: 1, _id: 1 })
    .lean<EventSignupDoc[]>()
  const people = await ResidentModel.find(
    { _id: { $in: signups.map((s) => s.personId) } },
    { name: 1, householdId: 1 },
  ).lean()
  const households = await HouseholdModel.find(
    { _id: { $in: people.map((p) => p.householdId).filter(Boolean) } },
    { building: 1, unit: 1, room: 1 },
  ).lean()
  const personById = new Map(people.map((p) => [String(p._id), p]))
  const homeById = new Map(households.map((h) => [String(h._id), h]))
  let waiting = 0
  const items = signups.map((s): RosterEntry => {
    const person = personById.get(String(s.personId))
    const home = homeById.get(String(person?.householdId ?? ''))
    const status = s.status === 'waiting' ? 'waiting' : 'confirmed'
    return {
      personId: String(s.personId),
      name: person?.name ?? '（已注销）',
      building: home?.building ?? '',
      unit: home?.unit ?? '',
      room: home?.room ?? '',
      status,
      ...(status === 'waiting' ? { position: ++waiting } : {}),
      channel: s.channel ?? 'api',
      signedUpAt: s.signedUpAt,
      ...(s.checkedInAt ? { checkedInAt: s.checkedInAt } : {}),
    }
  })
  return {
    counts: {
      confirmed: items.length - waiting,
      waiting,
      checkedIn: items.filter((i) => i.checkedInAt).length,
    },
    items,
  }
}
