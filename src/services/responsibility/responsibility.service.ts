import { Types } from 'mongoose'
import { type Clock, systemClock } from '../../lib/clock.js'
import { InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { DepartmentModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { staffKey } from '../../models/staff-keys.js'
import { cachedGrid, cachedRegistryView, cachedStaffView } from '../registry/registry.cache.js'
import type { WorkingCalendar } from './calendar.js'
import {
  type Category,
  CategoryCode,
  type CategoryRule,
  type HandlingLevel,
  type ResponsibilityList,
  type Urgency,
} from './responsibility.config.js'
import { rosterCandidates } from './staff-roster.js'

export interface Deadlines {
  respondBy: Date
  resolveBy: Date
}

export interface DueState {
  overdue: boolean
  /** How long past the deadline (0 when not overdue). */
  byMs: number
  /** How long until the deadline (0 when overdue). */
  remainingMs: number
}

export interface WhoHandlesInput {
  category: Category
  urgency: Urgency
  gridId?: string | Types.ObjectId
  householdId?: string | Types.ObjectId
  /** When the case was received; default: the service clock's now. */
  at?: Date
}

/** "Who handles category X at household/grid Y, and by when" — ids as strings, primary first. */
export interface Handlers extends Deadlines {
  category: Category
  urgency: Urgency
  level: HandlingLevel
  gridId?: string
  communityId?: string
  /** Departments that handle the category (those listed for it in the list first). */
  departmentIds: string[]
  /** On-duty grid workers: primary first, then part-time, then other workers assigned to the grid. */
  gridWorkerIds: string[]
  communityStaffIds: string[]
  /** The community is told at once (urgent cases, or the category asks for it). */
  notifyCommunity: boolean
  escalatesToDepartment: boolean
}

export interface Responsibility {
  list: ResponsibilityList
  calendar: WorkingCalendar
  rule(category: Category): CategoryRule
  deadlines(category: Category, urgency: Urgency, from: Date): Deadlines
  dueState(deadline: Date, now: Date): DueState
  whoHandles(input: WhoHandlesInput): Promise<Handlers>
}

/** The responsibility service: rules, SLA deadlines and the registry lookup of who acts. */
export function createResponsibility(
  list: ResponsibilityList,
  calendar: WorkingCalendar,
  clock: Clock = systemClock,
): Responsibility {
  function rule(category: Category): CategoryRule {
    const code = CategoryCode.safeParse(category)
    if (!code.success) throw new InvalidInputError(`未知的事项类别：${String(category)}`)
    return list.categories[code.data]
  }

  function deadlines(category: Category, urgency: Urgency, from: Date): Deadlines {
    const limits = rule(category).limits[urgency === 'urgent' ? 'urgent' : 'normal']
    return { respondBy: calendar.add(from, limits.respond), resolveBy: calendar.add(from, limits.resolve) }
  }

  async function whoHandles(input: WhoHandlesInput): Promise<Handlers> {
    const r = rule(input.category)
    const place = await locate(input)
    const [gridWorkerIds, communityStaffIds, departmentIds] = await Promise.all([
      place.gridId ? findGridWorkers(place.gridId) : Promise.resolve([]),
      place.communityId ? findCommunityStaff(place.communityId) : Promise.resolve([]),
      findDepartments(r, place.communityId),
    ])
    return {
      category: r.code,
      urgency: input.urgency,
      level: r.level,
      gridId: place.gridId?.toString(),
      communityId: place.communityId?.toString(),
      departmentIds,
      gridWorkerIds,
      communityStaffIds,
      notifyCommunity: input.urgency === 'urgent' || r.notifyCommunity,
      escalatesToDepartment: r.escalatesToDepartment,
      ...deadlines(r.code, input.urgency, input.at ?? clock.now()),
    }
  }

  return { list, calendar, rule, deadlines, dueState, whoHandles }
}

/** Whether a deadline has passed at `now`, and by how much. */
export function dueState(deadline: Date, now: Date): DueState {
  const diff = now.getTime() - deadline.getTime()
  return diff > 0
    ? { overdue: true, byMs: diff, remainingMs: 0 }
    : { overdue: false, byMs: 0, remainingMs: -diff }
}

interface Place {
  gridId?: Types.ObjectId
  communityId?: Types.ObjectId
}

function toObjectId(id: string | Types.ObjectId, what: string): Types.ObjectId {
  if (id instanceof Types.ObjectId) return id
  if (!Types.ObjectId.isValid(id)) throw new InvalidInputError(`${what}编号格式不正确`)
  return new Types.ObjectId(id)
}

/** Household wins over grid: it names the grid itself. */
async function locate(input: WhoHandlesInput): Promise<Place> {
  if (input.householdId) {
    const hh = await HouseholdModel.findById(toObjectId(input.householdId, '住户'), {
      gridId: 1,
      communityId: 1,
    })
      .lean()
      .exec()
    if (!hh) throw new NotFoundError('住户')
    return { gridId: hh.gridId, communityId: hh.communityId }
  }
  if (input.gridId) {
    const grid = await cachedGrid(toObjectId(input.gridId, '网格'))
    if (!grid) throw new NotFoundError('网格')
    return { gridId: grid._id, communityId: grid.communityId }
  }
  return {}
}

interface StaffRecord {
  _id: Types.ObjectId
  roles?: string[]
  erasedAt?: Date | null
  staff?: { onDuty?: boolean | null; gridIds?: Types.ObjectId[]; communityIds?: Types.ObjectId[] } | null
}

/** The people by id (indexed reads), skipping ids that no longer exist. */
async function readPeople(ids: readonly string[]): Promise<StaffRecord[]> {
  const docs = await Promise.all(ids.map((id) => cachedStaffView(id) as Promise<StaffRecord | null>))
  return docs.filter((d): d is StaffRecord => d !== null)
}

const onDuty = (p: StaffRecord) => p.staff?.onDuty !== false && p.erasedAt == null

async function findGridWorkers(gridId: Types.ObjectId): Promise<string[]> {
  const grid = await cachedGrid(gridId)
  const listed = [grid?.primaryWorkerId, ...(grid?.partTimeWorkerIds ?? [])]
    .filter((x): x is Types.ObjectId => x instanceof Types.ObjectId)
    .map(String)
  const assigned = await rosterCandidates(`grid:${gridId}`, async () => {
    const docs = await ResidentModel.find({ staffKeys: staffKey.grid('grid_worker', gridId) }, { _id: 1 })
      .lean()
      .exec()
    return docs.map((d) => String(d._id))
  })
  const people = await readPeople([...new Set([...listed, ...assigned])])
  const serving = people.filter(
    (p) =>
      onDuty(p) &&
      p.roles?.includes('grid_worker') &&
      (listed.includes(String(p._id)) || p.staff?.gridIds?.some((g) => g.equals(gridId))),
  )
  const ids = new Set(serving.map((p) => String(p._id)))
  const ordered = [...listed, ...[...ids].filter((id) => !listed.includes(id)).sort()]
  return [...new Set(ordered)].filter((id) => ids.has(id))
}

async function findCommunityStaff(communityId: Types.ObjectId): Promise<string[]> {
  const candidates = await rosterCandidates(`community:${communityId}`, async () => {
    const docs = await ResidentModel.find(
      { staffKeys: staffKey.community('community_staff', communityId) },
      { _id: 1 },
    )
      .lean()
      .exec()
    return docs.map((d) => String(d._id))
  })
  const people = await readPeople(candidates)
  return people
    .filter(
      (p) =>
        onDuty(p) &&
        p.roles?.includes('community_staff') &&
        p.staff?.communityIds?.some((c) => c.equals(communityId)),
    )
    .map((p) => String(p._id))
    .sort()
}

/** Departments whose `categories` include the category (or whose code the list names), serving the community. */
async function findDepartments(r: CategoryRule, communityId?: Types.ObjectId): Promise<string[]> {
  // Departments change rarely: the list is read again only after a registry change.
  const deps = await cachedRegistryView(`departments:${r.code}`, () =>
    DepartmentModel.find(
      { $or: [{ categories: r.code }, { code: { $in: r.departments } }] },
      { _id: 1, code: 1, communityIds: 1, categories: 1 },
    )
      .lean()
      .exec(),
  )
  const serving = deps.filter(
    // A department stored without `communityIds` (lean skips schema defaults) serves everyone.
    (d) => !d.communityIds?.length || (communityId && d.communityIds.some((c) => c.equals(communityId))),
  )
  const rank = (d: (typeof serving)[number]): number => {
    const byCategory = d.categories?.includes(r.code) ? 0 : 1
    const listed = r.departments.indexOf(d.code)
    return byCategory * 100 + (listed < 0 ? 50 : listed)
  }
  return serving
    .sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code))
    .map((d) => d._id.toString())
}
