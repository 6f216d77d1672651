import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { GridModel } from '../../src/models/registry.model.js'
import { makeCaseService } from '../case-world.js'
import { useTestDatabase } from '../db.js'
import { createHousehold, createPerson } from '../factories.js'
import { API_NOW, type ApiApp, type ApiWorld, makeApiApp, makeApiWorld } from './api-world.js'

interface Box {
  x: number
  y: number
  w: number
  h: number
}
interface MapBuilding extends Box {
  building: string
  gridId: string
  gridCode: string
  households: number
  openCases: number
  overdueCases: number
  urgentOpen: number
}
interface MapReply {
  layout: string
  width: number
  height: number
  grids: Array<{ id: string; code: string; workerName: string | null; block: Box }>
  buildings: MapBuilding[]
  cases: Array<{
    number: string
    building: string | null
    placed: boolean
    urgency: string
    overdue: boolean
  }>
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
const inside = (r: Box, box: Box) =>
  r.x >= box.x && r.y >= box.y && r.x + r.w <= box.x + box.w && r.y + r.h <= box.y + box.h

/**
 * KH-01 holds buildings 3 and 5 (张三's home in 3), KH-02 gets buildings 2, 10 and 7 (two homes in 7)
 * and, against the registry's rule, a home in building 5.
 * Open cases: two in 3 (one urgent), one in 7, one in 5 opened ten days ago (overdue now); a resolved
 * one in 5 and one in the other community's building 3 must not count.
 */
async function openCases(api: ApiApp, w: ApiWorld) {
  await GridModel.updateOne({ _id: w.grid2._id }, { $set: { buildings: ['10', '2'] } })
  await createHousehold(w.grid2, '7', '1', '101')
  await createHousehold(w.grid2, '7', '1', '102')
  // A household filed under KH-02 in KH-01's building 5: the building is still drawn once, in KH-01.
  await createHousehold(w.grid2, '5', '2', '201')
  const open = async (
    key: string,
    text: string,
    category: string,
    gridId: unknown,
    building: string,
    urgency?: 'urgent',
  ) => {
    const r = await api.services.cases.open({
      channel: 'miniprogram',
      sourceKey: key,
      text,
      category,
      urgency,
      location: { gridId: String(gridId), building },
    })
    expect(r.created).toBe(true)
    return r.case.number
  }
  const light = await open('map-1', '3号楼楼道灯坏了', 'facility_repair', w.grid._id, '3')
  const gas = await open('map-2', '3号楼一楼有燃气味', 'sanitation', w.grid._id, '3', 'urgent')
  const door = await open('map-3', '7号楼单元门关不上', 'facility_repair', w.grid2._id, '7')
  const early = makeCaseService(new Date(API_NOW.getTime() - 10 * 86_400_000)).service
  const old = await early.open({
    channel: 'miniprogram',
    sourceKey: 'map-4',
    text: '5号楼门口垃圾堆了很久',
    category: 'sanitation',
    location: { gridId: String(w.grid._id), building: '5' },
  })
  const done = await open('map-5', '5号楼路灯不亮', 'facility_repair', w.grid._id, '5')
  const worker = { personId: String(w.worker._id), roles: ['grid_worker'], gridIds: [String(w.grid._id)] }
  await api.services.cases.accept(done, worker)
  await api.services.cases.resolve(done, worker, '灯已修好')
  await open('map-6', '3号楼电梯坏了', 'facility_repair', w.otherGrid._id, '3')
  return { light, gas, door, old: old.case.number }
}

describe('GET /api/v1/communities/:id/map', () => {
  useTestDatabase()

  it('lays out the grids and buildings and counts the open cases of each building', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const opened = await openCases(api, w)
    const res = await api.http.get(`/api/v1/communities/${w.community._id}/map`).set(await w.headers('staff'))
    expect(res.status).toBe(200)
    const map = res.body as MapReply
    expect(map.layout).toBe('schematic')
    expect(map.grids.map((g) => [g.code, g.workerName])).toEqual([
      ['KH-01', '王网格'],
      ['KH-02', '赵网格'],
    ])
    const row = (b: string) => {
      const found = map.buildings.find((x) => x.building === b)
      return (
        found && [found.gridCode, found.households, found.openCases, found.overdueCases, found.urgentOpen]
      )
    }
    expect(map.buildings.map((b) => b.building)).toEqual(['3', '5', '2', '7', '10'])
    expect(row('3')).toEqual(['KH-01', 1, 2, 0, 1])
    expect(row('5')).toEqual(['KH-01', 1, 1, 1, 0])
    expect(row('7')).toEqual(['KH-02', 2, 1, 0, 0])
    expect(row('2')).toEqual(['KH-02', 0, 0, 0, 0])
    const numbers = map.cases.map((c) => c.number)
    expect(numbers.sort()).toEqual([opened.light, opened.gas, opened.door, opened.old].sort())
    expect(map.cases.find((c) => c.number === opened.old)).toMatchObject({
      building: '5',
      overdue: true,
      placed: true,
    })
    expect(map.cases.find((c) => c.number === opened.gas)).toMatchObject({
      urgency: 'urgent',
      overdue: false,
    })
  })

  it('draws the same plan every time, no two buildings overlapping and each inside its grid', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await openCases(api, w)
    const url = `/api/v1/communities/${w.community._id}/map`
    const first = (await api.http.get(url).set(await w.headers('admin'))).body as MapReply
    const again = (await api.http.get(url).set(await w.headers('staff'))).body as MapReply
    expect(again).toEqual(first)
    const { buildings, grids } = first
    expect(buildings).toHaveLength(5)
    for (const [i, a] of buildings.entries())
      for (const b of buildings.slice(i + 1))
        expect(overlaps(a, b), `${a.building}/${b.building}`).toBe(false)
    for (const b of buildings) {
      const grid = grids.find((g) => g.id === b.gridId)
      expect(grid && inside(b, grid.block), `building ${b.building} in ${b.gridCode}`).toBe(true)
      expect(inside(b, { x: 0, y: 0, w: first.width, h: first.height })).toBe(true)
    }
  })

  it('projects grid boundaries to metres when every grid has one', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    // Points as `{ lng, lat }`: the embedded FerretDB refuses GeoJSON's nested arrays.
    const square = (lng: number) =>
      [
        [lng, 40.8],
        [lng + 0.001, 40.8],
        [lng + 0.001, 40.801],
        [lng, 40.801],
      ].map(([x, y]) => ({ lng: x, lat: y }))
    await GridModel.updateOne({ _id: w.grid._id }, { $set: { boundary: square(111.7) } })
    await GridModel.updateOne({ _id: w.grid2._id }, { $set: { boundary: square(111.701) } })
    const res = await api.http.get(`/api/v1/communities/${w.community._id}/map`).set(await w.headers('staff'))
    const map = res.body as MapReply
    expect(map.layout).toBe('geo')
    // Two squares of 0.001° side by side at 40.8° N: about 169 m wide and 111 m high together.
    expect(map.width).toBeCloseTo(168.6, 0)
    expect(map.height).toBeCloseTo(111.3, 0)
    const [kh01, kh02] = map.grids
    expect(kh02?.block.x).toBeCloseTo(kh01?.block.w ?? 0, 0)
    for (const b of map.buildings)
      expect(inside(b, map.grids.find((g) => g.id === b.gridId)?.block as Box)).toBe(true)
  })

  it('refuses other communities, residents and grid workers, a bad id, and an unknown community', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const url = `/api/v1/communities/${w.community._id}/map`
    const street = await createPerson('街道办', ['street_staff'], {
      staff: { communityIds: [w.community._id] },
    })
    for (const who of ['otherStaff', 'reporter', 'worker', 'dept'] as const) {
      const res = await api.http.get(url).set(await w.headers(who))
      expect(res.status, who).toBe(403)
      expect(res.body.error.code).toBe('FORBIDDEN')
    }
    expect((await api.http.get(url)).status).toBe(401)
    expect((await api.http.get(url).set('authorization', await api.bearer(street._id))).status).toBe(200)
    const bad = await api.http.get('/api/v1/communities/kh/map').set(await w.headers('admin'))
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toMatch(/[\u4e00-\u9fff]/)
    const unknown = await api.http
      .get(`/api/v1/communities/${new Types.ObjectId()}/map`)
      .set(await w.headers('admin'))
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('NOT_FOUND')
  })
})
