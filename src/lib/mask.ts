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

/**
 * Masks every mobile, landline and ID number found in free text, except `publicNumbers`: numbers a
 * published source gives (an office's hotline quoted from a policy document), kept as written.
 */
export function maskText(text: string, publicNumbers: readonly string[] = []): string {
  const keep = (m: string, masked: string) => (publicNumbers.some((p) => p.includes(m)) ? m : masked)
  return text
    .replace(ID_RE, (m) => keep(m, maskIdNumber(m)))
    .replace(PHONE_RE, (m, a: string, _b: string, c: string) => keep(m, `${a}****${c}`))
    .replace(LANDLINE_RE, (m, a: string, _b: string, c: string) => keep(m, `${a}-****${c}`))
}

/** The phone-like numbers of a text as written (to pass as `publicNumbers` when the text is public). */
export function numbersIn(text: string): string[] {
  const out: string[] = []
  for (const re of [PHONE_RE, LANDLINE_RE]) {
    re.lastIndex = 0
    for (const m of text.matchAll(re)) out.push(m[0])
    re.lastIndex = 0
  }
  return out
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
