import { describe, expect, it } from 'vitest'
import { type LayoutGridInput, layOutCommunity, type Rect } from './map.layout.js'

const grid = (code: string, buildings: string[], boundary?: unknown): LayoutGridInput => ({
  id: `id-${code}`,
  code,
  name: `${code}网格`,
  workerName: null,
  buildings,
  boundary,
})

const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
const inside = (r: Rect, box: Rect) =>
  r.x >= box.x && r.y >= box.y && r.x + r.w <= box.x + box.w && r.y + r.h <= box.y + box.h

function expectDrawable(layout: ReturnType<typeof layOutCommunity>) {
  const { buildings, grids } = layout
  for (const [i, a] of buildings.entries())
    for (const b of buildings.slice(i + 1))
      expect(overlaps(a, b), `${a.building} × ${b.building}`).toBe(false)
  for (const b of buildings) {
    const block = grids.find((g) => g.id === b.gridId)?.block
    expect(block && inside(b, block), `building ${b.building} in ${b.gridCode}`).toBe(true)
    expect(inside(b, { x: 0, y: 0, w: layout.width, h: layout.height })).toBe(true)
  }
}

describe('layOutCommunity: schematic', () => {
  const grids = [
    grid('KH-10', ['21', '20']),
    grid('KH-02', ['10', '2', '9', '1', '3']),
    grid(
      'KH-01',
      Array.from({ length: 12 }, (_, i) => String(i + 1)),
    ),
    grid('KH-03', []),
  ]

  it('draws grids by code and buildings by building number, none overlapping and each in its grid', () => {
    const layout = layOutCommunity(grids)
    expect(layout.kind).toBe('schematic')
    expect(layout.grids.map((g) => g.code)).toEqual(['KH-01', 'KH-02', 'KH-03', 'KH-10'])
    const kh02 = layout.buildings.filter((b) => b.gridCode === 'KH-02').map((b) => b.building)
    expect(kh02).toEqual(['1', '2', '3', '9', '10'])
    expect(layout.buildings).toHaveLength(19)
    expectDrawable(layout)
    // Building 2 sits right of building 1 in the same row: reading order is building order.
    const [b1, b2] = layout.buildings.filter((b) => b.gridCode === 'KH-02')
    expect(b2?.x).toBeGreaterThan(b1?.x ?? Infinity)
    expect(b2?.y).toBe(b1?.y)
    for (const [i, a] of layout.grids.entries())
      for (const b of layout.grids.slice(i + 1)) expect(overlaps(a.block, b.block)).toBe(false)
  })

  it('gives the same layout for the same registry in any order', () => {
    const shuffled = [...grids].reverse().map((g) => ({ ...g, buildings: [...g.buildings].reverse() }))
    expect(layOutCommunity(shuffled)).toEqual(layOutCommunity(grids))
  })

  it('falls back to the schematic when one grid has no usable boundary', () => {
    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [111.7, 40.8],
          [111.701, 40.8],
          [111.701, 40.801],
          [111.7, 40.8],
        ],
      ],
    }
    const layout = layOutCommunity([
      grid('A', ['1'], square),
      grid('B', ['2'], { type: 'Point', coordinates: [1, 2] }),
    ])
    expect(layout.kind).toBe('schematic')
    expect(layout.grids[0]?.outline).toBeUndefined()
  })

  it('draws an empty community as an empty plane', () => {
    expect(layOutCommunity([])).toEqual({ kind: 'schematic', width: 0, height: 0, grids: [], buildings: [] })
  })
})

describe('layOutCommunity: geo', () => {
  // Two grids side by side in Hohhot: A is 0.002° of longitude wide, B starts where A ends.
  const ring = (lng: number) => ({
    type: 'Polygon',
    coordinates: [
      [
        [lng, 40.8],
        [lng + 0.002, 40.8],
        [lng + 0.002, 40.801],
        [lng, 40.801],
        [lng, 40.8],
      ],
    ],
  })

  it("projects boundaries to metres and keeps each grid's buildings inside its box", () => {
    const layout = layOutCommunity([grid('A', ['1', '2', '3'], ring(111.7)), grid('B', ['5'], ring(111.702))])
    expect(layout.kind).toBe('geo')
    const [a, b] = layout.grids
    // 0.001° of latitude ≈ 111 m; 0.002° of longitude at 40.8° N ≈ 169 m.
    expect(a?.block.h).toBeCloseTo(111.3, 0)
    expect(a?.block.w).toBeCloseTo(168.6, 0)
    expect(a?.block.x).toBe(0)
    expect(b?.block.x).toBeCloseTo(a?.block.w ?? 0, 0)
    expect(a?.outline).toHaveLength(5)
    expect(layout.width).toBeCloseTo(337.2, 0)
    expectDrawable(layout)
  })
})

describe('layOutCommunity: boundaries as { lng, lat } points', () => {
  it('reads them as the GeoJSON ring they stand for', () => {
    const pts = (lng: number) =>
      [
        [lng, 40.8],
        [lng + 0.002, 40.8],
        [lng + 0.002, 40.801],
        [lng, 40.801],
      ].map(([x, y]) => ({ lng: x, lat: y }))
    const layout = layOutCommunity([grid('A', ['1'], pts(111.7)), grid('B', ['5', '6'], pts(111.702))])
    expect(layout.kind).toBe('geo')
    expect(layout.grids[1]?.block.x).toBeCloseTo(168.6, 0)
    expectDrawable(layout)
  })

  it('ignores a list with a point that is not one', () => {
    const bad = [
      { lng: 111.7, lat: 40.8 },
      { lng: 'x', lat: 40.8 },
      { lng: 111.8, lat: 40.9 },
    ]
    expect(layOutCommunity([grid('A', ['1'], bad)]).kind).toBe('schematic')
  })
})
