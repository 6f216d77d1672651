/**
 * Where a community's grids and buildings go on a drawing, in metres on a local x/y plane (x east,
 * y south, origin at the top-left corner), so the console draws the map with no tile server.
 *
 * - `geo`: every grid has a boundary (see `outerRing`); the boundaries are projected around the
 *   community's centre (equirectangular, fine over a community's few hundred metres) and each grid's
 *   block is its outline's bounding box.
 * - `schematic`: otherwise; grids (by code) as equal blocks on a near-square grid of blocks.
 *
 * Buildings are equal rectangles laid row by row inside their grid's block in building-number order
 * (the registry's building points, `grid.buildingPlaces`, are not drawn here yet). Same input, same layout: the input
 * order does not matter.
 */

export interface LayoutGridInput {
  id: string
  code: string
  name: string
  workerName: string | null
  buildings: readonly string[]
  /** GeoJSON Polygon or `{ lng, lat }` points (see `outerRing`); anything else is ignored. */
  boundary?: unknown
}

export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

export interface GridBlock {
  id: string
  code: string
  name: string
  workerName: string | null
  block: Rect
  /** The projected boundary, `[x, y]` points (geo layout only). */
  outline?: Array<[number, number]>
}

export interface BuildingSlot extends Rect {
  building: string
  gridId: string
  gridCode: string
}

export interface CommunityLayout {
  kind: 'geo' | 'schematic'
  width: number
  height: number
  grids: GridBlock[]
  buildings: BuildingSlot[]
}

// Schematic sizes (metres, as if a building were 40 × 24 m).
const BUILDING_W = 40
const BUILDING_H = 24
const GAP = 12
const PAD = 16
/** Room for the grid's label above its buildings. */
const LABEL = 28
const BLOCK_GAP = 40
const METRES_PER_DEGREE = 111_320

const natural = new Intl.Collator('zh-CN', { numeric: true })
const round = (n: number) => Math.round(n * 10) / 10

/** Lays out the community's grids and buildings (see the module comment for the rules). */
export function layOutCommunity(input: readonly LayoutGridInput[]): CommunityLayout {
  const grids = [...input]
    .sort((a, b) => natural.compare(a.code, b.code) || natural.compare(a.id, b.id))
    .map((g) => ({ ...g, buildings: [...new Set(g.buildings)].sort(natural.compare) }))
  const rings = grids.map((g) => outerRing(g.boundary))
  if (grids.length > 0 && rings.every((r) => r !== undefined)) return layOutGeo(grids, rings as Ring[])
  return layOutSchematic(grids)
}

type Ring = Array<[number, number]>

function layOutSchematic(grids: readonly LayoutGridInput[]): CommunityLayout {
  const most = Math.max(1, ...grids.map((g) => g.buildings.length))
  const perRow = Math.ceil(Math.sqrt(most))
  const rows = Math.ceil(most / perRow)
  const blockW = 2 * PAD + perRow * BUILDING_W + (perRow - 1) * GAP
  const blockH = LABEL + PAD + rows * BUILDING_H + (rows - 1) * GAP
  const blocksPerRow = Math.max(1, Math.ceil(Math.sqrt(grids.length)))
  const blockRows = Math.ceil(grids.length / blocksPerRow)
  const out: CommunityLayout = {
    kind: 'schematic',
    width: grids.length ? blocksPerRow * blockW + (blocksPerRow - 1) * BLOCK_GAP : 0,
    height: grids.length ? blockRows * blockH + (blockRows - 1) * BLOCK_GAP : 0,
    grids: [],
    buildings: [],
  }
  grids.forEach((g, i) => {
    const block = {
      x: (i % blocksPerRow) * (blockW + BLOCK_GAP),
      y: Math.floor(i / blocksPerRow) * (blockH + BLOCK_GAP),
      w: blockW,
      h: blockH,
    }
    out.grids.push(gridBlock(g, block))
    g.buildings.forEach((building, j) => {
      const x = block.x + PAD + (j % perRow) * (BUILDING_W + GAP)
      const y = block.y + LABEL + Math.floor(j / perRow) * (BUILDING_H + GAP)
      out.buildings.push({ building, gridId: g.id, gridCode: g.code, x, y, w: BUILDING_W, h: BUILDING_H })
    })
  })
  return out
}

function layOutGeo(grids: readonly LayoutGridInput[], rings: readonly Ring[]): CommunityLayout {
  const all = rings.flat()
  const lngs = all.map((p) => p[0])
  const lats = all.map((p) => p[1])
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2
  const lng0 = (Math.min(...lngs) + Math.max(...lngs)) / 2
  const kx = Math.cos((lat0 * Math.PI) / 180) * METRES_PER_DEGREE
  const project = ([lng, lat]: [number, number]): [number, number] => [
    (lng - lng0) * kx,
    (lat0 - lat) * METRES_PER_DEGREE,
  ]
  const projected = rings.map((r) => r.map(project))
  const minX = Math.min(...projected.flat().map((p) => p[0]))
  const minY = Math.min(...projected.flat().map((p) => p[1]))
  const out: CommunityLayout = { kind: 'geo', width: 0, height: 0, grids: [], buildings: [] }
  grids.forEach((g, i) => {
    const outline = (projected[i] ?? []).map(([x, y]): [number, number] => [round(x - minX), round(y - minY)])
    const block = boundingBox(outline)
    out.width = Math.max(out.width, round(block.x + block.w))
    out.height = Math.max(out.height, round(block.y + block.h))
    out.grids.push({ ...gridBlock(g, block), outline })
    out.buildings.push(...fillBlock(g, block))
  })
  return out
}

/** Buildings as equal cells of the block, each cell inset by a sixth so neighbours never touch. */
function fillBlock(g: LayoutGridInput, block: Rect): BuildingSlot[] {
  const n = g.buildings.length
  const perRow = Math.max(1, Math.ceil(Math.sqrt(n)))
  const rows = Math.max(1, Math.ceil(n / perRow))
  const cellW = block.w / perRow
  const cellH = block.h / rows
  return g.buildings.map((building, j) => ({
    building,
    gridId: g.id,
    gridCode: g.code,
    x: round(block.x + (j % perRow) * cellW + cellW / 6),
    y: round(block.y + Math.floor(j / perRow) * cellH + cellH / 6),
    w: round((cellW * 2) / 3),
    h: round((cellH * 2) / 3),
  }))
}

function gridBlock(g: LayoutGridInput, block: Rect): GridBlock {
  return { id: g.id, code: g.code, name: g.name, workerName: g.workerName, block }
}

function boundingBox(points: readonly [number, number][]): Rect {
  const xs = points.map((p) => p[0])
  const ys = points.map((p) => p[1])
  const x = Math.min(...xs)
  const y = Math.min(...ys)
  return { x, y, w: round(Math.max(...xs) - x), h: round(Math.max(...ys) - y) }
}

/**
 * The outer ring of a boundary: a GeoJSON Polygon (`[lng, lat]` rings, storable on MongoDB) or a list
 * of `{ lng, lat }` points (storable on the embedded FerretDB, which refuses nested arrays). It must
 * have at least three sane points and some area.
 */
export function outerRing(boundary: unknown): Ring | undefined {
  const points = ringPoints(boundary)
  if (!points) return undefined
  const ring: Ring = []
  for (const p of points) {
    const pair = Array.isArray(p)
      ? p
      : p && typeof p === 'object'
        ? [(p as PointObject).lng, (p as PointObject).lat]
        : []
    const [lng, lat] = pair as unknown[]
    if (typeof lng !== 'number' || typeof lat !== 'number') return undefined
    if (!Number.isFinite(lng) || !Number.isFinite(lat) || Math.abs(lng) > 180 || Math.abs(lat) > 90)
      return undefined
    ring.push([lng, lat])
  }
  const lngs = new Set(ring.map((p) => p[0]))
  const lats = new Set(ring.map((p) => p[1]))
  return ring.length >= 3 && lngs.size > 1 && lats.size > 1 ? ring : undefined
}

interface PointObject {
  lng?: unknown
  lat?: unknown
}

function ringPoints(boundary: unknown): unknown[] | undefined {
  if (Array.isArray(boundary)) return boundary
  if (!boundary || typeof boundary !== 'object') return undefined
  const b = boundary as { type?: unknown; coordinates?: unknown }
  if (b.type !== 'Polygon' || !Array.isArray(b.coordinates) || !Array.isArray(b.coordinates[0]))
    return undefined
  return b.coordinates[0] as unknown[]
}
