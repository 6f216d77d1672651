import type { Audience, Grid } from '../../types'

/** 「全社区」 or the grids' names (a household list is counted). */
export function audienceText(a: Audience, grids: Grid[]): string {
  if (a.householdIds.length > 0) return `指定的 ${a.householdIds.length} 户`
  if (a.gridIds.length === 0) return '全社区'
  const name = new Map(grids.map((g) => [g.id, `${g.code} ${g.name}`]))
  return a.gridIds.map((g) => name.get(g) ?? '网格').join('、')
}

export const percent = (x: number): string => `${Math.round(x * 100)}%`

/** `2026-12-10T18:00` from an <input type="datetime-local"> as the API reads it. */
export const localTime = (v: string): string => v.replace('T', ' ')
