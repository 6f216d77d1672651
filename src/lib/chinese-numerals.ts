/** Chinese numerals as residents write them in addresses and counts (十号楼, 二十三, 三零一, 幺洞幺). */

const DIGIT: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  洞: 0,
  一: 1,
  幺: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
}
const UNIT: Readonly<Record<string, number>> = { 十: 10, 百: 100, 千: 1000 }

/**
 * 十二 → 12, 二十三 → 23, 一百零一 → 101, 三零一 → 301 (read digit by digit), 12 → 12;
 * undefined when the text is not a numeral.
 */
export function chineseToNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s)
  if (s === '' || ![...s].every((ch) => ch in DIGIT || ch in UNIT)) return undefined
  if (![...s].some((ch) => ch in UNIT)) return [...s].reduce((n, ch) => n * 10 + (DIGIT[ch] as number), 0)
  let total = 0
  let current = 0
  for (const ch of s) {
    const unit = UNIT[ch]
    if (unit) {
      total += (current || 1) * unit
      current = 0
    } else current = DIGIT[ch] as number
  }
  return total + current
}

/** Replaces every run of Chinese numerals (and full-width digits) in the text by ASCII digits. */
export function chineseToDigits(text: string): string {
  const ascii = text.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
  return ascii.replace(/[零〇洞一幺二两三四五六七八九十百千]+/g, (run) => String(chineseToNumber(run) ?? run))
}
