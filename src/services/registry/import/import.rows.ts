import { normalizeIdNumber, normalizePhone } from '../../../lib/crypto.js'
import { type Datum, type LngLat, toWgs84 } from '../../../lib/geo.js'
import { normalizeGridCode } from '../registry.structure.js'
import {
  type Address,
  checkIdNumber,
  isMobilePhone,
  normalizeBuilding,
  normalizeRoom,
  normalizeUnit,
  parseAddress,
  WECOM_USERID,
  WECOM_USERID_MESSAGE,
} from '../registry.validation.js'
import { HEADER_ALIASES, type HeaderMap, type SheetField } from './import.headers.js'

/** One bad row of a sheet: its 1-based row number, the column at fault (when one is) and why. */
export interface RowError {
  row: number
  /** The column's usual header (楼栋, 手机号 …); absent when the row as a whole is at fault. */
  column?: string
  reason: string
}

/** What is wrong with a cell of a row: its column's usual header and the reason. */
type CellProblem = { column: string; reason: string }
const problem = (field: SheetField, reason: string): CellProblem => ({
  column: HEADER_ALIASES[field][0],
  reason,
})

export interface PersonRow {
  name: string
  phone?: string
  idNumber?: string
  tags: string[]
  partyMember: boolean
  /** The person's WeCom userid (staff), set after the row is written (one person per id). */
  wecomUserId?: string
}

/** A good row: a household address in a grid, with or without a person living there. */
export interface ParsedRow {
  row: number
  communityCode?: string
  communityName?: string
  street?: string
  district?: string
  gridCode: string
  gridName?: string
  gridWorker?: string
  gridWorkerPhone?: string
  address: Address
  person?: PersonRow
  /** The building's point, WGS-84 (converted from the sheet's datum). */
  point?: LngLat
  /** The grid's outline, WGS-84. */
  gridOutline?: LngLat[]
}

const PARTY = /^(中共党员|中共预备党员|党员|预备党员|是)$/

function cell(cells: string[], map: HeaderMap, field: SheetField): string {
  const i = map[field]
  return i === undefined ? '' : (cells[i] ?? '').trim()
}

function readAddress(get: (f: SheetField) => string): Address | CellProblem {
  const building = get('building')
  const room = get('room')
  if (building || room) {
    if (!building) return problem('building', '「楼栋」为空')
    if (!room) return problem('room', '「房号」为空')
    return {
      building: normalizeBuilding(building),
      unit: normalizeUnit(get('unit')),
      room: normalizeRoom(room),
    }
  }
  const text = get('address')
  if (!text) return problem('address', '地址为空（需要楼栋和房号）')
  return (
    parseAddress(text) ?? problem('address', `地址「${text}」无法识别，请写成“10号楼3单元301室”或“10-3-301”`)
  )
}

function readPerson(get: (f: SheetField) => string, now: Date): PersonRow | CellProblem | undefined {
  const name = get('name')
  const phone = get('phone')
  const idNumber = get('idNumber')
  if (!name) return phone || idNumber ? problem('name', '「姓名」为空') : undefined
  if (phone && !isMobilePhone(phone)) return problem('phone', '手机号格式不正确，应为11位手机号')
  if (idNumber && /e\+/i.test(idNumber))
    return problem('idNumber', '身份证号被 Excel 存成了数字，请把该列设为“文本”格式后重新导出')
  const idProblem = idNumber ? checkIdNumber(idNumber, now) : undefined
  if (idProblem) return problem('idNumber', idProblem)
  const wecomUserId = get('wecomUserId')
  if (wecomUserId && !WECOM_USERID.test(wecomUserId)) return problem('wecomUserId', WECOM_USERID_MESSAGE)
  const tags = get('tags')
    .split(/[、,，;；/|\s]+/)
    .filter((t) => t && t !== '无')
  return {
    name,
    phone: phone ? normalizePhone(phone) : undefined,
    idNumber: idNumber ? normalizeIdNumber(idNumber) : undefined,
    tags: [...new Set(tags)],
    partyMember: PARTY.test(get('party')),
    ...(wecomUserId ? { wecomUserId } : {}),
  }
}

const WGS84_NAMES = /^(WGS84|WGS|GPS|CGCS2000)$/
const GCJ02_NAMES = /^(GCJ02|GCJ|火星坐标|火星坐标系|国测局|国测局坐标|高德|腾讯|高德坐标|腾讯坐标)$/

/** The row's datum: its 坐标系 cell, else the import's setting. */
function readDatum(get: (f: SheetField) => string, fallback: Datum): Datum | CellProblem {
  const raw = get('datum')
    .toUpperCase()
    .replace(/[\s_\-－]/g, '')
  if (!raw) return fallback
  if (WGS84_NAMES.test(raw)) return 'WGS-84'
  if (GCJ02_NAMES.test(raw)) return 'GCJ-02'
  return problem('datum', `坐标系「${get('datum')}」无法识别，请写 WGS-84 或 GCJ-02`)
}

/** A longitude/latitude pair in China, as numbers; undefined when it is not one. */
function chinaPoint(lng: string, lat: string): [number, number] | undefined {
  const x = Number(lng)
  const y = Number(lat)
  if (!Number.isFinite(x) || !Number.isFinite(y) || x < 73 || x > 136 || y < 3 || y > 54) return undefined
  return [x, y]
}

function readPoint(get: (f: SheetField) => string, datum: Datum): LngLat | CellProblem | undefined {
  const lng = get('lng')
  const lat = get('lat')
  if (!lng && !lat) return undefined
  if (!lng) return problem('lng', '「经度」为空（经度和纬度须同时填写）')
  if (!lat) return problem('lat', '「纬度」为空（经度和纬度须同时填写）')
  const p = chinaPoint(lng, lat)
  if (!p)
    return problem(
      'lng',
      `经纬度「${lng}, ${lat}」不在国内范围，请填写如 109.78（经度）、39.61（纬度）的小数`,
    )
  return toWgs84({ lng: p[0], lat: p[1] }, datum)
}

function readOutline(get: (f: SheetField) => string, datum: Datum): LngLat[] | CellProblem | undefined {
  const raw = get('gridOutline')
  if (!raw) return undefined
  const points = raw
    .split(/[;；|]/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const [lng = '', lat = '', ...rest] = t.split(/[,，\s]+/)
      return rest.length ? undefined : chinaPoint(lng, lat)
    })
  if (points.length < 3 || points.some((p) => !p))
    return problem('gridOutline', '网格边界应写成“经度,纬度;经度,纬度;…”，至少 3 个点')
  return points.map((p) =>
    toWgs84({ lng: (p as [number, number])[0], lat: (p as [number, number])[1] }, datum),
  )
}

/** Reads one data row; returns the parsed row or the reason it is bad. */
export function parseRow(
  cells: string[],
  map: HeaderMap,
  row: number,
  now: Date,
  defaultDatum: Datum = 'WGS-84',
): ParsedRow | RowError {
  const get = (f: SheetField) => cell(cells, map, f)
  const gridCode = normalizeGridCode(get('gridCode'))
  if (!gridCode) return { row, ...problem('gridCode', '「网格编号」为空') }
  const address = readAddress(get)
  if ('reason' in address) return { row, ...address }
  const person = readPerson(get, now)
  if (person && 'reason' in person) return { row, ...person }
  const datum = readDatum(get, defaultDatum)
  if (typeof datum !== 'string') return { row, ...datum }
  const point = readPoint(get, datum)
  if (point && 'reason' in point) return { row, ...point }
  const gridOutline = readOutline(get, datum)
  if (gridOutline && 'reason' in gridOutline) return { row, ...gridOutline }
  const opt = (f: SheetField) => get(f) || undefined
  return {
    row,
    communityCode: opt('communityCode')?.toUpperCase(),
    communityName: opt('community'),
    street: opt('street'),
    district: opt('district'),
    gridCode,
    gridName: opt('gridName'),
    gridWorker: opt('gridWorker'),
    gridWorkerPhone: get('gridWorkerPhone') ? normalizePhone(get('gridWorkerPhone')) : undefined,
    address,
    person,
    point,
    gridOutline,
  }
}

/** The key two rows of one sheet are duplicates under: the address, plus the person if any. */
export function rowKey(r: ParsedRow): string {
  const a = `${r.gridCode}|${r.address.building}|${r.address.unit}|${r.address.room}`
  if (!r.person) return a
  return `${a}|${r.person.idNumber ?? `${r.person.phone ?? ''}|${r.person.name}`}`
}

export const isRowError = (r: ParsedRow | RowError): r is RowError => 'reason' in r
