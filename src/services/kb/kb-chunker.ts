import { createHash } from 'node:crypto'
import { parse as parseYaml } from 'yaml'

/** Front matter a policy document may carry. */
export interface DocumentMeta {
  title?: string
  issuer?: string
  date?: string
  url?: string
}

/** A chunk as cut from a document: its heading path and its text. */
export interface ChunkDraft {
  headings: string[]
  text: string
}

export interface ChunkOptions {
  /** Chunks shorter than this are merged with a neighbour under the same parent. */
  minChars: number
  /** Chunks longer than this are split at sentence ends. */
  maxChars: number
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { minChars: 20, maxChars: 400 }

const FRONT_MATTER_RE = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n?/

/**
 * Splits optional YAML front matter off a document; bad YAML is treated as no front matter. `raw` is
 * every key of the front matter (the life-cycle keys are read from it by kb-lifecycle.ts).
 */
export function parseFrontMatter(text: string): {
  meta: DocumentMeta
  body: string
  raw: Record<string, unknown>
} {
  const m = FRONT_MATTER_RE.exec(text)
  if (!m) return { meta: {}, body: text.replace(/^\uFEFF/, ''), raw: {} }
  let raw: unknown
  try {
    raw = parseYaml(m[1] as string)
  } catch {
    return { meta: {}, body: text.slice(m[0].length), raw: {} }
  }
  const meta: DocumentMeta = {}
  const r = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  for (const key of ['title', 'issuer', 'date', 'url'] as const) {
    const v = r[key]
    if (v instanceof Date) meta[key] = v.toISOString().slice(0, 10)
    else if (typeof v === 'string' || typeof v === 'number') meta[key] = String(v).trim()
  }
  return { meta, body: text.slice(m[0].length), raw: r }
}

/** Content hash of a document's full text (front matter included: a changed title is a change). */
export function hashText(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n').trim()).digest('hex')
}

interface Marker {
  level: number
  /** The label kept in the heading path, e.g. "二、上门时限" or "第三条". */
  label: string
  /** Text of the line that belongs to the body (empty for a Markdown heading). */
  body: string
}

const CN_NUM = '[一二三四五六七八九十百零〇两]+'
const MARKERS: Array<{ re: RegExp; level: number }> = [
  { re: new RegExp(`^(第${CN_NUM}章)\\s*(.*)$`), level: 7 },
  { re: new RegExp(`^(第${CN_NUM}节)\\s*(.*)$`), level: 8 },
  { re: new RegExp(`^(${CN_NUM}、)\\s*(.*)$`), level: 9 },
  { re: new RegExp(`^([（(]${CN_NUM}[）)])\\s*(.*)$`), level: 10 },
  { re: new RegExp(`^(第${CN_NUM}条)\\s*(.*)$`), level: 11 },
  { re: /^(\d{1,2}[.、．](?!\d))\s*(.*)$/, level: 12 },
  { re: /^([（(]\d{1,2}[）)])\s*(.*)$/, level: 13 },
]

/** A short lead clause ("开放时间。") after an article marker reads as the article's title. */
function leadTitle(rest: string): string {
  const m = /^([^。！？；：:，,\s]{2,10})。/.exec(rest)
  return m ? (m[1] as string) : ''
}

function detectMarker(line: string): Marker | undefined {
  const md = /^(#{1,6})\s+(.+?)\s*#*$/.exec(line)
  if (md) return { level: (md[1] as string).length, label: (md[2] as string).trim(), body: '' }
  // A short line of words alone (plain-text documents: "申领条件") heads what follows.
  if (line.length <= 12 && /^[\u3400-\u9fff\s]+$/.test(line)) return { level: 6, label: line, body: '' }
  const bullet = line.replace(/^[-*+]\s+/, '')
  for (const { re, level } of MARKERS) {
    const m = re.exec(bullet)
    if (m) return markerOf(level, m[1] as string, (m[2] as string).trim(), line)
  }
  return undefined
}

function markerOf(level: number, raw: string, rest: string, line: string): Marker {
  const sep = /[章节条]$/.test(raw) ? ' ' : ''
  const bare = raw.replace(/[、．.]$/, '')
  // "一、申请条件" / "第一章 总则": a heading line of its own (list items always keep their text).
  const headingOnly = level <= 11 && rest.length <= 20 && !/[\p{P}]/u.test(rest)
  if (headingOnly) return { level, label: rest ? `${raw}${sep}${rest}` : bare, body: '' }
  const title = leadTitle(rest)
  return { level, label: title ? `${raw}${sep}${title}` : bare, body: line }
}

interface Section {
  headings: string[]
  paragraphs: string[]
}

/** Walks the lines, keeping a stack of open headings; each marker starts a new section. */
function sectionize(body: string, title: string): Section[] {
  const sections: Section[] = []
  const stack: Array<{ level: number; label: string }> = []
  let current: Section = { headings: [], paragraphs: [] }
  let para: string[] = []
  const flushPara = () => {
    if (para.length > 0) current.paragraphs.push(para.join(''))
    para = []
  }
  const open = (marker: Marker) => {
    flushPara()
    if (current.paragraphs.length > 0) sections.push(current)
    while (stack.length > 0 && (stack.at(-1) as { level: number }).level >= marker.level) stack.pop()
    const isTitle = marker.level === 1 && marker.label === title && stack.length === 0
    if (!isTitle) stack.push({ level: marker.level, label: marker.label })
    current = { headings: stack.map((s) => s.label), paragraphs: [] }
  }
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '') {
      flushPara()
      continue
    }
    const marker = detectMarker(line)
    if (marker) {
      open(marker)
      if (marker.body) para.push(marker.body)
      continue
    }
    para.push(line)
  }
  flushPara()
  if (current.paragraphs.length > 0) sections.push(current)
  return sections
}

/** Splits text after 。！？；!? (keeping the punctuation and closing quotes). */
export function splitSentences(text: string): string[] {
  const out = text.match(/[^。！？；!?\n]+(?:[。！？；!?]+[”’」』）)]*|$)/g) ?? []
  return out.map((s) => s.trim()).filter((s) => s.length > 0)
}

/** Cuts an over-long text at sentence ends into pieces of at most `max` characters. */
function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text]
  const pieces: string[] = []
  let buf = ''
  for (const s of splitSentences(text)) {
    if (buf && buf.length + s.length > max) {
      pieces.push(buf)
      buf = ''
    }
    if (s.length > max) {
      for (let i = 0; i < s.length; i += max) pieces.push(s.slice(i, i + max))
      continue
    }
    buf += s
  }
  if (buf) pieces.push(buf)
  return pieces
}

/** Siblings (same parent) or parent and child: the pairs a tiny piece may be merged across. */
function related(a: string[], b: string[]): boolean {
  const key = (xs: string[]) => xs.join('\u0001')
  const isPrefix = (p: string[], xs: string[]) =>
    p.length <= xs.length && key(xs.slice(0, p.length)) === key(p)
  return key(a.slice(0, -1)) === key(b.slice(0, -1)) || isPrefix(a, b) || isPrefix(b, a)
}

/**
 * Cuts a document body into chunks along its own structure: Markdown headings, 第X章/第X条, 一、,
 * （一）, numbered lists, paragraphs. Tiny sections merge with their sibling; huge ones are split at
 * sentence ends. Every chunk keeps its heading path.
 */
export function chunkDocument(
  body: string,
  title: string,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): ChunkDraft[] {
  const drafts: ChunkDraft[] = []
  for (const section of sectionize(body, title)) {
    const pieces = section.paragraphs.flatMap((p) => splitLong(p, options.maxChars))
    let buf = ''
    for (const p of pieces) {
      if (buf && buf.length + p.length + 1 > options.maxChars) {
        drafts.push({ headings: section.headings, text: buf })
        buf = ''
      }
      buf = buf ? `${buf}\n${p}` : p
    }
    if (buf) drafts.push({ headings: section.headings, text: buf })
  }
  return mergeTiny(drafts, options)
}

function mergeTiny(drafts: ChunkDraft[], options: ChunkOptions): ChunkDraft[] {
  const out: ChunkDraft[] = []
  for (const d of drafts) {
    const prev = out.at(-1)
    const tiny =
      d.text.length < options.minChars || (prev !== undefined && prev.text.length < options.minChars)
    const fits = prev !== undefined && prev.text.length + d.text.length < options.maxChars
    // The items of one list (（一）…（五）, 1.…5.) stay together: a materials list is one answer.
    const listed = prev !== undefined && isListItem(d.headings) && related(prev.headings, d.headings)
    if (prev && (tiny || listed) && fits && related(prev.headings, d.headings)) {
      const headings = commonPrefix(prev.headings, d.headings)
      // Headings the merged chunk no longer carries stay in its text, where the article begins.
      out[out.length - 1] = {
        headings,
        text: joinWithLabels(withLabels(prev, headings, ''), d, headings),
      }
      continue
    }
    out.push(d)
  }
  return out
}

const LIST_LABEL_RE = /^([（(]([一二三四五六七八九十]+|\d{1,2})[）)]|\d{1,2}[.、．]?)$/

/** True when the chunk's innermost heading is a bare list-item marker (its text is the item). */
function isListItem(headings: string[]): boolean {
  const last = headings.at(-1)
  return last !== undefined && LIST_LABEL_RE.test(last)
}

/**
 * The chunk's text with the heading labels below `kept` written as its first lines, unless the text
 * (or the text it is appended to, `before`) already has them.
 */
function withLabels(d: ChunkDraft, kept: string[], before: string): string {
  const has = (label: string) => {
    const marker = label.replace(/^(\S+?[、章节条]).*$/, '$1')
    return [`${before}\n${d.text}`].some(
      (t) => t.startsWith(label) || t.includes(`\n${label}`) || d.text.startsWith(marker),
    )
  }
  const missing = d.headings
    .slice(kept.length)
    .filter((l) => !LIST_LABEL_RE.test(l))
    .filter((l) => !has(l))
  return missing.length > 0 ? `${missing.join('\n')}\n${d.text}` : d.text
}

function joinWithLabels(before: string, d: ChunkDraft, kept: string[]): string {
  return `${before}\n${withLabels(d, kept, before)}`
}

function commonPrefix(a: string[], b: string[]): string[] {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return a.slice(0, i)
}
