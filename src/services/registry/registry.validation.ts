import { chineseToDigits } from '../../lib/chinese-numerals.js'
import { normalizeIdNumber, normalizePhone } from '../../lib/crypto.js'

/**
 * Validation and normalisation of what community offices type into their sheets: mobile numbers,
 * resident ID numbers (GB 11643) and addresses (building / unit / room, in digits or Chinese numerals).
 */

/** A household address in canonical form: `{building: "10", unit: "3", room: "301"}`. */
export interface Address {
  building: string
  unit: string
  room: string
}

/** True for an 11-digit mainland mobile number (spaces, dashes and +86 allowed). */
/** A WeCom (企业微信) userid as the admin console allows it: 1–64 letters, digits and `_ . @ -`. */
export const WECOM_USERID = /^[A-Za-z0-9_.@-]{1,64}$/
export const WECOM_USERID_MESSAGE = '企业微信账号只能由 1–64 位字母、数字和 _ . @ - 组成'

export function isMobilePhone(phone: string): boolean {
  return /^1[3-9]\d{9}$/.test(normalizePhone(phone))
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'

/** The GB 11643 check character for the first 17 digits of an ID number. */
export function idCheckChar(first17: string): string {
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0)
  return ID_CHECK[sum % 11] as string
}

/** Why an ID number is not valid (Chinese, for import reports), or undefined when it is. */
export function checkIdNumber(id: string, now: Date = new Date()): string | undefined {
  const s = normalizeIdNumber(id)
  if (!/^[1-9]\d{16}[\dX]$/.test(s)) return '身份证号应为18位（最后一位可以是X）'
  if (idCheckChar(s.slice(0, 17)) !== s[17]) return '身份证号校验位不正确，请核对'
  const y = Number(s.slice(6, 10))
  const m = Number(s.slice(10, 12))
  const d = Number(s.slice(12, 14))
  const birth = new Date(Date.UTC(y, m - 1, d))
  const real = birth.getUTCFullYear() === y && birth.getUTCMonth() === m - 1 && birth.getUTCDate() === d
  if (!real || y < 1900 || birth.getTime() > now.getTime()) return '身份证号中的出生日期不正确'
  return undefined
}

/** True for a valid 18-digit resident ID number. */
export function isIdNumber(id: string, now?: Date): boolean {
  return checkIdNumber(id, now) === undefined
}

export { chineseToDigits }

function canonicalPart(raw: string, suffix: RegExp): string {
  const s = chineseToDigits(raw.replace(/\s/g, '')).toUpperCase().replace(suffix, '')
  return /^\d+$/.test(s) ? String(Number(s)) : s
}

/** "10号楼" / "10栋" / "十幢" / "10" → "10". */
export function normalizeBuilding(raw: string): string {
  return canonicalPart(raw, /(号楼|号|楼|栋|幢|座)$/)
}

/** "3单元" / "三单元" / "3" → "3". */
export function normalizeUnit(raw: string): string {
  return canonicalPart(raw, /(单元|单|元)$/)
}

/** "301室" / "301房" / "301号" / "三零一" → "301". */
export function normalizeRoom(raw: string): string {
  return canonicalPart(raw, /(室|房|号|户)$/)
}

const DASHED = /^([0-9A-Z]+)[-－—_/]([0-9A-Z]+)[-－—_/]([0-9A-Z]+)$/
const WORDED = /^([0-9A-Z]+)(?:号楼|栋|幢|楼|座|号)(?:([0-9A-Z]+)单元?)?-?([0-9A-Z]+)(?:室|房|号|户)?$/

/**
 * Parses a written address ("10号楼3单元301室", "十号楼三单元301", "1-2-301", "10栋301") into its
 * canonical parts, or undefined when it cannot be read.
 */
export function parseAddress(text: string): Address | undefined {
  const s = chineseToDigits(text.replace(/\s/g, '')).toUpperCase()
  const m = DASHED.exec(s) ?? WORDED.exec(s)
  if (!m) return undefined
  return {
    building: normalizeBuilding(m[1] as string),
    unit: m[2] ? normalizeUnit(m[2]) : '',
    room: normalizeRoom(m[3] as string),
  }
}

/** The address as people read it: 10号楼3单元301室. */
export function formatAddress(a: Address): string {
  return `${a.building}号楼${a.unit ? `${a.unit}单元` : ''}${a.room}室`
}
