/**
 * Coordinates. Linli stores WGS-84 (the GPS datum; GeoJSON's). Maps and phones in China give GCJ-02
 * (国测局坐标, "Mars coordinates": WeChat's location messages, AMap, Tencent Maps); those are converted
 * on input with the published GCJ-02 transform (outside China GCJ-02 equals WGS-84).
 */

export const DATUMS = ['WGS-84', 'GCJ-02'] as const
export type Datum = (typeof DATUMS)[number]

/** A point in degrees, WGS-84 unless said otherwise. */
export interface LngLat {
  lng: number
  lat: number
}

const A = 6378245.0 // Krasovsky 1940 semi-major axis, as the transform defines it
const EE = 0.006693421622965943 // its first eccentricity squared

/** Outside mainland China's rough box the transform does not apply. */
export function outOfChina({ lng, lat }: LngLat): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function shiftLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function shiftLng(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

/** WGS-84 → GCJ-02 (the forward transform). */
export function wgs84ToGcj02(p: LngLat): LngLat {
  if (outOfChina(p)) return { ...p }
  const radLat = (p.lat / 180) * Math.PI
  const magic = 1 - EE * Math.sin(radLat) ** 2
  const sqrtMagic = Math.sqrt(magic)
  const dLat = (shiftLat(p.lng - 105, p.lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI)
  const dLng = (shiftLng(p.lng - 105, p.lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return { lng: p.lng + dLng, lat: p.lat + dLat }
}

/** GCJ-02 → WGS-84, inverting the forward transform by iteration (to about a centimetre). */
export function gcj02ToWgs84(p: LngLat): LngLat {
  if (outOfChina(p)) return { ...p }
  let w = { lng: p.lng, lat: p.lat }
  for (let i = 0; i < 30; i++) {
    const g = wgs84ToGcj02(w)
    const dLng = g.lng - p.lng
    const dLat = g.lat - p.lat
    w = { lng: w.lng - dLng, lat: w.lat - dLat }
    if (Math.abs(dLng) < 1e-9 && Math.abs(dLat) < 1e-9) break
  }
  return w
}

/** A point given in `datum` as WGS-84. */
export function toWgs84(p: LngLat, datum: Datum): LngLat {
  return datum === 'GCJ-02' ? gcj02ToWgs84(p) : { lng: p.lng, lat: p.lat }
}

/** Great-circle distance in metres. */
export function distanceMeters(a: LngLat, b: LngLat): number {
  const R = 6_371_008.8
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** A GeoJSON Polygon's outer ring, `[lng, lat]` pairs (WGS-84). */
export type Ring = [number, number][]

/** Whether the point lies inside the ring (even–odd rule; the boundary counts either way). */
export function inRing(p: LngLat, ring: Ring): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number]
    const [xj, yj] = ring[j] as [number, number]
    if (yi > p.lat !== yj > p.lat && p.lng < ((xj - xi) * (p.lat - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/** Whether a value is a usable `[lng, lat]` ring: at least 3 distinct corners, numbers in range. */
export function isRing(v: unknown): v is Ring {
  return (
    Array.isArray(v) &&
    v.length >= 3 &&
    v.every(
      (c) =>
        Array.isArray(c) &&
        c.length === 2 &&
        typeof c[0] === 'number' &&
        typeof c[1] === 'number' &&
        Math.abs(c[0]) <= 180 &&
        Math.abs(c[1]) <= 90,
    )
  )
}
