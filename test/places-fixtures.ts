import type { Types } from 'mongoose'
import { GridModel } from '../src/models/registry.model.js'
import { invalidatePlaces } from '../src/services/registry/registry.places.js'

/** Kangbashi (Ordos) test places, WGS-84: KH-01's buildings 3 and 5, KH-02's outline (no building points). */
export const PLACES = {
  building3: { lng: 109.78, lat: 39.61 },
  building5: { lng: 109.781, lat: 39.61 },
  /** ~60 m north of building 3. */
  near3: { lng: 109.78, lat: 39.61055 },
  /** Inside KH-02's outline, far from any building point. */
  inGrid2: { lng: 109.7925, lat: 39.6075 },
  /** 5 km away: nothing served there. */
  outside: { lng: 109.84, lat: 39.64 },
}

export const GRID2_RING: [number, number][] = [
  [109.79, 39.605],
  [109.795, 39.605],
  [109.795, 39.61],
  [109.79, 39.61],
  [109.79, 39.605],
]

/** Puts coordinates on the case world's grids (see test/case-world.ts) and drops the place index. */
export async function placeGrids(grid: { _id: Types.ObjectId }, grid2: { _id: Types.ObjectId }) {
  await GridModel.updateOne(
    { _id: grid._id },
    {
      $set: {
        buildingPlaces: [
          { building: '3', ...PLACES.building3 },
          { building: '5', ...PLACES.building5 },
        ],
      },
    },
  )
  await GridModel.updateOne(
    { _id: grid2._id },
    { $set: { boundary: GRID2_RING.map(([lng, lat]) => ({ lng, lat })) } },
  )
  invalidatePlaces()
}
