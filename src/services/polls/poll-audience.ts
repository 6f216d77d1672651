import { randomInt } from 'node:crypto'
import { Types } from 'mongoose'
import { z } from 'zod'
import { describeIssues, ForbiddenError, InvalidInputError, isDuplicateKeyError } from '../../lib/errors.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { parseEventTime } from '../events/event.time.js'
import { canManage, type StaffActor } from '../events/event.views.js'
import { personsInScope, roomsInScope } from '../notices/audience.js'
import type { OutboxInput } from '../outbox/outbox.service.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

/** Who a poll or 议事 topic is for: a community, some of its grids, or a list of its households. */
export const AudienceInput = z
  .object({
    communityId: ObjectIdString,
    gridIds: z.array(ObjectIdString).max(200).default([]),
    householdIds: z.array(ObjectIdString).max(2000).default([]),
  })
  .strict()
export type AudienceInput = z.input<typeof AudienceInput>

/** The stored audience (ObjectIds as strings). */
export interface Audience {
  communityId: string
  gridIds: string[]
  householdIds: string[]
}

type StoredAudience = {
  communityId: Types.ObjectId
  gridIds?: Types.ObjectId[] | null
  householdIds?: Types.ObjectId[] | null
}

export function audienceOf(a: StoredAudience): Audience {
  return {
    communityId: String(a.communityId),
    gridIds: (a.gridIds ?? []).map(String),
    householdIds: (a.householdIds ?? []).map(String),
  }
}

const oid = (id: string) => new Types.ObjectId(id)

export function toStoredAudience(a: Audience) {
  return {
    communityId: oid(a.communityId),
    gridIds: a.gridIds.map(oid),
    householdIds: a.householdIds.map(oid),
  }
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, message: string): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError(message, describeIssues(result.error.issues))
  return result.data
}

/** A time as staff write it (`2026-12-10 18:00`), which must lie after `now`. */
export function readFutureTime(text: string, timeZone: string, now: Date, what: string): Date {
  const at = parseEventTime(text, timeZone)
  if (!at) throw new InvalidInputError(`${what}格式不正确，请写成 2026-12-10 18:00`)
  if (at.getTime() <= now.getTime()) throw new InvalidInputError(`${what}必须晚于现在`)
  return at
}

/**
 * Checks that the actor may address this audience and returns the grids it covers: a household
 * list must lie in the community, and a grid worker manages only audiences inside their grids.
 */
export async function checkAudience(actor: StaffActor, a: Audience): Promise<string[]> {
  let grids = a.gridIds
  if (a.householdIds.length > 0) {
    const households = await HouseholdModel.find(
      { _id: { $in: a.householdIds.map(oid) } },
      { communityId: 1, gridId: 1 },
    ).lean()
    if (
      households.length !== new Set(a.householdIds).size ||
      households.some((h) => String(h.communityId) !== a.communityId)
    )
      throw new InvalidInputError('所选住户不在这个社区里，请重新选择')
    grids = [...new Set(households.map((h) => String(h.gridId)))]
  } else if (a.gridIds.length > 0) {
    const found = await GridModel.countDocuments({
      _id: { $in: a.gridIds.map(oid) },
      communityId: oid(a.communityId),
    })
    if (found !== new Set(a.gridIds).size) throw new InvalidInputError('所选网格不在这个社区里，请重新选择')
  }
  if (!canManage(actor, a.communityId, grids))
    throw new ForbiddenError('只有本社区（或本网格）的工作人员可以发起投票和议事')
  return grids
}

/**
 * The top-level filter of a staff list: one community when asked, else the actor's communities (a
 * city admin: all). What a grid worker may see is then checked per item (canManageAudience).
 */
export function staffListFilter(actor: StaffActor, communityId?: string): Record<string, unknown> {
  if (communityId) return { communityId: oid(communityId) }
  const cityAdmin = actor.roles.includes('admin') && actor.communityIds.length === 0
  if (cityAdmin || actor.communityIds.length === 0) return {}
  return { communityId: { $in: actor.communityIds.map(oid) } }
}

/** Whether staff may manage what was addressed to this audience (also for reading results). */
export async function canManageAudience(actor: StaffActor, a: Audience): Promise<boolean> {
  if (a.householdIds.length === 0) return canManage(actor, a.communityId, a.gridIds)
  const households = await HouseholdModel.find(
    { _id: { $in: a.householdIds.map(oid) } },
    { gridId: 1 },
  ).lean()
  return canManage(actor, a.communityId, [...new Set(households.map((h) => String(h.gridId)))])
}

/** What a resident's membership in an audience rests on. */
export interface Member {
  personId: string
  name: string
  communityId?: string
  gridId?: string
  householdId?: string
}

export async function loadMember(personId: string): Promise<Member | undefined> {
  if (!Types.ObjectId.isValid(personId)) return undefined
  const p = await ResidentModel.findOne(
    { _id: oid(personId), erasedAt: { $exists: false } },
    { name: 1, communityId: 1, gridId: 1, householdId: 1 },
  ).lean()
  if (!p) return undefined
  return {
    personId,
    name: p.name,
    ...(p.communityId ? { communityId: String(p.communityId) } : {}),
    ...(p.gridId ? { gridId: String(p.gridId) } : {}),
    ...(p.householdId ? { householdId: String(p.householdId) } : {}),
  }
}

/** Whether a resident belongs to the audience (their household when the audience lists households). */
export function isMember(a: Audience, m: Member): boolean {
  if (a.householdIds.length > 0) return !!m.householdId && a.householdIds.includes(m.householdId)
  if (m.communityId !== a.communityId) return false
  return a.gridIds.length === 0 || (!!m.gridId && a.gridIds.includes(m.gridId))
}

/** A Mongo filter for the households in an audience. */
export function householdFilter(a: Audience): Record<string, unknown> {
  if (a.householdIds.length > 0) return { _id: { $in: a.householdIds.map(oid) } }
  return {
    communityId: oid(a.communityId),
    ...(a.gridIds.length > 0 ? { gridId: { $in: a.gridIds.map(oid) } } : {}),
  }
}

/** The residents in an audience, with their grid (erased people left out). */
export async function membersOf(a: Audience): Promise<Array<{ personId: string; gridId?: string }>> {
  if (a.householdIds.length === 0) return personsInScope({ communityId: a.communityId, gridIds: a.gridIds })
  const docs = await ResidentModel.find(
    { householdId: { $in: a.householdIds.map(oid) }, erasedAt: { $exists: false } },
    { gridId: 1 },
  ).lean()
  return docs.map((d) => ({ personId: String(d._id), ...(d.gridId ? { gridId: String(d.gridId) } : {}) }))
}

/** Grid names by id, for per-grid tables. */
export async function gridNames(ids: string[]): Promise<Map<string, string>> {
  const grids = await GridModel.find({ _id: { $in: ids.map(oid) } }, { name: 1, code: 1 }).lean()
  return new Map(grids.map((g) => [String(g._id), g.name ?? g.code]))
}

/**
 * The announcement of a poll or topic as outbox messages: to the bound group chats of a community
 * or grid audience, to each resident of a household list. Each message records the question it puts
 * (`expects`), so 「投票 2」 or 「意见 …」 in that chat is read against this poll or topic.
 */
export async function announcement(
  a: Audience,
  m: { key: string; text: string; expects?: OutboxInput['expects'] },
): Promise<OutboxInput[]> {
  const base = { text: m.text, kind: 'notice', ...(m.expects ? { expects: m.expects } : {}) }
  if (a.householdIds.length > 0) {
    const persons = await membersOf(a)
    return persons.map((p) => ({
      ...base,
      key: `${m.key}:person:${p.personId}`,
      to: { type: 'person', id: p.personId },
    }))
  }
  const rooms = await roomsInScope({ communityId: a.communityId, gridIds: a.gridIds })
  return rooms.map((r) => ({ ...base, key: `${m.key}:room:${r.roomId}`, to: { type: 'room', id: r.roomId } }))
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** Inserts with a fresh short code (`prefix` + 3 letters), trying again on the rare collision. */
export async function createWithCode<T>(prefix: string, insert: (code: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const code =
      prefix + Array.from({ length: 3 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('')
    try {
      return await insert(code)
    } catch (err) {
      if (!isDuplicateKeyError(err) || attempt >= 5) throw err
    }
  }
}

const TIME_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** 「12月10日 18:00」 */
export function formatTime(d: Date): string {
  const parts = Object.fromEntries(TIME_FMT.formatToParts(d).map((p) => [p.type, p.value]))
  return `${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}`
}

/** 「张*」: another resident's name as residents see it. */
export function maskName(name: string): string {
  const chars = [...name]
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(Math.min(chars.length - 1, 2))}`
}
