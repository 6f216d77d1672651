import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { ForbiddenError } from '../../lib/errors.js'
import { toCsv } from '../../services/stats/stats.csv.js'
import { STATS_DIMENSIONS, type StatsService } from '../../services/stats/stats.service.js'
import { type Actor, isCityAdmin, requireRole } from '../middleware/auth.js'
import { parseQuery } from '../validate.js'

const DateText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.+\-Z]+)?$/, '日期格式应为 YYYY-MM-DD')
  .meta({ format: 'date', example: '2026-12-01' })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00+08:00` : s))
  .refine((d) => !Number.isNaN(d.getTime()), '日期不正确')

export const StatsQuery = z
  .object({
    communityId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '社区编号格式不正确')
      .optional(),
    by: z.enum(STATS_DIMENSIONS).default('grid'),
    from: DateText,
    to: DateText,
  })
  .strict()
export const StatsBody = z.object({
  communityId: z.string().optional(),
  from: z.string().meta({ format: 'date-time' }),
  to: z.string().meta({ format: 'date-time' }),
  generatedAt: z.string().meta({ format: 'date-time' }),
  by: z.enum(STATS_DIMENSIONS),
  rows: z
    .array(z.record(z.string(), z.unknown()))
    .describe(
      '每行：total, byStatus, response（响应率）, resolution（解决率）, satisfaction（满意率）, rework（重办率 = 发回重办件数 ÷ 办结过的件数）, 平均时长',
    ),
  totals: z.record(z.string(), z.unknown()),
})

export const TrendQuery = z
  .object({
    communityId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '社区编号格式不正确')
      .optional(),
    from: z.iso.date({ error: '日期格式应为 YYYY-MM-DD' }),
    to: z.iso.date({ error: '日期格式应为 YYYY-MM-DD' }),
    interval: z.enum(['day', 'week']).default('day'),
  })
  .strict()
export const HotspotQuery = z
  .object({
    communityId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '社区编号格式不正确')
      .optional(),
    days: z.coerce.number().int().min(1).max(90).default(7),
    limit: z.coerce.number().int().min(1).max(50).default(10),
  })
  .strict()
export const TrendBody = z.object({
  communityId: z.string().optional(),
  interval: z.enum(['day', 'week']),
  points: z
    .array(z.record(z.string(), z.unknown()))
    .describe(
      '每个时段：period（首日）, from, to, figures（与 /stats 的一行相同：total, response, resolution, satisfaction, rework …）',
    ),
})
export const HotspotBody = z.object({
  communityId: z.string().optional(),
  from: z.string().meta({ format: 'date-time' }),
  to: z.string().meta({ format: 'date-time' }),
  places: z
    .array(z.record(z.string(), z.unknown()))
    .describe(
      '反复出现的地点 × 类别：place, category, categoryLabel, count（本期）, previous（上期）, open, latestNumber',
    ),
  categories: z.array(z.record(z.string(), z.unknown())).describe('类别：count（本期）, previous（上期）'),
})

/** Staff see their own community; a city-wide admin any community, or the whole city without one. */
function scopeOf(actor: Actor, wanted: string | undefined): string | undefined {
  if (isCityAdmin(actor)) return wanted
  const id = wanted ?? (actor.communityIds.length === 1 ? actor.communityIds[0] : undefined)
  if (!id || !actor.communityIds.includes(id)) throw new ForbiddenError('只能查看本社区的统计')
  return id
}

async function report(ctx: Context, stats: StatsService) {
  const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
  const q = parseQuery(ctx, StatsQuery)
  return stats.communityStats({
    communityId: scopeOf(actor, q.communityId),
    from: q.from,
    to: q.to,
    by: q.by,
  })
}

/** `/api/v1/stats` (三率 and counts per grid/worker/category) and its CSV export. */
export function statsRoutes(deps: { stats: StatsService }): Router {
  const router = new Router({ prefix: '/api/v1' })
  router.get('/stats', async (ctx) => {
    ctx.body = await report(ctx, deps.stats)
  })
  router.get('/stats/trend', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, TrendQuery)
    ctx.body = await deps.stats.trend({ ...q, communityId: scopeOf(actor, q.communityId) })
  })
  router.get('/stats/hotspots', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, HotspotQuery)
    ctx.body = await deps.stats.hotspots({ ...q, communityId: scopeOf(actor, q.communityId) })
  })
  router.get('/stats.csv', async (ctx) => {
    const r = await report(ctx, deps.stats)
    ctx.type = 'text/csv; charset=utf-8'
    ctx.set('Content-Disposition', `attachment; filename="linli-stats-${r.by}.csv"`)
    ctx.body = toCsv([...r.rows, r.totals], r.by)
  })
  return router
}
