/**
 * Masking of personal numbers for every output that does not need them in full
 * (group replies, logs, lists, LLM prompts).
 */

const PHONE_RE = /(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)/g
const ID_RE = /(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])/g
const LANDLINE_RE = /(?<!\d)(0\d{2,3})-?(\d{3,4})(\d{4})(?!\d)/g

/** 13812345678 → 138****5678 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (digits.length < 7) return '*'.repeat(digits.length)
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`
}

/** 150202199001011234 → 1502**********1234 */
export function maskIdNumber(id: string): string {
  const s = id.trim()
  if (s.length < 8) return '*'.repeat(s.length)
  return `${s.slice(0, 4)}${'*'.repeat(s.length - 8)}${s.slice(-4)}`
}

/** Masks every mobile, landline and ID number found in free text. */
export function maskText(text: string): string {
  return text
    .replace(ID_RE, (m) => maskIdNumber(m))
    .replace(PHONE_RE, (_m, a: string, _b: string, c: string) => `${a}****${c}`)
    .replace(LANDLINE_RE, (_m, a: string, _b: string, c: string) => `${a}-****${c}`)
}

/** True when the text carries something that looks like a phone or ID number. */
export function containsPersonalNumber(text: string): boolean {
  PHONE_RE.lastIndex = 0
  ID_RE.lastIndex = 0
  const found = PHONE_RE.test(text) || ID_RE.test(text)
  PHONE_RE.lastIndex = 0
  ID_RE.lastIndex = 0
  return found
}
