import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { describeIssues, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { CaseModel, OPEN_CASE_STATUSES } from '../../models/case.model.js'
import { CommunityModel, DepartmentModel, GridModel, ResidentModel } from '../../models/registry.model.js'
import { CATEGORY_NAMES } from '../responsibility/responsibility.config.js'
import {
  addCase,
  type CaseFacts,
  finishRow,
  newAccumulator,
  PROJECTION,
  type RowAccumulator,
  type SatisfactionFigure,
  type StatsRow,
} from './stats.figures.js'
import { addDays, dayOf, dayRange, isDay } from './stats.time.js'
import {
  createStatsTrends,
  type HotspotInput,
  type HotspotReport,
  type TrendInput,
  type TrendReport,
} from './stats.trends.js'

export type { RateFigure, ReworkFigure, SatisfactionFigure, StatsRow } from './stats.figures.js'

export const STATS_DIMENSIONS = ['grid', 'worker', 'category'] as const
export type StatsDimension = (typeof STATS_DIMENSIONS)[number]

/** The category names of DESIGN.md's taxonomy, used when no responsibility list is given. */
export const CATEGORY_LABELS = CATEGORY_NAMES

const ObjectIdString = z
  .union([z.string(), z.instanceof(Types.ObjectId)])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^[0-9a-f]{24}$/i, '不是有效的社区编号'))

export const CommunityStatsInput = z
  .object({
    /** Omitted: every community (a city-wide table). */
    communityId: ObjectIdString.optional(),
    /** Cases created in [from, to). */
    from: z.date(),
    to: z.date(),
    by: z.enum(STATS_DIMENSIONS).default('grid'),
  })
  .refine((q) => q.from.getTime() < q.to.getTime(), { message: '开始时间必须早于结束时间', path: ['from'] })
export type CommunityStatsInput = z.input<typeof CommunityStatsInput>

export interface StatsReport {
  communityId?: string
  from: Date
  to: Date
  by: StatsDimension
  generatedAt: Date
  /** One row per grid / worker / category that had cases, sorted by label; "none" rows last. */
  rows: StatsRow[]
  totals: StatsRow
}

/** Yesterday's figures for the morning digest. */
export interface DailyFigures {
  day: string
  newCases: number
  resolved: number
  /** Open cases past a deadline at the time of the call. */
  overdue: number
  /** Ratings given that day. */
  satisfaction: SatisfactionFigure
}

export interface StatsService {
  /** Per-grid, per-worker or per-category figures for cases created in [from, to), plus totals. */
  communityStats(input: CommunityStatsInput): Promise<StatsReport>
  /** The figures of one local calendar day ('YYYY-MM-DD'; default: yesterday). */
  dailyFigures(input: { communityId?: string; day?: string }): Promise<DailyFigures>
  /** A community's id from its code (e.g. `KH`) or id. */
  resolveCommunityId(codeOrId: string): Promise<string>
  /** The same figures per day or week (trend charts); each bucket equals communityStats for its days. */
  trend(input: TrendInput): Promise<TrendReport>
  /** Places and categories that keep coming back in the last days. */
  hotspots(input: HotspotInput): Promise<HotspotReport>
}

export interface StatsDeps {
  clock: Clock
  /** The responsibility list, for category names; DESIGN.md's names otherwise. */
  responsibility?: { list: { categories: Readonly<Partial<Record<string, { name: string }>>> } }
  /** Calendar days are counted in this zone. Default Asia/Shanghai. */
  timezone?: string
}

type CaseRow = CaseFacts & {
  gridId?: Types.ObjectId | null
  location?: { gridId?: Types.ObjectId | null } | null
  assigneeId?: Types.ObjectId | null
  departmentId?: Types.ObjectId | null
}

const NONE = 'none'

/** The row a case belongs to: `worker:<id>`, `department:<id>` (claimed, nobody named) or `none`. */
function keyOf(c: CaseRow, by: StatsDimension): string {
  if (by === 'category') return c.category
  if (by === 'grid') {
    const gridId = c.gridId ?? c.location?.gridId
    return gridId ? String(gridId) : NONE
  }
  if (c.assigneeId) return `worker:${String(c.assigneeId)}`
  return c.departmentId ? `department:${String(c.departmentId)}` : NONE
}

function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError('统计参数不正确', describeIssues(result.error.issues))
  return result.data
}

/**
 * Community statistics (统计): counts, 响应率, 解决率, 满意率, 重办率 and average times. One streaming pass
 * over a projection of the cases, summed in code: FerretDB's $group is too limited for this (only
 * $sum/$count, and only the first accumulator of a $group is computed).
 */
export function createStatsService(deps: StatsDeps): StatsService {
  const timezone = deps.timezone ?? 'Asia/Shanghai'
  const categoryLabel = (code: string) =>
    deps.responsibility?.list.categories[code]?.name ?? CATEGORY_LABELS[code] ?? code

  async function communityStats(raw: CommunityStatsInput): Promise<StatsReport> {
    const q = parseInput(CommunityStatsInput, raw)
    const now = deps.clock.now()
    const filter: Record<string, unknown> = { createdAt: { $gte: q.from, $lt: q.to } }
    // The top-level `communityId` and the period: index `communityId, createdAt`.
    if (q.communityId) filter.communityId = new Types.ObjectId(q.communityId)
    const groups = new Map<string, RowAccumulator>()
    const totals = newAccumulator()
    const cursor = CaseModel.find(filter, PROJECTION).lean<CaseRow>().batchSize(1000).cursor()
    for await (const c of cursor) {
      const key = keyOf(c, q.by)
      const acc = groups.get(key) ?? newAccumulator()
      groups.set(key, acc)
      addCase(acc, c, now)
      addCase(totals, c, now)
    }
    const labels = await labelsFor(q.by, [...groups.keys()], categoryLabel)
    const rows = [...groups.entries()].map(([key, acc]) => finishRow(acc, key, labels.get(key) ?? key))
    rows.sort(byLabel(q.by))
    return {
      communityId: q.communityId,
      from: q.from,
      to: q.to,
      by: q.by,
      generatedAt: now,
      rows,
      totals: finishRow(totals, 'total', '合计'),
    }
  }

  async function dailyFigures(input: { communityId?: string; day?: string }): Promise<DailyFigures> {
    const now = deps.clock.now()
    const day = input.day ?? addDays(dayOf(now, timezone), -1)
    if (!isDay(day)) throw new InvalidInputError('日期格式应为 YYYY-MM-DD', { day })
    const { from, to } = dayRange(day, timezone)
    const scope: Record<string, unknown> = {}
    if (input.communityId)
      scope.communityId = new Types.ObjectId(parseInput(ObjectIdString, input.communityId))
    const inDay = { $gte: from, $lt: to }
    const [newCases, resolved, overdue, rated, satisfied] = await Promise.all([
      CaseModel.countDocuments({ ...scope, createdAt: inDay }),
      CaseModel.countDocuments({ ...scope, resolvedAt: inDay }),
      CaseModel.countDocuments({ ...scope, ...overdueFilter(now) }),
      CaseModel.countDocuments({ ...scope, 'rating.at': inDay }),
      CaseModel.countDocuments({ ...scope, 'rating.at': inDay, 'rating.score': { $gte: 4 } }),
    ])
    const satisfaction = { satisfied, rated, rate: rated > 0 ? satisfied / rated : null }
    return { day, newCases, resolved, overdue, satisfaction }
  }

  async function resolveCommunityId(codeOrId: string): Promise<string> {
    const or: Record<string, unknown>[] = [{ code: codeOrId }]
    if (/^[0-9a-f]{24}$/i.test(codeOrId)) or.push({ _id: new Types.ObjectId(codeOrId) })
    const found = await CommunityModel.findOne({ $or: or }, { _id: 1 }).lean()
    if (!found) throw new NotFoundError('社区', { community: codeOrId })
    return String(found._id)
  }

  const { trend, hotspots } = createStatsTrends({ clock: deps.clock, timezone, categoryLabel })
  return { communityStats, dailyFigures, resolveCommunityId, trend, hotspots }
}

/** Open cases past their resolution deadline, or not yet responded to past their response deadline. */
function overdueFilter(now: Date): Record<string, unknown> {
  return {
    status: { $in: [...OPEN_CASE_STATUSES] },
    $or: [
      { 'deadlines.resolveBy': { $lt: now } },
      { 'deadlines.respondBy': { $lt: now }, respondedAt: null, resolvedAt: null },
    ],
  }
}

function byLabel(by: StatsDimension): (a: StatsRow, b: StatsRow) => number {
  const categoryOrder = Object.keys(CATEGORY_LABELS)
  const rank = (r: StatsRow) => (r.key === NONE ? 1 : 0)
  return (a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b)
    if (by === 'category') {
      const ia = categoryOrder.indexOf(a.key)
      const ib = categoryOrder.indexOf(b.key)
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.key.localeCompare(b.key)
    }
    return a.label.localeCompare(b.label, 'zh-CN')
  }
}

/** Display names for row keys: grid "KC-07 康和七网格", a worker's name, a department's name. */
async function labelsFor(
  by: StatsDimension,
  keys: string[],
  categoryLabel: (code: string) => string,
): Promise<Map<string, string>> {
  const labels = new Map<string, string>()
  if (keys.includes(NONE))
    labels.set(NONE, by === 'grid' ? '未分网格' : by === 'worker' ? '未指派' : '未分类')
  if (by === 'category') {
    for (const k of keys) if (k !== NONE) labels.set(k, categoryLabel(k))
    return labels
  }
  const idsWith = (prefix: string) =>
    keys
      .filter((k) => k !== NONE && k.startsWith(prefix))
      .map((k) => new Types.ObjectId(k.slice(prefix.length)))
  if (by === 'grid') {
    // Each grid by `_id` (an `$in` is never pushed down by FerretDB; a community has a few grids).
    const grids = await Promise.all(
      idsWith('').map((id) => GridModel.findById(id, { code: 1, name: 1 }).lean()),
    )
    for (const g of grids) if (g) labels.set(String(g._id), `${g.code} ${g.name}`)
    return labels
  }
  const [people, departments] = await Promise.all([
    ResidentModel.find({ _id: { $in: idsWith('worker:') } }, { name: 1 }).lean(),
    DepartmentModel.find({ _id: { $in: idsWith('department:') } }, { name: 1 }).lean(),
  ])
  for (const p of people) labels.set(`worker:${String(p._id)}`, p.name)
  for (const d of departments) labels.set(`department:${String(d._id)}`, d.name)
  return labels
}
