/**
 * The case board's state as the address shows it (`/console/?mode=kanban&q=…&from=…`), so a reload or
 * a shared link opens the same board, and as the `GET /api/v1/community/cases` query it asks for.
 */
export type BoardMode = 'list' | 'kanban'

export interface BoardFilters {
  status: string
  grid: string
  category: string
  urgency: string
  channel: string
  /** Days, YYYY-MM-DD (what `<input type="date">` gives). */
  from: string
  to: string
  /** Text: case number, description or place. */
  q: string
  overdue: boolean
  rework: boolean
  unowned: boolean
}

const TEXT_KEYS = ['status', 'grid', 'category', 'urgency', 'channel', 'from', 'to', 'q'] as const
const FLAG_KEYS = ['overdue', 'rework', 'unowned'] as const

export const emptyFilters = (): BoardFilters => ({
  status: '',
  grid: '',
  category: '',
  urgency: '',
  channel: '',
  from: '',
  to: '',
  q: '',
  overdue: false,
  rework: false,
  unowned: false,
})

/** The board as the address's query string describes it. */
export function readBoardUrl(search: string): { mode: BoardMode; filters: BoardFilters } {
  const p = new URLSearchParams(search)
  const filters = emptyFilters()
  for (const k of TEXT_KEYS) filters[k] = p.get(k) ?? ''
  for (const k of FLAG_KEYS) filters[k] = p.get(k) === 'true'
  return { mode: p.get('mode') === 'kanban' ? 'kanban' : 'list', filters }
}

/** The filters that are set, as query parameters (the API's names, which the address shares). */
function filterParams(filters: BoardFilters, withStatus: boolean): URLSearchParams {
  const p = new URLSearchParams()
  for (const k of TEXT_KEYS) {
    const v = filters[k].trim()
    if (v && (withStatus || k !== 'status')) p.set(k, v)
  }
  for (const k of FLAG_KEYS) if (filters[k]) p.set(k, 'true')
  return p
}

/** The query string the address carries for this board (empty for the plain list). */
export function boardUrlQuery(mode: BoardMode, filters: BoardFilters): string {
  const p = filterParams(filters, mode === 'list')
  if (mode === 'kanban') p.set('mode', 'kanban')
  return p.toString()
}

/**
 * The API query for one list: the filters, the community, and `status` (a kanban column's own
 * status replaces the status filter), a cursor for the next page, and the count.
 */
export function casesQuery(
  communityId: string,
  filters: BoardFilters,
  opts: { status?: string; cursor?: string; limit: number },
): string {
  const p = filterParams(filters, !opts.status)
  if (opts.status) p.set('status', opts.status)
  if (communityId) p.set('communityId', communityId)
  p.set('limit', String(opts.limit))
  if (opts.cursor) p.set('cursor', opts.cursor)
  else p.set('count', 'true')
  return p.toString()
}
