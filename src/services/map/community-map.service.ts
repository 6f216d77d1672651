import type { Clock } from '../../lib/clock.js'
import { listOpenCasesOfCommunity, type OpenCaseFacts } from '../cases/case.map-queries.js'
import { readCommunityMapFacts } from '../registry/registry.map-facts.js'
import { normalizeBuilding } from '../registry/registry.validation.js'
import { objectId } from '../registry/registry.views.js'
import { isOverdue } from '../stats/stats.figures.js'
import { type BuildingSlot, type GridBlock, layOutCommunity } from './map.layout.js'

/** A building on the map with its heat: households and open, overdue and urgent open cases. */
export interface MapBuilding extends BuildingSlot {
  households: number
  openCases: number
  overdueCases: number
  urgentOpen: number
}

/** An open case for click-through; `building` is null when the report named none. */
export interface MapCase {
  number: string
  building: string | null
  /** False when the case's building is not on the map (unknown to the registry, or none). */
  placed: boolean
  category: string
  urgency: string
  status: string
  overdue: boolean
}

export interface CommunityMap {
  community: { id: string; code: string; name: string }
  layout: 'geo' | 'schematic'
  /** Always metres, x east and y south from the top-left corner. */
  unit: 'm'
  width: number
  height: number
  grids: GridBlock[]
  buildings: MapBuilding[]
  cases: MapCase[]
  generatedAt: Date
}

/**
 * The community map: the registry's grids and buildings laid out for drawing (see map.layout.ts),
 * each building with its open-case heat, and the open cases themselves. Overdue means what the
 * statistics mean by it (`isOverdue`: past the response or the resolution deadline), so the map and
 * the dashboard agree.
 */
export function createCommunityMapService(deps: { clock: Clock }) {
  return {
    async communityMap(communityId: string): Promise<CommunityMap> {
      objectId(communityId, '社区')
      const now = deps.clock.now()
      const [facts, open] = await Promise.all([
        readCommunityMapFacts(communityId),
        listOpenCasesOfCommunity(communityId),
      ])
      const layout = layOutCommunity(facts.grids)
      const households = new Map(
        facts.grids.flatMap((g) =>
          Object.entries(g.households).map(([b, n]) => [`${g.id}|${b}`, n] as const),
        ),
      )
      const cases = open.map((c) => toMapCase(c, now))
      const byBuilding = groupByBuilding(cases)
      const buildings = layout.buildings.map((slot) => {
        const here = byBuilding.get(slot.building) ?? []
        return {
          ...slot,
          households: households.get(`${slot.gridId}|${slot.building}`) ?? 0,
          openCases: here.length,
          overdueCases: here.filter((c) => c.overdue).length,
          urgentOpen: here.filter((c) => c.urgency === 'urgent').length,
        }
      })
      const onMap = new Set(buildings.map((b) => b.building))
      for (const c of cases) c.placed = c.building !== null && onMap.has(c.building)
      const { kind, width, height, grids } = layout
      return {
        community: facts.community,
        layout: kind,
        unit: 'm',
        width,
        height,
        grids,
        buildings,
        cases,
        generatedAt: now,
      }
    },
  }
}

export type CommunityMapService = ReturnType<typeof createCommunityMapService>

function toMapCase(c: OpenCaseFacts, now: Date): MapCase {
  const building = normalizeBuilding(c.building)
  return {
    number: c.number,
    building: building || null,
    placed: false,
    category: c.category,
    urgency: c.urgency,
    status: c.status,
    overdue: isOverdue(c, now),
  }
}

function groupByBuilding(cases: readonly MapCase[]): Map<string, MapCase[]> {
  const out = new Map<string, MapCase[]>()
  for (const c of cases) if (c.building) out.set(c.building, [...(out.get(c.building) ?? []), c])
  return out
}
