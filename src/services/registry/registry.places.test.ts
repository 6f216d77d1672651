import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { PLACES, placeGrids } from '../../../test/places-fixtures.js'
import { CaseModel } from '../../models/case.model.js'
import { findPlace, invalidatePlaces } from './registry.places.js'

describe('places: nearest building and grid of a point', () => {
  useTestDatabase()

  it('finds the nearest building within 300 m, else the grid whose outline holds the point, else none', async () => {
    const w = await makeCaseWorld()
    await placeGrids(w.grid, w.grid2)
    expect(await findPlace(PLACES.near3)).toMatchObject({ gridCode: 'KH-01', building: '3', distanceM: 61 })
    expect(await findPlace({ lng: 109.7808, lat: 39.6101 })).toMatchObject({ building: '5' })
    const inside = await findPlace(PLACES.inGrid2)
    expect(inside).toMatchObject({ gridCode: 'KH-02' })
    expect(inside?.building).toBeUndefined()
    expect(String(inside?.communityId)).toBe(String(w.community._id))
    expect(await findPlace(PLACES.outside)).toBeUndefined()
    // 400 m east of building 5, outside every outline: no building claims it.
    expect(await findPlace({ lng: 109.7857, lat: 39.61 })).toBeUndefined()
  })

  it('reads the registry once and again only after a write says places changed', async () => {
    const w = await makeCaseWorld()
    invalidatePlaces()
    expect(await findPlace(PLACES.near3)).toBeUndefined() // no coordinates yet; the empty index is kept
    await placeGrids(w.grid, w.grid2) // invalidates
    expect(await findPlace(PLACES.near3)).toMatchObject({ building: '3' })
  })

  it('places a report sent with a point at the building there and keeps the point on the case', async () => {
    const w = await makeCaseWorld()
    await placeGrids(w.grid, w.grid2)
    const { service } = makeCaseService()
    const report = async (text: string, who: { _id: unknown }, at: { lng: number; lat: number }) => {
      const opened = await service.open({
        channel: 'group',
        sourceKey: `p-${text}`,
        text,
        category: 'facility_repair',
        reporter: { personId: String(who._id) },
        location: at,
      })
      return CaseModel.findOne({ number: opened.case.number }).lean()
    }
    // 张三 lives in KH-01 3号楼, but reports from KH-02's area: the point wins over the home.
    const stored = await report('这里路灯坏了', w.zhang, PLACES.inGrid2)
    expect(String(stored?.location?.gridId)).toBe(String(w.grid2._id))
    expect(stored?.location?.coords).toEqual(PLACES.inGrid2)
    expect(stored?.location?.room).toBe('')
    const nearStored = await report('楼下井盖丢了', w.li, PLACES.near3)
    expect(nearStored?.location).toMatchObject({ building: '3', gridId: w.grid._id, coords: PLACES.near3 })
  })
})
