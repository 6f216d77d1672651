import { Types } from 'mongoose'
import { z } from 'zod'
import { InvalidInputError } from '../../lib/errors.js'
import { startOfLocalDay } from '../../lib/time.js'
import { CASE_CHANNELS, type CaseDoc, CaseModel, OPEN_CASE_STATUSES } from '../../models/case.model.js'
import { cachedGrid } from '../registry/registry.cache.js'
import { type CaseContext, findCase, parseInput } from './case.context.js'
import { type FollowedPage, followedCases } from './case.follows.js'
import { normaliseCaseNumber } from './case.number.js'
import { type CaseSummary, type CaseView, toCaseSummary, toCaseView } from './case.views.js'

export interface Page<T> {
  items: T[]
  /** Pass back to get the next page; absent on the last page. */
  nextCursor?: string
}

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
const PageInput = z.object({
  cursor: ObjectIdString.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export type PageInput = z.input<typeof PageInput>

const Flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional()
export const SEARCH_MAX = 50

export const CommunityFilter = z.object({
  status: z.string().optional(),
  category: z.string().optional(),
  gridId: ObjectIdString.optional(),
  urgency: z.enum(['urgent', 'normal']).optional(),
  /** Only open cases past their resolution deadline. */
  overdue: Flag,
  /** Only cases sent back for re-work (不满意重办) or reopened. */
  rework: Flag,
  /** Only open cases nobody handles: held at a queue, or (against the rules) owned by nobody. */
  unowned: Flag,
  channel: z.enum(CASE_CHANNELS).optional(),
  /** Reported on or after this day (YYYY-MM-DD, in the service's time zone). */
  from: z.string().optional(),
  /** Reported on or before this day (YYYY-MM-DD, in the service's time zone). */
  to: z.string().optional(),
  /** Text in the case number, the description or the place (building, unit, room, address). */
  q: z.string().trim().max(SEARCH_MAX, `搜索内容请控制在 ${SEARCH_MAX} 字以内`).optional(),
  /** Also count every matching case (`total`), for the board's column counts. */
  count: Flag,
})
export type CommunityFilter = z.input<typeof CommunityFilter>

/** An id from the caller as an ObjectId; a malformed one is INVALID_INPUT, never a 500. */
function oid(id: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id) || !/^[0-9a-f]{24}$/i.test(id))
    throw new InvalidInputError('编号格式不正确', { id })
  return new Types.ObjectId(id)
}

/** Newest first, keyed by _id so pages are stable while new cases arrive. */
async function page(
  ctx: CaseContext,
  filter: Record<string, unknown>,
  raw: PageInput | undefined,
): Promise<Page<CaseSummary>> {
  const p = parseInput(PageInput, raw ?? {})
  const q = p.cursor ? { ...filter, _id: { $lt: new Types.ObjectId(p.cursor) } } : filter
  const docs = await CaseModel.find(q, { timeline: 0 })
    .sort({ _id: -1 })
    .limit(p.limit + 1)
    .lean<CaseDoc[]>()
    .exec()
  const items = docs.slice(0, p.limit).map((d) => toCaseSummary(d, ctx.now(), ctx.responsibility.dueState))
  const last = docs.length > p.limit ? items[items.length - 1] : undefined
  return { items, nextCursor: last?.id }
}

/**
 * `page` over several values of one field without `$in`: one cursor page per value (each a top-level
 * equality with a limit), merged newest first — the same items and cursor as one `$in` query.
 */
async function pageEach(
  ctx: CaseContext,
  base: Record<string, unknown>,
  field: string,
  values: readonly unknown[],
  raw: PageInput | undefined,
): Promise<Page<CaseSummary>> {
  const p = parseInput(PageInput, raw ?? {})
  const cursor = p.cursor ? { _id: { $lt: new Types.ObjectId(p.cursor) } } : {}
  const lists = await Promise.all(
    values.map((value) =>
      CaseModel.find({ ...base, [field]: value, ...cursor } as Record<string, unknown>, { timeline: 0 })
        .sort({ _id: -1 })
        .limit(p.limit + 1)
        .lean<CaseDoc[]>()
        .exec(),
    ),
  )
  const docs = lists.flat().sort((a, b) => String(b._id).localeCompare(String(a._id)))
  const items = docs.slice(0, p.limit).map((d) => toCaseSummary(d, ctx.now(), ctx.responsibility.dueState))
  const last = docs.length > p.limit ? items[items.length - 1] : undefined
  return { items, nextCursor: last?.id }
}

/** `pageEach` over statuses. */
function pageEachStatus(
  ctx: CaseContext,
  base: Record<string, unknown>,
  statuses: readonly string[],
  raw: PageInput | undefined,
): Promise<Page<CaseSummary>> {
  return pageEach(ctx, base, 'status', statuses, raw)
}

/** The statuses of a comma-separated list, each once; undefined when none is given. */
function statusList(status?: string): string[] | undefined {
  const list = [...new Set((status ?? '').split(',').map((s) => s.trim()))].filter(Boolean)
  return list.length ? list : undefined
}

/** One case with its timeline. */
export async function getCase(ctx: CaseContext, number: string): Promise<CaseView> {
  return toCaseView(await findCase(number), ctx.now(), ctx.responsibility.dueState)
}

/** The summaries of a shared page of followed cases, with the second they were made at. */
const pageSummaries = new WeakMap<FollowedPage, { second: number; items: CaseSummary[] }>()

/**
 * A shared page's summaries, made at most once a second (its due figures count from that moment):
 * a list many requests read at once is not summarised, nor serialised, once per request. The same
 * array while it holds, so the route can keep its JSON (see `pageJson` in cases.routes.ts). Shared: never changed.
 */
function summariesOf(ctx: CaseContext, page: FollowedPage): CaseSummary[] {
  const now = ctx.now()
  const second = Math.floor(now.getTime() / 1000)
  const made = pageSummaries.get(page)
  if (made?.second === second) return made.items
  const items = page.docs.map((d) => toCaseSummary(d, now, ctx.responsibility.dueState))
  pageSummaries.set(page, { second, items })
  return items
}

/** Cases a resident reported or subscribed to (by person id, or chat contact id). */
export async function listForReporter(
  ctx: CaseContext,
  who: { personId?: string; contactId?: string },
  p?: PageInput,
): Promise<Page<CaseSummary>> {
  if (who.personId) {
    // The person's follows (cases reported or joined), by the indexed top-level `personId`, then each
    // case by `_id`: never a search of every case.
    const q = parseInput(PageInput, p ?? {})
    const page = await followedCases(who.personId, { before: q.cursor, limit: q.limit })
    return { items: summariesOf(ctx, page), nextCursor: page.next }
  }
  // A chat contact the registry does not know (cases stored before every reporter had a record).
  if (!who.contactId) return { items: [] }
  return page(
    ctx,
    { $or: [{ 'reporter.contactId': who.contactId }, { 'subscribers.contactId': who.contactId }] },
    p,
  )
}

const WORKER_OPEN = ['assigned', 'in_progress']
/** A worker's open cases are few; more than this and the list falls back to newest first. */
const WORKER_DUE_LIST_MAX = 500

/**
 * A worker's inbox (我的工单): their cases, open ones unless a status is given. Open cases come by due
 * time: the soonest resolution deadline first, so overdue ones lead; cases without one come last.
 * A list that asks for finished statuses (history) is newest first.
 */
export async function listForWorker(
  ctx: CaseContext,
  workerId: string,
  opts: { status?: string } & PageInput = {},
): Promise<Page<CaseSummary>> {
  const statuses = [...new Set(opts.status ? opts.status.split(',').map((s) => s.trim()) : WORKER_OPEN)]
  // One equality per status on the indexed (assigneeId, status), never an `$in` over statuses.
  const base = { assigneeId: oid(workerId) }
  const open = statuses.every((s) => (OPEN_CASE_STATUSES as readonly string[]).includes(s))
  if (!open) return pageEachStatus(ctx, base, statuses, opts)
  const p = parseInput(PageInput, opts)
  const docs = (
    await Promise.all(
      statuses.map((status) =>
        CaseModel.find({ ...base, status } as Record<string, unknown>, { timeline: 0 })
          .limit(WORKER_DUE_LIST_MAX + 1)
          .lean<CaseDoc[]>()
          .exec(),
      ),
    )
  ).flat()
  if (docs.length > WORKER_DUE_LIST_MAX) return pageEachStatus(ctx, base, statuses, opts)
  docs.sort(byDueTime)
  // The cursor is the last case of the previous page; read by _id, it still marks the place if that
  // case has left the list meanwhile (resolved, transferred).
  const after = p.cursor
    ? await CaseModel.findById(p.cursor, { deadlines: 1 }).lean<CaseDoc>().exec()
    : undefined
  const rest = after ? docs.filter((d) => byDueTime(d, after) > 0) : docs
  const items = rest.slice(0, p.limit).map((d) => toCaseSummary(d, ctx.now(), ctx.responsibility.dueState))
  const more = rest.length > p.limit
  return { items, nextCursor: more ? items[items.length - 1]?.id : undefined }
}

/** Soonest resolution deadline first, no deadline last; ties oldest first. */
function byDueTime(a: Pick<CaseDoc, '_id' | 'deadlines'>, b: Pick<CaseDoc, '_id' | 'deadlines'>): number {
  const due = (c: Pick<CaseDoc, 'deadlines'>) => c.deadlines?.resolveBy?.getTime() ?? Number.POSITIVE_INFINITY
  return due(a) - due(b) || String(a._id).localeCompare(String(b._id))
}

/** Cases of one grid, open ones unless a status is given. */
export async function listForGrid(
  ctx: CaseContext,
  gridId: string,
  opts: { status?: string } & PageInput = {},
): Promise<Page<CaseSummary>> {
  // One equality per status on the top-level `gridId` (index gridId, status, _id), never `$in`.
  const statuses = statusList(opts.status) ?? OPEN_CASE_STATUSES
  return pageEachStatus(ctx, { gridId: oid(gridId) }, statuses, opts)
}

/** The marketplace (抢单大厅) of one department: cases posted to it and not yet claimed. */
export async function listMarketplace(
  ctx: CaseContext,
  departmentId: string,
  p?: PageInput,
): Promise<Page<CaseSummary>> {
  return page(ctx, { postedDepartmentIds: oid(departmentId), status: 'posted' }, p)
}

/**
 * Open cases nobody handles: held at a queue (`heldAt`), or received and owned by nobody (against the
 * rules). The intake desk's list and the board's 无人负责 filter: one equality on the key the case
 * keeps in the same write (see `keyUpdate` in case.workload.ts).
 */
const UNOWNED: Record<string, unknown> = { unowned: true }

/** The instant a `YYYY-MM-DD` day starts in `timeZone`; a malformed or impossible date is a 400. */
function dayStart(day: string, timeZone: string, what: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  const noon = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12)) : undefined
  if (!m || !noon || noon.toISOString().slice(0, 10) !== day)
    throw new InvalidInputError(`${what}不是有效的日期，请按“年-月-日”填写，如 2026-11-27`, { [what]: day })
  return startOfLocalDay(noon, timeZone)
}

const DAY_MS = 24 * 60 * 60 * 1000

/** createdAt within the days `from`..`to` (both included), in `timeZone`. */
function dayRange(from: string | undefined, to: string | undefined, timeZone: string) {
  if (!from && !to) return undefined
  const start = from ? dayStart(from, timeZone, '开始日期') : undefined
  // The end is the next day's start (found from its noon, clear of daylight-saving edges).
  const toStart = to ? dayStart(to, timeZone, '结束日期') : undefined
  const end = toStart && startOfLocalDay(new Date(toStart.getTime() + DAY_MS + DAY_MS / 2), timeZone)
  if (start && end && start >= end) throw new InvalidInputError('开始日期不能晚于结束日期', { from, to })
  return { createdAt: { ...(start ? { $gte: start } : {}), ...(end ? { $lt: end } : {}) } }
}

/** A run of seven or more digits: a phone or ID number, never searched for in what residents wrote. */
const PERSONAL_NUMBER = /\d{7,}/

/**
 * Text search: the case number, the description and the place. The text is matched literally
 * (regex specials escaped). A phone- or ID-like number only matches case numbers, so the search
 * cannot tell whether someone's number appears in a masked description.
 */
function textMatch(q: string): Record<string, unknown> {
  const number = normaliseCaseNumber(q)
  if (number) return { number }
  const re = { $regex: q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' }
  const fields = PERSONAL_NUMBER.test(q)
    ? ['number']
    : ['number', 'description', 'location.text', 'location.building', 'location.unit', 'location.room']
  return { $or: fields.map((f) => ({ [f]: re })) }
}

/**
 * Community staff's list with filters: status list, category, grid, urgency, channel, overdue,
 * re-work, unowned, a range of days and a text search. The community is the leading equality on the
 * top-level `communityId` (index `communityId, createdAt`; with a status `communityId, status, _id`);
 * several statuses are one query each, merged; each further filter narrows with `$and`. `count` adds
 * the total.
 */
export async function listForCommunity(
  ctx: CaseContext,
  communityId: string,
  rawFilter: CommunityFilter = {},
  p?: PageInput,
): Promise<Page<CaseSummary> & { total?: number }> {
  const f = parseInput(CommunityFilter, rawFilter)
  const statuses = statusList(f.status)
  // A grid of the community narrows to that grid's key (index gridId, status, _id); a grid of
  // another community matches nothing, as the community's equality would.
  const grid = f.gridId ? await cachedGrid(oid(f.gridId)) : undefined
  if (grid !== undefined && String(grid?.communityId) !== String(oid(communityId)))
    return f.count ? { items: [], total: 0 } : { items: [] }
  const filter: Record<string, unknown> = grid ? { gridId: grid._id } : { communityId: oid(communityId) }
  if (statuses?.length === 1) filter.status = statuses[0]
  if (f.category) filter.category = f.category
  if (f.urgency) filter.urgency = f.urgency
  if (f.channel) filter.channel = f.channel
  Object.assign(filter, dayRange(f.from, f.to, ctx.config.timezone))
  const and: Record<string, unknown>[] = []
  if (f.overdue) and.push({ status: { $in: OPEN_CASE_STATUSES }, 'deadlines.resolveBy': { $lt: ctx.now() } })
  if (f.rework) and.push({ $or: [{ reworkCount: { $gt: 0 } }, { reopenedCount: { $gt: 0 } }] })
  if (f.unowned) filter.unowned = true
  if (f.q) and.push(textMatch(f.q))
  if (and.length > 0) filter.$and = and
  const several = statuses && statuses.length > 1 ? statuses : undefined
  const result = several ? await pageEachStatus(ctx, filter, several, p) : await page(ctx, filter, p)
  if (!f.count) return result
  const counts = await Promise.all(
    (several ?? [undefined]).map((status) =>
      CaseModel.countDocuments(status ? { ...filter, status } : filter).exec(),
    ),
  )
  return { ...result, total: counts.reduce((a, b) => a + b, 0) }
}

/**
 * The intake desk's list: open cases held at a queue (`heldAt`) or, against the rules, owned by
 * nobody; only those of the given communities when some are given. Newest first.
 */
export async function listAtIntakeDesk(
  ctx: CaseContext,
  scope: { communityIds?: string[] } = {},
  p?: PageInput,
): Promise<Page<CaseSummary>> {
  const ids = [...new Set(scope.communityIds ?? [])].map(oid)
  // One query per community on the top-level `communityId`, merged newest first.
  return ids.length ? pageEach(ctx, UNOWNED, 'communityId', ids, p) : page(ctx, UNOWNED, p)
}
