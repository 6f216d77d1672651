import { writeFileSync } from 'node:fs'
import { systemClock } from '../lib/clock.js'
import { alignColumns } from '../lib/text-width.js'
import { loadResponsibilityList } from '../services/responsibility/responsibility.config.js'
import { formatRate, toCsv } from '../services/stats/stats.csv.js'
import {
  createStatsService,
  STATS_DIMENSIONS,
  type StatsDimension,
  type StatsRow,
} from '../services/stats/stats.service.js'
import { addDays, dayOf, isDay, startOfDay } from '../services/stats/stats.time.js'
import { type Command, type CommandContext, parseArgs } from './command.js'

const DEFAULT_DAYS = 30

function isDimension(v: string): v is StatsDimension {
  return (STATS_DIMENSIONS as readonly string[]).includes(v)
}

function textTable(rows: StatsRow[]): string[] {
  const head = [
    '',
    '工单数',
    '响应率',
    '解决率',
    '满意率',
    '重办率',
    '平均响应(时)',
    '平均解决(时)',
    '当前超期',
  ]
  const lines = rows.map((r) => [
    r.label,
    String(r.total),
    formatRate(r.response.rate) || '-',
    formatRate(r.resolution.rate) || '-',
    formatRate(r.satisfaction.rate) || '-',
    formatRate(r.rework.rate) || '-',
    r.avgResponseHours === null ? '-' : String(r.avgResponseHours),
    r.avgResolutionHours === null ? '-' : String(r.avgResolutionHours),
    String(r.overdueNow),
  ])
  return alignColumns([head, ...lines])
}

interface StatsArgs {
  community?: string
  by: StatsDimension
  fromDay: string
  toDay: string
  format: 'text' | 'csv' | 'json'
  outFile?: string
}

function readArgs(ctx: CommandContext, args: string[]): StatsArgs | undefined {
  const { flags } = parseArgs(args, ['csv', 'json'])
  const str = (k: string) => {
    const v = flags.get(k)
    return typeof v === 'string' ? v : undefined
  }
  const by = str('by') ?? 'grid'
  const toDay = str('to') ?? dayOf(systemClock.now(), ctx.config.timezone)
  const fromDay = str('from') ?? addDays(toDay, 1 - DEFAULT_DAYS)
  if (!isDimension(by)) return fail(ctx, `--by 只能是 ${STATS_DIMENSIONS.join(' / ')}`)
  if (!isDay(fromDay) || !isDay(toDay))
    return fail(ctx, '--from / --to 的格式应为 YYYY-MM-DD，例如 2026-11-01')
  if (fromDay > toDay) return fail(ctx, '--from 不能晚于 --to')
  const format = flags.has('csv') ? 'csv' : flags.has('json') ? 'json' : 'text'
  return { community: str('community'), by, fromDay, toDay, format, outFile: str('out') }
}

function fail(ctx: CommandContext, message: string): undefined {
  ctx.err(message)
  return undefined
}

/**
 * `linli stats`: the community's figures per grid, worker or category for a range of calendar days
 * (both ends included; default the last 30 days), as a table, JSON, or CSV for Excel (`--out` writes
 * the file byte for byte).
 */
export const statsCommand: Command = {
  name: 'stats',
  usage: [
    'stats [--community KH] [--by grid|worker|category] [--from 日期] [--to 日期] [--csv|--json] [--out 文件]',
  ],
  summary: '工单统计：响应率、解决率、满意率、重办率、平均用时（可导出 Excel 用的 CSV）',
  async run(ctx, args) {
    const a = readArgs(ctx, args)
    if (!a) return 2
    await ctx.database()
    const stats = createStatsService({
      clock: systemClock,
      timezone: ctx.config.timezone,
      responsibility: { list: loadResponsibilityList() },
    })
    const communityId = a.community ? await stats.resolveCommunityId(a.community) : undefined
    const report = await stats.communityStats({
      communityId,
      by: a.by,
      from: startOfDay(a.fromDay, ctx.config.timezone),
      to: startOfDay(addDays(a.toDay, 1), ctx.config.timezone),
    })
    const rows = [...report.rows, report.totals]
    if (a.format === 'csv') {
      const csv = toCsv(rows, a.by)
      if (a.outFile) writeFileSync(a.outFile, csv, 'utf8')
      else ctx.out(csv.replace(/\r\n$/, ''))
      return 0
    }
    if (a.format === 'json') ctx.out(JSON.stringify(report))
    else for (const line of [`${a.fromDay} 至 ${a.toDay}`, ...textTable(rows)]) ctx.out(line)
    return 0
  },
}
