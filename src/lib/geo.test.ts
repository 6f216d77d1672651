import { describe, expect, it } from 'vitest'
import { distanceMeters, gcj02ToWgs84, inRing, isRing, toWgs84, wgs84ToGcj02 } from './geo.js'

// Reference values computed with gcoord 1.0.7 (npm), the widely used implementation of the transform.
const KNOWN = [
  { wgs: [109.7813, 39.6085], gcj: [109.78701266249635, 39.609517953993844] }, // Kangbashi, Ordos
  { wgs: [116.397428, 39.90923], gcj: [116.40367162595768, 39.91063350638631] }, // Tiananmen
  { wgs: [121.4737, 31.2304], gcj: [121.47822305927693, 31.22845773757727] }, // Shanghai
  { wgs: [113.3245, 23.1064], gcj: [113.32992120333554, 23.10379812376] }, // Guangzhou
] as const

describe('GCJ-02 transform', () => {
  it('moves WGS-84 points as the published transform does', () => {
    for (const k of KNOWN) {
      const g = wgs84ToGcj02({ lng: k.wgs[0], lat: k.wgs[1] })
      expect(g.lng).toBeCloseTo(k.gcj[0], 9)
      expect(g.lat).toBeCloseTo(k.gcj[1], 9)
    }
  })

  it('brings GCJ-02 points back to WGS-84 within centimetres', () => {
    for (const k of KNOWN) {
      const w = gcj02ToWgs84({ lng: k.gcj[0], lat: k.gcj[1] })
      expect(distanceMeters(w, { lng: k.wgs[0], lat: k.wgs[1] })).toBeLessThan(0.05)
      expect(toWgs84({ lng: k.gcj[0], lat: k.gcj[1] }, 'GCJ-02')).toEqual(w)
      expect(toWgs84({ lng: k.wgs[0], lat: k.wgs[1] }, 'WGS-84')).toEqual({ lng: k.wgs[0], lat: k.wgs[1] })
    }
    // The shift is several hundred metres in Ordos: ignoring the datum would misplace buildings.
    const k = KNOWN[0]
    expect(
      distanceMeters({ lng: k.wgs[0], lat: k.wgs[1] }, { lng: k.gcj[0], lat: k.gcj[1] }),
    ).toBeGreaterThan(400)
  })

  it('leaves points outside China alone', () => {
    expect(wgs84ToGcj02({ lng: 2.35, lat: 48.85 })).toEqual({ lng: 2.35, lat: 48.85 })
    expect(gcj02ToWgs84({ lng: -74, lat: 40.7 })).toEqual({ lng: -74, lat: 40.7 })
  })
})

describe('distances and outlines', () => {
  it('measures metres on the ground', () => {
    // One thousandth of a degree of latitude is about 111 m.
    expect(distanceMeters({ lng: 109.78, lat: 39.6 }, { lng: 109.78, lat: 39.601 })).toBeCloseTo(111.2, 0)
  })

  it('tells whether a point is inside an outline', () => {
    const ring: [number, number][] = [
      [109.78, 39.6],
      [109.79, 39.6],
      [109.79, 39.61],
      [109.78, 39.61],
      [109.78, 39.6],
    ]
    expect(isRing(ring)).toBe(true)
    expect(inRing({ lng: 109.785, lat: 39.605 }, ring)).toBe(true)
    expect(inRing({ lng: 109.795, lat: 39.605 }, ring)).toBe(false)
    expect(isRing([[1, 2]])).toBe(false)
    expect(
      isRing([
        [1, 2],
        [3, 'x'],
        [5, 6],
      ]),
    ).toBe(false)
  })
})
