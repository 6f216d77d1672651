import type { Types } from 'mongoose'
import { distanceMeters, inRing, type LngLat, type Ring } from '../../lib/geo.js'
import { GridModel } from '../../models/registry.model.js'
import { outerRing } from '../map/map.layout.js'

/**
 * Which building and grid a point (WGS-84) is at. A city has some 10k–30k buildings: they are kept in
 * memory in ~500 m cells, loaded with one read of the grids collection, so a lookup reads nothing.
 * The registry drops the index whenever it writes places (`invalidatePlaces`); another process's
 * writes show up after `REFRESH_MS`.
 */

/** A building farther than this from the point is not "the building there". */
export const NEAREST_BUILDING_RADIUS_M = 300
const REFRESH_MS = 5 * 60_000
/** Cell size in degrees: 0.005° is ~555 m north–south and ≥ 390 m east–west below 45°N. */
const CELL = 0.005

export interface PlaceHit {
  communityId: Types.ObjectId
  gridId: Types.ObjectId
  gridCode: string
  /** The nearest building within the radius, if any; else the point is only inside the grid's outline. */
  building?: string
  distanceM?: number
}

interface BuildingPoint extends LngLat {
  building: string
  grid: GridEntry
}

interface GridEntry {
  _id: Types.ObjectId
  code: string
  communityId: Types.ObjectId
  ring?: Ring
  box?: [number, number, number, number]
}

interface PlaceIndex {
  loadedAt: number
  cells: Map<string, BuildingPoint[]>
  outlines: GridEntry[]
}

const cellKey = (x: number, y: number) => `${x}:${y}`
const cellOf = (p: LngLat): [number, number] => [Math.floor(p.lng / CELL), Math.floor(p.lat / CELL)]

let current: PlaceIndex | undefined
let loading: Promise<PlaceIndex> | undefined

interface GridPlaces {
  _id: Types.ObjectId
  code: string
  communityId: Types.ObjectId
  boundary?: unknown
  buildingPlaces?: Array<{ building?: string | null; lng?: number | null; lat?: number | null }>
}

async function load(now: number): Promise<PlaceIndex> {
  // A city has hundreds of grids: one read of them all, a few fields each.
  const grids = await GridModel.find({}, { code: 1, communityId: 1, boundary: 1, buildingPlaces: 1 })
    .lean<GridPlaces[]>()
    .exec()
  const cells = new Map<string, BuildingPoint[]>()
  const outlines: GridEntry[] = []
  for (const g of grids) {
    const grid: GridEntry = { _id: g._id, code: g.code, communityId: g.communityId }
    const ring = outerRing(g.boundary)
    if (ring) {
      grid.ring = ring
      const xs = ring.map((c) => c[0])
      const ys = ring.map((c) => c[1])
      grid.box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
      outlines.push(grid)
    }
    for (const b of g.buildingPlaces ?? []) {
      if (!b.building || typeof b.lng !== 'number' || typeof b.lat !== 'number') continue
      const point = { building: b.building, lng: b.lng, lat: b.lat, grid }
      const key = cellKey(...cellOf(point))
      const list = cells.get(key)
      if (list) list.push(point)
      else cells.set(key, [point])
    }
  }
  return { loadedAt: now, cells, outlines }
}

async function index(now: number): Promise<PlaceIndex> {
  if (current && now - current.loadedAt < REFRESH_MS) return current
  loading ??= load(now).finally(() => {
    loading = undefined
  })
  current = await loading
  return current
}

/** Forgets the loaded places: the next lookup reads them again (call after writing places). */
export function invalidatePlaces(): void {
  current = undefined
}

/**
 * The nearest building within `NEAREST_BUILDING_RADIUS_M` of the WGS-84 point and its grid; without
 * one, the grid whose outline contains the point; else undefined (the point is outside the served area).
 */
export async function findPlace(p: LngLat, now = Date.now()): Promise<PlaceHit | undefined> {
  const idx = await index(now)
  const [cx, cy] = cellOf(p)
  let best: BuildingPoint | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (let dx = -1; dx <= 1; dx++)
    for (let dy = -1; dy <= 1; dy++)
      for (const b of idx.cells.get(cellKey(cx + dx, cy + dy)) ?? []) {
        const d = distanceMeters(p, b)
        if (d < bestD) {
          best = b
          bestD = d
        }
      }
  if (best && bestD <= NEAREST_BUILDING_RADIUS_M) {
    const { grid } = best
    const distanceM = Math.round(bestD)
    return {
      communityId: grid.communityId,
      gridId: grid._id,
      gridCode: grid.code,
      building: best.building,
      distanceM,
    }
  }
  const around = idx.outlines.find(
    (g) =>
      g.box &&
      p.lng >= g.box[0] &&
      p.lng <= g.box[2] &&
      p.lat >= g.box[1] &&
      p.lat <= g.box[3] &&
      inRing(p, g.ring as Ring),
  )
  return around ? { communityId: around.communityId, gridId: around._id, gridCode: around.code } : undefined
}
