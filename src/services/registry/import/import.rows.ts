import { normalizeIdNumber, normalizePhone } from '../../../lib/crypto.js'
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

/** Reads one data row; returns the parsed row or the reason it is bad. */
export function parseRow(cells: string[], map: HeaderMap, row: number, now: Date): ParsedRow | RowError {
  const get = (f: SheetField) => cell(cells, map, f)
  const gridCode = normalizeGridCode(get('gridCode'))
  if (!gridCode) return { row, ...problem('gridCode', '「网格编号」为空') }
  const address = readAddress(get)
  if ('reason' in address) return { row, ...address }
  const person = readPerson(get, now)
  if (person && 'reason' in person) return { row, ...person }
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
  }
}

/** The key two rows of one sheet are duplicates under: the address, plus the person if any. */
export function rowKey(r: ParsedRow): string {
  const a = `${r.gridCode}|${r.address.building}|${r.address.unit}|${r.address.room}`
  if (!r.person) return a
  return `${a}|${r.person.idNumber ?? `${r.person.phone ?? ''}|${r.person.name}`}`
}

export const isRowError = (r: ParsedRow | RowError): r is RowError => 'reason' in r
