import { Types } from 'mongoose'
import { ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { gridMonthKey, PointsEntryModel, type PointsKind } from '../../models/points.model.js'
import { GridModel, ResidentModel } from '../../models/registry.model.js'
import type { Actor } from '../auth/auth.service.js'
import { maskName } from '../cases/case.staff.js'
import { kindFilter } from './points.statement.js'

export interface LeaderboardRow {
  rank: number
  /** Masked: the family name and stars (王**). */
  name: string
  points: number
}

export interface Leaderboard {
  gridId: string
  month: string
  kind: PointsKind
  items: LeaderboardRow[]
  /** The caller's own place, when they are on the board. */
  mine?: { rank: number; points: number }
}

/** Who may read a grid's board: its residents, its grid workers, and staff of its community. */
async function assertMayView(actor: Actor, gridId: Types.ObjectId): Promise<void> {
  const grid = await GridModel.findById(gridId, { communityId: 1 }).lean()
  if (!grid) throw new NotFoundError('网格')
  if (actor.roles.includes('admin') && actor.communityIds.length === 0) return
  const staff = actor.roles.some((r) => r === 'community_staff' || r === 'admin' || r === 'street_staff')
  if (staff && actor.communityIds.includes(String(grid.communityId))) return
  if (actor.roles.includes('grid_worker') && actor.gridIds.includes(String(gridId))) return
  const me = await ResidentModel.findById(actor.personId, { gridId: 1 }).lean()
  if (me?.gridId && String(me.gridId) === String(gridId)) return
  throw new ForbiddenError('只能查看自己所在网格的积分排行')
}

/**
 * A grid's points leaderboard for one month and kind: points earned that month while living in the
 * grid (each entry records its person's grid as written; spending in the shop does not lower a
 * place), for the grid's current residents, those who opted out left out, names masked.
 */
export async function gridLeaderboard(
  actor: Actor,
  input: { gridId: string; month: string; kind: PointsKind; limit: number },
): Promise<Leaderboard> {
  if (!Types.ObjectId.isValid(input.gridId)) throw new InvalidInputError('网格编号格式不正确')
  const gridId = new Types.ObjectId(input.gridId)
  await assertMayView(actor, gridId)
  const people = await ResidentModel.find(
    { gridId, 'preferences.leaderboardOptOut': { $ne: true }, erasedAt: { $exists: false } },
    { name: 1 },
  )
    .limit(5000)
    .lean()
  const names = new Map(people.map((p) => [String(p._id), p.name]))
  // The grid's entries of the month: one indexed equality on the key each entry records (the
  // person's grid as it was written), summed here for the grid's current residents.
  const entries = await PointsEntryModel.find(
    {
      gridMonth: gridMonthKey(gridId, input.month),
      reason: { $ne: 'redemption' },
      ...kindFilter(input.kind),
    },
    { personId: 1, delta: 1 },
  ).lean()
  const sums = new Map<string, number>()
  for (const e of entries) {
    const id = String(e.personId)
    if (names.has(id)) sums.set(id, (sums.get(id) ?? 0) + e.delta)
  }
  const rows = [...sums].map(([id, s]) => ({ _id: id, s }))
  const ranked = rows
    .filter((r) => r.s > 0)
    .sort((a, b) => b.s - a.s || String(a._id).localeCompare(String(b._id)))
  let rank = 0
  let last = Number.NaN
  const all = ranked.map((r, i) => {
    if (r.s !== last) rank = i + 1
    last = r.s
    return { id: String(r._id), rank, points: r.s }
  })
  const mine = all.find((r) => r.id === actor.personId)
  return {
    gridId: input.gridId,
    month: input.month,
    kind: input.kind,
    items: all
      .slice(0, input.limit)
      .map((r) => ({ rank: r.rank, name: maskName(names.get(r.id) ?? ''), points: r.points })),
    ...(mine ? { mine: { rank: mine.rank, points: mine.points } } : {}),
  }
}

/** Sets whether the person is left out of leaderboards (「不参加排行」/「参加排行」). */
export async function setLeaderboardOptOut(
  personId: string,
  optOut: boolean,
): Promise<{ leaderboardOptOut: boolean }> {
  const res = await ResidentModel.updateOne(
    { _id: new Types.ObjectId(personId) },
    { $set: { 'preferences.leaderboardOptOut': optOut } },
  )
  if (res.matchedCount === 0) throw new NotFoundError('居民')
  return { leaderboardOptOut: optOut }
}

/**
 * An award needs a role the kind's configuration names, and the person in the awarder's reach: staff
 * of the person's community, or the grid worker of the person's grid (a city admin: anyone).
 */
export async function assertMayAward(
  actor: Actor,
  personId: string,
  awardedBy: readonly string[],
): Promise<void> {
  if (!actor.roles.some((r) => awardedBy.includes(r))) throw new ForbiddenError('您的角色不能发放这类积分')
  if (!Types.ObjectId.isValid(personId)) throw new InvalidInputError('居民编号格式不正确')
  const person = await ResidentModel.findById(personId, { communityId: 1, gridId: 1 }).lean()
  if (actor.roles.includes('admin') && actor.communityIds.length === 0 && person) return
  const community = person?.communityId ? String(person.communityId) : ''
  const grid = person?.gridId ? String(person.gridId) : ''
  const staff = actor.roles.some((r) => r !== 'grid_worker' && awardedBy.includes(r))
  if (staff && community && actor.communityIds.includes(community)) return
  if (
    actor.roles.includes('grid_worker') &&
    awardedBy.includes('grid_worker') &&
    grid &&
    actor.gridIds.includes(grid)
  )
    return
  throw new ForbiddenError('只能给本社区（本网格）的居民发放积分')
}

/** The person's home community (for the shop a resident sees). */
export async function homeCommunityOf(personId: string): Promise<string | undefined> {
  const p = await ResidentModel.findById(personId, { communityId: 1 }).lean()
  return p?.communityId ? String(p.communityId) : undefined
}
