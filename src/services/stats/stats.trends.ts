import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { describeIssues, InvalidInputError } from '../../lib/errors.js'
import { CaseModel, OPEN_CASE_STATUSES } from '../../models/case.model.js'
import { GridModel } from '../../models/registry.model.js'
import {
  addCase,
  type CaseFacts,
  finishRow,
  newAccumulator,
  PROJECTION,
  type StatsRow,
} from './stats.figures.js'
import { addDays, dayOf, startOfDay } from './stats.time.js'

/**
 * The dashboard's moving parts: the same figures as `communityStats`, bucketed by day or week (trend
 * charts), and the hotspots — places and categories that keep coming back. Both stream one projection
 * of the cases created in the window (community + createdAt: the `communityId, createdAt`
 * index), summed in code like the rest of the statistics.
 */

const ObjectIdString = z.string().regex(/^[a-f0-9]{24}$/i, '编号格式不正确')

export const TrendInput = z
  .object({
    communityId: ObjectIdString.optional(),
    /** Local calendar days, inclusive: YYYY-MM-DD. */
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD'),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD'),
    interval: z.enum(['day', 'week']).default('day'),
  })
  .refine((q) => q.from <= q.to, { message: '开始日期不能晚于结束日期', path: ['from'] })
export type TrendInput = z.input<typeof TrendInput>

export interface TrendPoint {
  /** The bucket's first day (a week starts on Monday). */
  period: string
  from: Date
  to: Date
  figures: StatsRow
}

export interface TrendReport {
  communityId?: string
  interval: 'day' | 'week'
  points: TrendPoint[]
}

export const HotspotInput = z.object({
  communityId: ObjectIdString.optional(),
  /** The window: the last N days up to now (default 7). */
  days: z.coerce.number().int().min(1).max(90).default(7),
  limit: z.coerce.number().int().min(1).max(50).default(10),
})
export type HotspotInput = z.input<typeof HotspotInput>

export interface PlaceHotspot {
  /** 「5号楼」 in 「KH-02 康和二网格」, or the address text when no building is known. */
  place: string
  gridId?: string
  building?: string
  category: string
  categoryLabel: string
  /** Cases in this window. */
  count: number
  /** Cases in the window before (same length): it keeps coming back when both are > 0. */
  previous: number
  open: number
  /** The newest case, for click-through. */
  latestNumber: string
}

export interface CategoryHotspot {
  category: string
  categoryLabel: string
  count: number
  previous: number
}

export interface HotspotReport {
  communityId?: string
  from: Date
  to: Date
  places: PlaceHotspot[]
  categories: CategoryHotspot[]
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input)
  if (!r.success) throw new InvalidInputError('统计参数不正确', describeIssues(r.error.issues))
  return r.data
}

/** Monday of the week a local day falls in. */
function mondayOf(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay() // 0 Sunday … 6 Saturday
  return addDays(day, -((weekday + 6) % 7))
}

export function createStatsTrends(deps: {
  clock: Clock
  timezone: string
  categoryLabel: (code: string) => string
}) {
  const { timezone } = deps

  /** Figures per day or week for cases created in [from, to] (local days); equal to communityStats per bucket. */
  async function trend(raw: TrendInput): Promise<TrendReport> {
    const q = parse(TrendInput, raw)
    const now = deps.clock.now()
    const first = q.interval === 'week' ? mondayOf(q.from) : q.from
    const step = q.interval === 'week' ? 7 : 1
    const periods: string[] = []
    for (let d = first; d <= q.to; d = addDays(d, step)) {
      periods.push(d)
      if (periods.length > 400) throw new InvalidInputError('时间范围太长，请缩短或按周统计')
    }
    const from = startOfDay(first, timezone)
    const to = startOfDay(addDays(periods.at(-1) as string, step), timezone)
    const accs = new Map(periods.map((p) => [p, newAccumulator()]))
    const filter: Record<string, unknown> = { createdAt: { $gte: from, $lt: to } }
    if (q.communityId) filter.communityId = new Types.ObjectId(q.communityId)
    for await (const c of CaseModel.find(filter, PROJECTION).lean<CaseFacts>().batchSize(1000).cursor()) {
      const day = dayOf(c.createdAt, timezone)
      const bucket = q.interval === 'week' ? mondayOf(day) : day
      const acc = accs.get(bucket)
      if (acc) addCase(acc, c, now)
    }
    return {
      ...(q.communityId ? { communityId: q.communityId } : {}),
      interval: q.interval,
      points: periods.map((p) => ({
        period: p,
        from: startOfDay(p, timezone),
        to: startOfDay(addDays(p, step), timezone),
        figures: finishRow(accs.get(p) ?? newAccumulator(), p, p),
      })),
    }
  }

  /** Places (building or address) × category, and categories, with the most cases this window. */
  async function hotspots(raw: HotspotInput): Promise<HotspotReport> {
    const q = parse(HotspotInput, raw)
    const to = deps.clock.now()
    const from = new Date(to.getTime() - q.days * 86_400_000)
    const before = new Date(from.getTime() - q.days * 86_400_000)
    const filter: Record<string, unknown> = { createdAt: { $gte: before, $lt: to } }
    if (q.communityId) filter.communityId = new Types.ObjectId(q.communityId)
    const places = new Map<string, PlaceHotspot & { at: number }>()
    const categories = new Map<string, CategoryHotspot>()
    const projection = { number: 1, category: 1, status: 1, createdAt: 1, location: 1 }
    for await (const c of CaseModel.find(filter, projection).lean().batchSize(1000).cursor()) {
      const current = c.createdAt >= from
      const gridId = c.location?.gridId ? String(c.location.gridId) : undefined
      const building = c.location?.building?.trim() || undefined
      const text = c.location?.text?.trim()
      if (!building && !text) continue
      const placeKey = `${gridId ?? ''}|${building ?? text}|${c.category}`
      const cat = categories.get(c.category) ?? {
        category: c.category,
        categoryLabel: deps.categoryLabel(c.category),
        count: 0,
        previous: 0,
      }
      categories.set(c.category, cat)
      const spot = places.get(placeKey) ?? {
        place: building ? `${building}号楼`.replace(/号楼号楼$/, '号楼') : (text as string),
        ...(gridId ? { gridId } : {}),
        ...(building ? { building } : {}),
        category: c.category,
        categoryLabel: deps.categoryLabel(c.category),
        count: 0,
        previous: 0,
        open: 0,
        latestNumber: c.number,
        at: 0,
      }
      places.set(placeKey, spot)
      if (!current) {
        spot.previous += 1
        cat.previous += 1
        continue
      }
      spot.count += 1
      cat.count += 1
      if ((OPEN_CASE_STATUSES as readonly string[]).includes(c.status)) spot.open += 1
      if (c.createdAt.getTime() >= spot.at) {
        spot.at = c.createdAt.getTime()
        spot.latestNumber = c.number
      }
    }
    const gridIds = [...new Set([...places.values()].map((p) => p.gridId).filter((g): g is string => !!g))]
    // Each grid by `_id`, never an `$in`.
    const grids = await Promise.all(gridIds.map((g) => GridModel.findById(g, { code: 1 }).lean()))
    const codeOf = new Map(grids.flatMap((g) => (g ? [[String(g._id), g.code] as const] : [])))
    const placeList = [...places.values()]
      .filter((p) => p.count >= 2 || (p.count >= 1 && p.previous >= 1))
      .sort((a, b) => b.count - a.count || b.previous - a.previous || b.at - a.at)
      .slice(0, q.limit)
      .map(({ at: _at, ...p }) => ({
        ...p,
        place: p.gridId && codeOf.get(p.gridId) ? `${codeOf.get(p.gridId)} ${p.place}` : p.place,
      }))
    return {
      ...(q.communityId ? { communityId: q.communityId } : {}),
      from,
      to,
      places: placeList,
      categories: [...categories.values()]
        .filter((c) => c.count > 0)
        .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category))
        .slice(0, q.limit),
    }
  }

  return { trend, hotspots }
}
