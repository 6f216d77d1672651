import { z } from 'zod'
import { parseFrontMatter } from './kb-chunker.js'

/**
 * The rules a knowledge base document's fields must meet, wherever it comes from (an uploaded file,
 * a JSON body, a folder import): a readable title, a real calendar date, text that says something.
 */

/** Fewer letters and digits than this is not a policy document (「0」, 「测试」). */
export const MIN_MEANINGFUL_CHARS = 20
/** Above this share of control, private-use or undecodable characters, the text is garbage. */
const MAX_GARBAGE_SHARE = 0.02

/** Why a text cannot be a document. */
export type TextProblem = 'EMPTY' | 'BINARY' | 'TOO_SHORT'

export const TEXT_PROBLEM_MESSAGES: Readonly<Record<TextProblem, string>> = {
  EMPTY: '文件是空的',
  BINARY: '文件内容无法识别为文字（可能已损坏或不是文档）',
  TOO_SHORT: `内容太少，不像一份政策文件（至少要有 ${MIN_MEANINGFUL_CHARS} 个汉字、字母或数字）`,
}

// Control characters (tab and line breaks aside), private use, unassigned, lone surrogates, U+FFFD.
const GARBAGE_RE = /[\p{Cc}\p{Co}\p{Cn}\p{Cs}\uFFFD]/u
const WHITESPACE_RE = /\s/u
const MEANINGFUL_RE = /[\p{L}\p{N}]/u
const LETTER_RE = /\p{L}/u

/** Judges whether a text (front matter aside) is readable and long enough to be a document. */
export function assessText(text: string): TextProblem | undefined {
  let visible = 0
  let garbage = 0
  let meaningful = 0
  let letters = 0
  for (const ch of text) {
    if (WHITESPACE_RE.test(ch)) continue
    visible += 1
    if (GARBAGE_RE.test(ch)) garbage += 1
    else if (MEANINGFUL_RE.test(ch)) {
      meaningful += 1
      if (LETTER_RE.test(ch)) letters += 1
    }
  }
  if (visible === 0) return 'EMPTY'
  if (garbage / visible > MAX_GARBAGE_SHARE) return 'BINARY'
  if (letters === 0 || meaningful < MIN_MEANINGFUL_CHARS) return 'TOO_SHORT'
  return undefined
}

// C0/C1 controls, bidirectional overrides and isolates, zero-width characters and the BOM.
const TITLE_CONTROL_RE = /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u

/** A title as shown in lists and citations: no control characters, trimmed, 2–200 characters. */
export const DocumentTitle = z
  .string()
  .trim()
  .refine((s) => !TITLE_CONTROL_RE.test(s), '标题不能包含控制字符或不可见字符')
  .pipe(z.string().min(2, '标题至少要 2 个字').max(200, '标题最多 200 个字'))

/** Tidies a title found inside a document (front matter, a heading); undefined when nothing usable is left. */
export function cleanTitle(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  const title = raw
    .replace(/\s+/g, ' ')
    .replace(new RegExp(TITLE_CONTROL_RE.source, 'gu'), '')
    .trim()
    .slice(0, 200)
  return title.length >= 2 ? title : undefined
}

/** True for a real date written YYYY-MM-DD (2026-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

export const CALENDAR_DATE_MESSAGE = '日期应是真实存在的日期，格式 YYYY-MM-DD，例如 2026-01-15'

/** A date field of a document: a real calendar date, YYYY-MM-DD. */
export const CalendarDate = z.string().trim().refine(isCalendarDate, CALENDAR_DATE_MESSAGE)

/** A document's text: not empty, readable, and saying something (its front matter does not count). */
export const DocumentText = z
  .string()
  .min(1, TEXT_PROBLEM_MESSAGES.EMPTY)
  .max(2_000_000, '文档太大')
  .superRefine((text, ctx) => {
    const problem = assessText(parseFrontMatter(text).body)
    if (problem)
      ctx.addIssue({ code: 'custom', message: TEXT_PROBLEM_MESSAGES[problem], params: { problem } })
  })
