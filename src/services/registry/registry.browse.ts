import pMap from 'p-map'
import { HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { addressOrder } from './registry.structure.js'
import { normalizeBuilding } from './registry.validation.js'
import { type GridView, type HouseholdView, objectId, toHouseholdView } from './registry.views.js'

/** A grid as the staff console lists it: who works it and how many households it holds. */
export interface GridSummaryView extends GridView {
  primaryWorkerName?: string
  householdCount: number
}

/** A household as the console lists it: how many live there, their tags, the party member's name. */
export interface HouseholdSummaryView extends HouseholdView {
  residentCount: number
  /** The residents' 人员类别 (独居老人, 残疾人 …), each once. */
  tags: string[]
  partyMemberName?: string
}

export interface HouseholdPageQuery {
  building?: string
  /** Part of the address (10号楼3单元301室) or of a resident's name. */
  q?: string
  /** Without a limit every matching household is returned. */
  limit?: number
  offset?: number
}

const living = { erasedAt: null }

/** `.*` and friends typed into a search box are searched for literally. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

async function namesOf(ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const docs = await ResidentModel.find(
    { _id: { $in: ids.map((id) => objectId(id, '居民')) } },
    { name: 1 },
  ).lean()
  return new Map(docs.map((d) => [String(d._id), d.name]))
}

/** Read-only lists for the staff console's registry pages; the caller checks the grid and who may see it. */
export function createBrowseService() {
  return {
    /** A community's grids in code order, with each grid's worker name and household count. */
    async summarizeGrids(grids: GridView[]): Promise<GridSummaryView[]> {
      const workers = await namesOf(grids.flatMap((g) => (g.primaryWorkerId ? [g.primaryWorkerId] : [])))
      const counts = await Promise.all(
        grids.map((g) => HouseholdModel.countDocuments({ gridId: objectId(g.id, '网格') })),
      )
      return grids.map((g, i) => ({
        ...g,
        ...(g.primaryWorkerId && workers.has(g.primaryWorkerId)
          ? { primaryWorkerName: workers.get(g.primaryWorkerId) }
          : {}),
        householdCount: counts[i] ?? 0,
      }))
    },

    /**
     * A page of a grid's households in building/unit/room order, optionally of one building or
     * matching `q` (an address part or a resident's name), with the total that matched.
     */
    async pageGridHouseholds(
      gridId: string,
      query: HouseholdPageQuery,
    ): Promise<{ total: number; items: HouseholdSummaryView[] }> {
      const _id = objectId(gridId, '网格')
      const filter = query.building
        ? { gridId: _id, building: normalizeBuilding(query.building) }
        : { gridId: _id }
      let households = (await HouseholdModel.find(filter).lean()).map(toHouseholdView)
      const q = query.q?.trim()
      if (q) {
        const named = await ResidentModel.find(
          { gridId: _id, ...living, name: { $regex: literal(q) } },
          { householdId: 1 },
        ).lean()
        const homes = new Set(named.map((r) => String(r.householdId)))
        households = households.filter((h) => h.address.includes(q) || homes.has(h.id))
      }
      households.sort((a, b) => addressOrder(a).localeCompare(addressOrder(b)))
      const offset = query.offset ?? 0
      const page = households.slice(offset, query.limit === undefined ? undefined : offset + query.limit)
      return { total: households.length, items: await describeHouseholds(page) }
    },
  }
}

/** Adds resident counts, tags and party member names to a page of households. */
async function describeHouseholds(page: HouseholdView[]): Promise<HouseholdSummaryView[]> {
  if (page.length === 0) return []
  // One indexed equality a household, a few at a time (an `$in` reads every resident of the city
  // on the embedded server, for each page of the 居民台账).
  const residents = (
    await pMap(
      page,
      (h) =>
        ResidentModel.find(
          { householdId: objectId(h.id, '住户'), ...living },
          { householdId: 1, tags: 1 },
        ).lean(),
      { concurrency: 8 },
    )
  ).flat()
  const members = await namesOf(page.flatMap((h) => (h.partyMemberId ? [h.partyMemberId] : [])))
  return page.map((h) => {
    const mine = residents.filter((r) => String(r.householdId) === h.id)
    const name = h.partyMemberId ? members.get(h.partyMemberId) : undefined
    return {
      ...h,
      residentCount: mine.length,
      tags: [...new Set(mine.flatMap((r) => r.tags ?? []))],
      ...(name ? { partyMemberName: name } : {}),
    }
  })
}

export type BrowseService = ReturnType<typeof createBrowseService>
