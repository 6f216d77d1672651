import type { CaseStatus } from '../../models/case.model.js'
import { STATUS_LABELS } from '../cases/case.views.js'
import type { StatsRow } from './stats.figures.js'

const FIRST_COLUMN = { grid: '网格', worker: '网格员', category: '事项类别' } as const

/** A ratio as a percentage with one decimal ("85.7%"), blank when there was nothing to measure. */
export function formatRate(rate: number | null): string {
  return rate === null ? '' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}

/** One CSV field: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function field(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function cells(row: StatsRow): Array<string | number | null> {
  return [
    row.label,
    row.total,
    ...Object.keys(STATUS_LABELS).map((s) => row.byStatus[s as CaseStatus] ?? 0),
    row.urgent,
    formatRate(row.response.rate),
    formatRate(row.resolution.rate),
    formatRate(row.satisfaction.rate),
    row.satisfaction.rated,
    formatRate(row.rework.rate),
    row.rework.reworked,
    row.avgResponseHours,
    row.avgResolutionHours,
    row.overdueNow,
  ]
}

/**
 * The rows (and totals, pass them last) as CSV for Excel: UTF-8 with a byte-order mark, CRLF line
 * ends, Chinese headers. The first column is named after the dimension (网格 / 网格员 / 事项类别).
 */
export function toCsv(rows: readonly StatsRow[], by: keyof typeof FIRST_COLUMN = 'grid'): string {
  const header = [
    FIRST_COLUMN[by],
    '工单数',
    ...Object.values(STATUS_LABELS),
    '紧急',
    '响应率',
    '解决率',
    '满意率',
    '评价数',
    '重办率',
    '重办数',
    '平均响应时长(小时)',
    '平均解决时长(小时)',
    '当前超期',
  ]
  const lines = [header, ...rows.map(cells)].map((line) => line.map(field).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}
