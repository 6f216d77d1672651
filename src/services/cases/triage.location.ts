/** Where in the community a message points to; canonical digit strings ("10", "1", "301") or letters ("A"). */
export interface TriageLocation {
  building?: string
  unit?: string
  room?: string
}

const canon = (s: string): string => {
  const t = s.replace(/^0+(?=\d)/, '')
  return /^[a-z]$/.test(t) ? t.toUpperCase() : t
}

// "3-2-301", "3-2-1201", "10-301" (building-room) — dash forms as residents type them.
const DASH3_RE = /(?<![\d-])(\d{1,3})-(\d{1,2})-(\d{3,4})(?![\d-])/
const DASH2_RE = /(?<![\d-])(\d{1,3})-(\d{3,4})(?![\d-])/
// Building: 10号楼, 10栋, 10幢, 10#, 10号 (when a unit or room follows), A座, 5楼 followed by a unit/room.
const BUILDING_RE = /(\d{1,3}|[a-z])\s?(?:号楼|栋|幢|#|座)/
const BUILDING_HAO_RE = /(\d{1,3})号(?=\s?\d{1,2}\s?单元|\s?\d{3,4}(?!\d))/
const BUILDING_LOU_RE = /(\d{1,3})楼(?=\s?\d{1,2}\s?单元|\s?\d{3,4}(?![\d层]))/
const UNIT_RE = /(\d{1,2})\s?(?:单元|门洞)/
const ROOM_MARKED_RE = /(?<!\d)(\d{3,4})\s?(?:室|房|号房|户)(?!间|子|东|主)/
const ROOM_HAO_RE = /(?<![\d-])(\d{3,4})号(?!楼|院)/
const ROOM_AFTER_RE = /(?:单元|号楼|楼|栋|幢|#|座)\s?(\d{3,4})(?![\d号楼栋层度元块米年月日点])/
const ROOM_PERSON_RE =
  /(?:住|是|在|我家|家住)\s?(\d{3,4})(?![\d号楼栋层度元块米年月日点])|(?<!\d)(\d{3,4})(?:的业主|的住户|家|的)(?![\d号楼栋层度元块米年月日点])/

/** Extracts building / unit / room from normalised text (see normalizeText). */
export function extractLocation(text: string): TriageLocation {
  const out: TriageLocation = {}
  const d3 = DASH3_RE.exec(text)
  if (d3)
    return { building: canon(d3[1] as string), unit: canon(d3[2] as string), room: canon(d3[3] as string) }
  const building = BUILDING_RE.exec(text) ?? BUILDING_HAO_RE.exec(text) ?? BUILDING_LOU_RE.exec(text)
  if (building) out.building = canon(building[1] as string)
  const unit = UNIT_RE.exec(text)
  if (unit) out.unit = canon(unit[1] as string)
  const room = ROOM_MARKED_RE.exec(text) ?? ROOM_HAO_RE.exec(text) ?? ROOM_AFTER_RE.exec(text)
  if (room) out.room = canon(room[1] as string)
  if (!out.room) {
    const person = ROOM_PERSON_RE.exec(text)
    const r = person?.[1] ?? person?.[2]
    if (r) out.room = canon(r)
  }
  if (!out.building && !out.room) {
    const d2 = DASH2_RE.exec(text)
    if (d2) return { ...out, building: canon(d2[1] as string), room: canon(d2[2] as string) }
  }
  return out
}
