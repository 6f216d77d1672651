import { Types } from 'mongoose'
import { z } from 'zod'
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.js'
import { isTransientFailure } from '../../lib/transient.js'
import {
  type CaseDoc,
  type CaseLevel,
  hasOwner,
  OPEN_CASE_STATUSES,
  placeKeysOf,
} from '../../models/case.model.js'
import { CommunityModel, DepartmentModel, GridModel, ResidentModel } from '../../models/registry.model.js'
import { staffKey } from '../../models/staff-keys.js'
import { findGridOfBuilding } from '../registry/registry.buildings.js'
import { cachedRegistryView, cachedStaffView } from '../registry/registry.cache.js'
import { rosterCandidates } from '../responsibility/staff-roster.js'
import { type CaseActor, canHandle, timelineRole } from './case.access.js'
import { type CaseChange, type CaseContext, type CaseRef, parseInput, persons } from './case.context.js'
import { normaliseLocationPart } from './case.dedupe.js'
import { deskText, postedText, taskText, urgentText } from './case.notify.js'
import { openWorkload } from './case.workload.js'

/** What the responsibility list says about a case (the fields of `Responsibility.whoHandles`). */
export interface CaseHandlers {
  level: CaseLevel
  gridId?: string
  communityId?: string
  departmentIds: string[]
  gridWorkerIds: string[]
  communityStaffIds: string[]
  notifyCommunity: boolean
  respondBy: Date
  resolveBy: Date
}

/** Where a new case goes. */
export type RoutePlan =
  | { kind: 'assign'; assigneeId: string; as: 'grid_worker' | 'community_staff' }
  | { kind: 'post'; departmentIds: string[] }
  | { kind: 'none' }

/** The least loaded of the candidates; ties go to the earlier one (the primary worker comes first). */
export function pickLeastLoaded(
  candidates: readonly string[],
  load: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined
  for (const id of candidates) {
    if (best === undefined || (load.get(id) ?? 0) < (load.get(best) ?? 0)) best = id
  }
  return best
}

/**
 * Grid level → the grid's on-duty workers (community staff when the grid has none); community level
 * → community staff (grid workers when none); department level → posted to the departments that
 * handle the category (社区下单、部门抢单), or to the grid when no department serves the community.
 */
export async function planRoute(h: CaseHandlers): Promise<RoutePlan> {
  if (h.level === 'department' && h.departmentIds.length > 0)
    return { kind: 'post', departmentIds: h.departmentIds }
  const order: Array<['grid_worker' | 'community_staff', string[]]> =
    h.level === 'community'
      ? [
          ['community_staff', h.communityStaffIds],
          ['grid_worker', h.gridWorkerIds],
        ]
      : [
          ['grid_worker', h.gridWorkerIds],
          ['community_staff', h.communityStaffIds],
        ]
  for (const [as, ids] of order) {
    if (ids.length === 0) continue
    // One candidate needs no count of everyone's open cases.
    const chosen = ids.length === 1 ? ids[0] : pickLeastLoaded(ids, await openWorkload(ids))
    if (chosen) return { kind: 'assign', assigneeId: chosen, as }
  }
  return { kind: 'none' }
}

/** Ids as strings, for comparisons. */
export function idList(ids: ReadonlyArray<Types.ObjectId | string> | undefined): string[] {
  return (ids ?? []).map(String)
}

/**
 * Routes a `received` case: the responsibility list's handlers of its grid (or the departments it is
 * posted to), else its community's duty staff, else the intake desk (see `deskChange`). A case that
 * is no longer `received`, or is held at a queue with nobody assigned, is returned unchanged unless
 * someone can now take it, so routing twice is harmless.
 */
export async function routeCase(ctx: CaseContext, which: string | CaseRef): Promise<CaseDoc> {
  return ctx.mutate(which, async (c) => {
    if (c.status !== 'received') return { timeline: [] }
    return ownerChange(ctx, c)
  })
}

/** The change that gives a case (status `received`, no handler) its owner, with the notices it sends. */
export async function ownerChange(ctx: CaseContext, c: CaseDoc): Promise<CaseChange> {
  const h = await ctx.responsibility.whoHandles({
    category: c.category,
    urgency: c.urgency,
    gridId: c.location?.gridId?.toString(),
    householdId: c.location?.householdId?.toString(),
    at: c.createdAt,
  })
  const plan = await planRoute(h)
  if (plan.kind === 'assign') return assignChange(ctx, c, plan.assigneeId, h)
  if (plan.kind === 'post') return postChange(ctx, plan.departmentIds, h)
  const communityId = c.location?.communityId ?? undefined
  const duty = communityId ? await dutyStaffOf(communityId) : []
  const chosen = duty.length > 1 ? pickLeastLoaded(duty, await openWorkload(duty)) : duty[0]
  if (chosen) return assignChange(ctx, c, chosen, h, '社区值班人员')
  return deskChange(ctx, c, communityId ? 'no_staff' : 'no_place')
}

function assignChange(
  ctx: CaseContext,
  c: CaseDoc,
  assigneeId: string,
  h: CaseHandlers,
  note?: string,
): CaseChange {
  return {
    set: { level: h.level, status: 'assigned', assigneeId: new Types.ObjectId(assigneeId) },
    unset: ['heldAt'],
    timeline: [{ actorRole: 'system', action: 'assigned', from: c.status, to: assigneeId, note }],
    after: async (u) => {
      await ctx.notify(u, `task#${u.timeline.length}`, persons([assigneeId]), taskText(u), 'task')
      await alertIfNeeded(ctx, u, h)
    },
  }
}

/** The fields of a case offered to departments (社区下单): the claim window starts now. */
export function postedFields(ctx: CaseContext, departmentIds: string[]) {
  const postedAt = ctx.now()
  const claimDeadline = new Date(postedAt.getTime() + ctx.config.cases.claimWindowMinutes * 60_000)
  return { postedDepartmentIds: departmentIds, postedAt, claimDeadline }
}

/** Tells the staff of the departments a case was posted to that they may claim it. */
export async function notifyPosted(ctx: CaseContext, u: CaseDoc, departmentIds: string[]): Promise<void> {
  const staff = await departmentStaff(departmentIds)
  await ctx.notify(u, `posted#${u.timeline.length}`, persons(staff), postedText(u), 'task')
}

function postChange(ctx: CaseContext, departmentIds: string[], h: CaseHandlers): CaseChange {
  return {
    set: { level: h.level, status: 'posted', ...postedFields(ctx, departmentIds) },
    unset: ['heldAt', 'claimedBy'],
    timeline: [{ actorRole: 'system', action: 'posted', from: 'received', to: departmentIds.join(',') }],
    after: async (u) => {
      await notifyPosted(ctx, u, departmentIds)
      await alertIfNeeded(ctx, u, h)
    },
  }
}

/**
 * The intake desk (受理窗口) takes the case: the least loaded desk member serving its community (the
 * city's desk when no community is known) is assigned, and every desk member is alerted. With no
 * desk member anywhere an admin is assigned; with no admin either the case waits in the desk's
 * queue. Both are configuration errors, logged as such.
 */
async function deskChange(
  ctx: CaseContext,
  c: CaseDoc,
  reason: 'no_place' | 'no_staff' | 'returned',
): Promise<CaseChange> {
  const communityId = c.location?.communityId ?? undefined
  const heldAt = { queue: 'intake_desk', reason, at: ctx.now(), ...(communityId ? { communityId } : {}) }
  const desk = await deskStaffFor(communityId)
  const people = desk.length > 0 ? desk : await adminsFor(communityId)
  if (desk.length === 0)
    ctx.logger?.error({ number: c.number, admins: people.length }, 'the intake desk has nobody on duty')
  const chosen = people.length > 1 ? pickLeastLoaded(people, await openWorkload(people)) : people[0]
  const alert = async (u: CaseDoc) => {
    await ctx.notify(u, `desk#${u.timeline.length}`, persons(people), deskText(u), 'task')
    if (u.urgency === 'urgent')
      await ctx.notify(u, 'alert', persons(people.filter((p) => p !== chosen)), urgentText(u), 'warning', {
        lane: 'urgent',
      })
  }
  if (!chosen)
    return {
      set: { heldAt },
      timeline: [{ actorRole: 'system', action: 'held', to: 'intake_desk', note: '受理窗口' }],
    }
  return {
    set: { status: 'assigned', assigneeId: new Types.ObjectId(chosen), heldAt },
    timeline: [{ actorRole: 'system', action: 'assigned', from: c.status, to: chosen, note: '受理窗口' }],
    after: alert,
  }
}

async function alertIfNeeded(ctx: CaseContext, c: CaseDoc, h: CaseHandlers): Promise<void> {
  if (c.urgency !== 'urgent' && !h.notifyCommunity) return
  const assignee = c.assigneeId?.toString()
  const people = c.urgency === 'urgent' ? [...h.gridWorkerIds, ...h.communityStaffIds] : h.communityStaffIds
  const to = persons(people.filter((id) => id !== assignee))
  const urgent = c.urgency === 'urgent'
  await ctx.notify(
    c,
    'alert',
    to,
    urgentText(c),
    urgent ? 'warning' : 'update',
    urgent ? { lane: 'urgent' } : {},
  )
}

/** Department staff and listed contacts of departments (who hear about posted / given cases). */
export async function departmentStaff(departmentIds: readonly unknown[]): Promise<string[]> {
  const ids = departmentIds.map((d) => new Types.ObjectId(String(d)))
  // Read again only after a registry change (see registry.cache.ts), not for every posted case.
  return cachedRegistryView(`department-staff:${ids.map(String).sort().join(',')}`, async () => {
    // Each department by `_id` and its staff by one equality on their maintained key: no `$in`.
    const [deps, staff] = await Promise.all([
      Promise.all(ids.map((id) => DepartmentModel.findById(id, { contactIds: 1 }).lean().exec())).then((l) =>
        l.filter((d) => d !== null),
      ),
      Promise.all(
        ids.map((id) =>
          ResidentModel.find({ staffKeys: staffKey.department('department_staff', id) }, { _id: 1 })
            .lean()
            .exec(),
        ),
      ).then((l) => l.flat()),
    ])
    return [
      ...new Set([...deps.flatMap((d) => d.contactIds.map(String)), ...staff.map((s) => String(s._id))]),
    ]
  })
}

interface StaffRecord {
  _id: Types.ObjectId
  roles?: string[]
  erasedAt?: Date | null
  staff?: { onDuty?: boolean | null; communityIds?: Types.ObjectId[] } | null
}

const onDuty = (p: StaffRecord) => p.staff?.onDuty !== false && p.erasedAt == null
const STAFF_FIELDS = { roles: 1, erasedAt: 1, staff: 1 }

/**
 * A community's community staff on duty, sorted. The candidates come from the same remembered roster
 * as the responsibility list's; each is read again by id and checked.
 */
export async function dutyStaffOf(communityId: Types.ObjectId | string): Promise<string[]> {
  const id = new Types.ObjectId(String(communityId))
  const candidates = await rosterCandidates(`community:${id}`, async () => {
    const docs = await ResidentModel.find(
      { staffKeys: staffKey.community('community_staff', id) },
      { _id: 1 },
    )
      .lean()
      .exec()
    return docs.map((d) => String(d._id))
  })
  const people = await Promise.all(candidates.map((c) => cachedStaffView(c) as Promise<StaffRecord | null>))
  return people
    .filter((p): p is StaffRecord => p !== null)
    .filter(
      (p) =>
        onDuty(p) && p.roles?.includes('community_staff') && p.staff?.communityIds?.some((c) => c.equals(id)),
    )
    .map((p) => String(p._id))
    .sort()
}

/** People of a role on duty, those serving the community first, then city-wide ones, then anyone. */
async function staffOfRole(
  role: 'intake_desk' | 'admin',
  communityId: Types.ObjectId | undefined,
): Promise<string[]> {
  // One equality on the maintained key (the role's holders, never erased ones).
  const docs = (
    await ResidentModel.find({ staffKeys: staffKey.role(role) }, STAFF_FIELDS)
      .lean<StaffRecord[]>()
      .exec()
  ).filter(onDuty)
  const scope = (p: StaffRecord) => p.staff?.communityIds ?? []
  const local = communityId ? docs.filter((p) => scope(p).some((c) => c.equals(communityId))) : []
  const city = docs.filter((p) => scope(p).length === 0)
  const pick = local.length > 0 ? local : city.length > 0 ? city : docs
  return pick.map((p) => String(p._id)).sort()
}

/** The intake desk members who take a case of this community (or of no known community). */
export const deskStaffFor = (communityId?: Types.ObjectId) => staffOfRole('intake_desk', communityId)
const adminsFor = (communityId?: Types.ObjectId) => staffOfRole('admin', communityId)

/** Where a case really is, as staff, the reporter or the chat layer learn it. */
export const RelocateInput = z
  .object({
    communityId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '社区编号格式不正确')
      .optional(),
    communityCode: z.string().trim().min(1).max(40).optional(),
    gridId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '网格编号格式不正确')
      .optional(),
    gridCode: z.string().trim().min(1).max(40).optional(),
    building: z.string().trim().min(1).max(20).optional(),
    unit: z.string().trim().max(20).optional(),
    room: z.string().trim().max(20).optional(),
    note: z.string().trim().max(200).optional(),
    /** The point the place was read from (a WeChat location message), WGS-84; kept on the case. */
    lng: z.number().min(-180).max(180).optional(),
    lat: z.number().min(-90).max(90).optional(),
  })
  .refine((r) => r.communityId || r.communityCode || r.gridId || r.gridCode || r.building, {
    message: '请说明社区、网格或楼栋',
  })
export type RelocateInput = z.input<typeof RelocateInput>

interface NewPlace {
  communityId?: Types.ObjectId
  gridId?: Types.ObjectId
}

/** The community and grid the input names (a grid names its community). */
async function namedPlace(r: z.infer<typeof RelocateInput>): Promise<NewPlace> {
  if (r.gridId || r.gridCode) {
    const code = r.gridCode?.replace(/\s/g, '').toUpperCase()
    const grid = await (r.gridId ? GridModel.findById(r.gridId) : GridModel.findOne({ code })).lean().exec()
    if (!grid) throw new NotFoundError(`网格 ${r.gridCode ?? ''}`.trim())
    return { gridId: grid._id, communityId: grid.communityId }
  }
  if (!r.communityId && !r.communityCode) return {}
  const community = await (r.communityId
    ? CommunityModel.findById(r.communityId, { _id: 1 })
    : CommunityModel.findOne({ code: r.communityCode }, { _id: 1 })
  )
    .lean()
    .exec()
  if (!community) throw new NotFoundError(`社区 ${r.communityCode ?? ''}`.trim())
  return { communityId: community._id }
}

/**
 * Who may say where a case is: the system (the chat layer, after asking), anyone who may handle it,
 * intake desk members and admins, staff of the community it moves to, and its reporter while the
 * case still waits at the intake desk.
 */
function assertCanRelocate(actor: CaseActor, c: CaseDoc, to: NewPlace): void {
  if (canHandle(actor, c) || ['intake_desk', 'admin'].some((r) => actor.roles.includes(r))) return
  if (to.communityId && canHandle(actor, { location: { communityId: to.communityId } })) return
  const reporter = actor.personId !== undefined && String(c.reporterId) === actor.personId
  if (reporter && c.heldAt?.queue === 'intake_desk') return
  throw new ForbiddenError(`只有受理窗口、工单 ${c.number} 的承办人或社区工作人员可以更改地点`)
}

/**
 * Records where an open case is and routes it again by the usual order (building → grid, else the
 * grid named, else the community's duty staff, else the intake desk). The new owner is told; the
 * timeline says who moved it from where.
 */
export async function relocateCase(
  ctx: CaseContext,
  number: string,
  actor: CaseActor,
  raw: RelocateInput,
): Promise<CaseDoc> {
  const r = parseInput(RelocateInput, raw)
  const named = await namedPlace(r)
  return ctx.mutate(number, async (c) => {
    if (!(OPEN_CASE_STATUSES as readonly string[]).includes(c.status))
      throw new ConflictError(`工单 ${c.number} 已${c.status === 'merged' ? '合并' : '结束'}，不能再改地点`)
    assertCanRelocate(actor, c, named)
    const location = await movedLocation(ctx, c, r, named)
    const draft: CaseDoc = { ...c, location, status: 'received', postedDepartmentIds: [] }
    for (const k of ['assigneeId', 'departmentId', 'heldAt', 'claimDeadline'] as const) delete draft[k]
    const change = await ownerChange(ctx, draft)
    // The top-level community and grid ids move with the location (the lists filter on them).
    const set = { location, ...placeKeysOf(location), postedDepartmentIds: [], ...change.set }
    const unset = ['assigneeId', 'departmentId', 'heldAt', 'claimDeadline', 'communityId', 'gridId'].filter(
      (k) => !(k in set),
    )
    const entry = {
      actorId: actor.personId,
      actorRole: timelineRole(actor),
      action: 'relocated' as const,
      note: r.note ?? describePlace(location),
      from: c.location?.gridId ? String(c.location.gridId) : String(c.location?.communityId ?? ''),
      to: location.gridId ? String(location.gridId) : String(location.communityId ?? ''),
    }
    const timeline = change.timeline.map((t) => ({ ...t, from: c.status }))
    return { set, unset, timeline: [entry, ...timeline], after: change.after }
  })
}

type Location = NonNullable<CaseDoc['location']>

/** The case's location after the move: the building named decides the grid when the registry knows it. */
async function movedLocation(
  ctx: CaseContext,
  c: CaseDoc,
  r: z.infer<typeof RelocateInput>,
  named: NewPlace,
): Promise<Location> {
  const old = c.location ?? ({} as Location)
  const communityId = named.communityId ?? old.communityId ?? undefined
  const sameCommunity = Boolean(communityId && old.communityId?.equals(communityId))
  const building = normaliseLocationPart(r.building) ?? (sameCommunity ? old.building : '') ?? ''
  const newBuilding = building !== (old.building ?? '')
  const byBuilding =
    communityId && building ? await findGridOfBuilding(communityId, building, ctx.now()) : undefined
  const keepGrid = sameCommunity && !newBuilding ? (old.gridId ?? undefined) : undefined
  // A building named now wins over the grid named; a grid named now wins over the building known.
  const gridId = r.building
    ? (byBuilding ?? named.gridId ?? keepGrid)
    : (named.gridId ?? byBuilding ?? keepGrid)
  return {
    text: old.text ?? '',
    building,
    unit: normaliseLocationPart(r.unit) ?? (newBuilding ? '' : (old.unit ?? '')),
    room: r.room ?? (newBuilding ? '' : (old.room ?? '')),
    ...(r.lng !== undefined && r.lat !== undefined
      ? { coords: { lng: r.lng, lat: r.lat } }
      : old.coords
        ? { coords: old.coords }
        : {}),
    ...(communityId ? { communityId } : {}),
    ...(gridId ? { gridId } : {}),
  } as Location
}

function describePlace(l: Location): string {
  const where = [l.building && `${l.building}号楼`, l.unit && `${l.unit}单元`].filter(Boolean).join('')
  return `地点更正为${where || '所在社区'}`
}

/**
 * A case returned by its handler (退单) waits in its community's queue, whose duty staff were told to
 * dispatch it again; with nobody on duty there, the intake desk takes it.
 */
export async function holdReturned(ctx: CaseContext, doc: CaseDoc): Promise<CaseDoc> {
  if (hasOwner(doc)) return doc
  return ctx.mutate(doc, async (c) => {
    if (hasOwner(c)) return { timeline: [] }
    const communityId = c.location?.communityId ?? undefined
    const duty = communityId ? await dutyStaffOf(communityId) : []
    if (duty.length === 0) return deskChange(ctx, c, 'returned')
    const heldAt = { queue: 'community', communityId, reason: 'returned', at: ctx.now() }
    return { set: { heldAt }, timeline: [{ actorRole: 'system', action: 'held', to: 'community' }] }
  })
}

/**
 * The owner of a case about to be stored, planned before it is written so that it is stored already
 * routed (one insert, no second write under the case's lock). As `routeOrHold`: a routing failure
 * that is no passing one gives the case to the intake desk; a passing one (a busy lock, the database
 * away) is returned as `retry`, for the caller to store the case unrouted and fail for now — the
 * retry routes it (a replay).
 */
export async function plannedOwner(
  ctx: CaseContext,
  draft: CaseDoc,
): Promise<{ change?: CaseChange; retry?: unknown }> {
  try {
    return { change: await ownerChange(ctx, draft) }
  } catch (err) {
    if (isTransientFailure(err)) return { retry: err }
    ctx.logger?.error({ err, number: draft.number }, 'case not routed; the intake desk takes it')
  }
  try {
    return { change: await deskChange(ctx, draft, 'no_staff') }
  } catch (err) {
    ctx.logger?.error({ err, number: draft.number }, 'case not held at the intake desk')
    return {}
  }
}

/**
 * Last resort after routing failed: the intake desk takes the case, so that it is never left with
 * nobody. Returns the case as it is when even that fails (logged).
 */
export async function routeOrHold(ctx: CaseContext, doc: CaseDoc): Promise<CaseDoc> {
  try {
    return await routeCase(ctx, doc)
  } catch (err) {
    // A busy lock or the database away passes: the caller retries and the replay routes the case.
    if (isTransientFailure(err)) throw err
    ctx.logger?.error({ err, number: doc.number }, 'case stored but not routed; the intake desk takes it')
  }
  try {
    return await ctx.mutate(doc, (c) => (hasOwner(c) ? { timeline: [] } : deskChange(ctx, c, 'no_staff')))
  } catch (err) {
    ctx.logger?.error({ err, number: doc.number }, 'case stored but not held at the intake desk')
    return doc
  }
}
