import { type EventDoc, EventModel, EventSignupModel } from '../../models/event.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { roomsInScope } from '../notices/audience.js'
import type { OutboxInput } from '../outbox/outbox.service.js'
import { reminderText, roomReminderText } from './event.texts.js'

const minutesUntil = (startsAt: Date, now: Date) => Math.round((startsAt.getTime() - now.getTime()) / 60_000)

/** The longest reminder offset looked ahead for (events may set up to 14 days). */
const LOOKAHEAD_MS = 15 * 24 * 3600_000

/**
 * The reminder stage due at `now`: the smallest offset whose time has come before the start. A stage
 * more than half its offset late (the event was created late, the jobs were down) is dropped, except
 * the last one, so nobody gets a "tomorrow" reminder an hour before the start.
 */
export function dueOffset(startsAt: Date, offsetsMinutes: number[], now: Date): number | undefined {
  if (now >= startsAt || offsetsMinutes.length === 0) return undefined
  const due = offsetsMinutes.filter((m) => startsAt.getTime() - m * 60_000 <= now.getTime())
  if (due.length === 0) return undefined
  const offset = Math.min(...due)
  const lateMinutes = (now.getTime() - (startsAt.getTime() - offset * 60_000)) / 60_000
  const isLast = offset === Math.min(...offsetsMinutes)
  return isLast || lateMinutes <= offset / 2 ? offset : undefined
}

async function personMessages(
  event: EventDoc,
  offset: number,
  now: Date,
  timeZone: string,
): Promise<OutboxInput[]> {
  const signups = await EventSignupModel.find(
    { eventId: event._id, status: 'confirmed' },
    { personId: 1 },
  ).lean()
  if (signups.length === 0) return []
  const optedOut = await ResidentModel.find(
    { _id: { $in: signups.map((s) => s.personId) }, 'preferences.reminders': false },
    { _id: 1 },
  ).lean()
  const skip = new Set(optedOut.map((p) => String(p._id)))
  const text = reminderText(event, minutesUntil(event.startsAt, now), timeZone)
  return signups
    .filter((s) => !skip.has(String(s.personId)))
    .map((s) => ({
      key: `event:${event._id}:v${event.revision ?? 0}:remind:${offset}:${s.personId}`,
      to: { type: 'person' as const, id: String(s.personId) },
      text,
      kind: 'reminder',
      refs: { eventId: String(event._id) },
    }))
}

async function roomMessages(
  event: EventDoc,
  offset: number,
  now: Date,
  timeZone: string,
): Promise<OutboxInput[]> {
  if (!event.remindRooms) return []
  const rooms = await roomsInScope({
    communityId: String(event.communityId),
    gridIds: (event.gridIds ?? []).map(String),
  })
  const text = roomReminderText(event, minutesUntil(event.startsAt, now), timeZone)
  return rooms.map((r) => ({
    key: `event:${event._id}:v${event.revision ?? 0}:remind:${offset}:room:${r.roomId}`,
    to: { type: 'room' as const, id: r.roomId },
    text,
    kind: 'reminder',
    refs: { eventId: String(event._id) },
  }))
}

/**
 * Every event reminder due at `now`, with deterministic keys
 * (`event:<id>:v<revision>:remind:<offset>:<personId>` / `…:room:<roomId>`): planning again never
 * plans a second copy, and a moved event (new revision) is reminded afresh.
 */
export async function planEventReminders(now: Date, timeZone: string): Promise<OutboxInput[]> {
  const events = await EventModel.find({
    status: 'scheduled',
    startsAt: { $gt: now, $lte: new Date(now.getTime() + LOOKAHEAD_MS) },
  })
    .sort({ startsAt: 1 })
    .lean<EventDoc[]>()
  const out: OutboxInput[] = []
  for (const event of events) {
    const offset = dueOffset(event.startsAt, event.remindOffsetsMinutes ?? [], now)
    if (offset === undefined) continue
    out.push(
      ...(await personMessages(event, offset, now, timeZone)),
      ...(await roomMessages(event, offset, now, timeZone)),
    )
  }
  return out
}
