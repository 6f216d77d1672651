import { Types } from 'mongoose'
import { lookupKeyEntry, putKey } from '../../lib/storage/index.js'
import { GridModel, HouseholdModel } from '../../models/registry.model.js'
import { cachedGrid, cachedRegistryView, forgetView, rememberView } from './registry.cache.js'
import { normalizeBuilding } from './registry.validation.js'

/**
 * Which grid holds a building of a community, read through the `building-grid:<communityId>:<building>`
 * lookup key (one `_id` read, then the grid by id): routing needs it for every report that names a
 * building. The registry writes the key whenever it writes a grid's buildings or a household; a key
 * that is missing (data written around the registry) is filled by one search. A building no grid
 * holds is remembered as a miss for a while, so a report naming an unknown building costs no search.
 */

/** How long a remembered miss is trusted (a building added around the registry shows up after it). */
const MISS_TTL_MS = 10 * 60_000
const MISS = 'none'

const keyOf = (communityId: string, building: string) => `${communityId}:${building}`

/** The grid id holding `building` in the community, or undefined when the registry knows none. */
export async function findGridOfBuilding(
  communityId: string | Types.ObjectId,
  rawBuilding: string,
  now = new Date(),
): Promise<Types.ObjectId | undefined> {
  const building = normalizeBuilding(rawBuilding)
  if (!building || !Types.ObjectId.isValid(String(communityId))) return undefined
  const community = new Types.ObjectId(String(communityId))
  const key = keyOf(String(community), building)
  const entry = await cachedBuildingEntry(key)
  if (entry?.ref === MISS && Math.abs(now.getTime() - entry.at.getTime()) < MISS_TTL_MS) return undefined
  if (entry && entry.ref !== MISS && Types.ObjectId.isValid(entry.ref)) {
    const grid = await cachedGrid(entry.ref)
    if (grid?.communityId.equals(community)) return grid._id
  }
  const found = await searchGridOfBuilding(community, building)
  await putKey('building-grid', key, found ? String(found) : MISS, now)
  const written = { ref: found ? String(found) : MISS, at: now }
  await rememberView(`building-grid:${key}`, { entry: written, readAt: Date.now() })
  return found
}

/** How long a building's grid is kept in this process at most (households written by another process). */
const VIEW_TTL_MS = 5 * 60_000

/**
 * The building's key, kept in this process while the registry version holds (grid writes change it)
 * and for at most VIEW_TTL_MS (a household written in another process may point a building at a
 * grid). A remembered miss is kept too, and still trusted only as long as its key says.
 */
async function cachedBuildingEntry(key: string) {
  const view = `building-grid:${key}`
  const read = async () => ({ entry: await lookupKeyEntry('building-grid', key), readAt: Date.now() })
  const keep = (v: { entry?: { ref: string } }) => v.entry !== undefined
  let got = await cachedRegistryView(view, read, keep)
  if (Date.now() - got.readAt > VIEW_TTL_MS) {
    forgetView(view)
    got = await cachedRegistryView(view, read, keep)
  }
  return got.entry
}

/** The slow way: a grid listing the building, else the grid of a household in it. */
async function searchGridOfBuilding(
  communityId: Types.ObjectId,
  building: string,
): Promise<Types.ObjectId | undefined> {
  const grid = await GridModel.findOne({ communityId, buildings: building }, { _id: 1 }).lean().exec()
  if (grid) return grid._id
  const hh = await HouseholdModel.findOne({ communityId, building }, { gridId: 1 }).lean().exec()
  return hh?.gridId ?? undefined
}

/** Records that the grid holds these buildings (called wherever the registry writes them). */
export async function rememberBuildings(
  communityId: string | Types.ObjectId,
  gridId: string | Types.ObjectId,
  buildings: readonly string[],
  now = new Date(),
): Promise<void> {
  const names = [...new Set(buildings.map(normalizeBuilding).filter(Boolean))]
  await Promise.all(
    names.map((b) => putKey('building-grid', keyOf(String(communityId), b), String(gridId), now)),
  )
  for (const b of names) forgetView(`building-grid:${keyOf(String(communityId), b)}`)
}
