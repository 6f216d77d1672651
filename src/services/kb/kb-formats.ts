import { createRequire } from 'node:module'
import path from 'node:path'
import iconv from 'iconv-lite'
import { DomainError } from '../../lib/errors.js'
import { parseFrontMatter } from './kb-chunker.js'
import { assessText, isCalendarDate, TEXT_PROBLEM_MESSAGES, type TextProblem } from './kb-fields.js'

/**
 * Office formats in, Markdown-like text out: .docx (mammoth), .pdf text layer (pdf.js), .html
 * (cheerio), .md/.txt in UTF-8 or GB18030. Headings become `#` lines, articles (第一条, 一、, （一）)
 * and list items stay lines of their own, paragraphs are separated by a blank line — the shape the
 * chunker cuts along. Files that cannot be documents are refused with a reason in Chinese.
 */

export const DOCUMENT_FORMATS = ['docx', 'pdf', 'html', 'markdown', 'text'] as const
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number]

export type RefusalCode =
  | TextProblem
  | 'UNSUPPORTED_TYPE'
  | 'IMAGE_ONLY_PDF'
  | 'PDF_GARBLED'
  | 'ENCRYPTED'
  | 'TOO_LARGE'

export interface ExtractedDocument {
  ok: true
  /** Markdown-like text (front matter of .md files kept as it was). */
  text: string
  title?: string
  meta: {
    format: DocumentFormat
    /** Text files: the encoding they were read in. */
    encoding?: 'utf-8' | 'utf-16' | 'gb18030'
    pages?: number
    /** Found in the file itself (a web page's 来源 / publication date). */
    issuer?: string
    date?: string
  }
}

export interface ExtractRefusal {
  ok: false
  code: RefusalCode
  message: string
}

export type ExtractResult = ExtractedDocument | ExtractRefusal

/** A file the knowledge base will not take; HTTP shows it as 422 with the reason's code in details. */
export class DocumentRefusedError extends DomainError {
  readonly reason: RefusalCode
  constructor(refusal: ExtractRefusal, file?: string) {
    super('UNPROCESSABLE', refusal.message, { reason: refusal.code, ...(file ? { file } : {}) })
    this.reason = refusal.code
  }
}

const FORMAT_BY_EXT: Readonly<Record<string, DocumentFormat>> = {
  '.docx': 'docx',
  '.pdf': 'pdf',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
}

/** The extensions `importFolder` and the upload take. */
export const SUPPORTED_EXTENSIONS = Object.keys(FORMAT_BY_EXT)

const SUPPORTED_LIST = '.docx .pdf .html .htm .md .markdown .txt'

const FORMAT_BY_CONTENT_TYPE: Readonly<Record<string, string>> = {
  'application/pdf': '.pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'text/html': '.html',
  'application/xhtml+xml': '.html',
  'text/markdown': '.md',
  'text/x-markdown': '.md',
  'text/plain': '.txt',
}

/** The file extension a Content-Type stands for (`application/pdf` → `.pdf`), if it is one we take. */
export function extensionForContentType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase()
  return type ? FORMAT_BY_CONTENT_TYPE[type] : undefined
}

/** The Content-Types the upload takes (besides application/octet-stream with a file name). */
export const SUPPORTED_CONTENT_TYPES = Object.keys(FORMAT_BY_CONTENT_TYPE)

export function refuse(code: RefusalCode, message?: string): ExtractRefusal {
  return { ok: false, code, message: message ?? REFUSAL_MESSAGES[code] }
}

const REFUSAL_MESSAGES: Readonly<Record<RefusalCode, string>> = {
  ...TEXT_PROBLEM_MESSAGES,
  UNSUPPORTED_TYPE: `不支持的文件类型（支持 ${SUPPORTED_LIST}）`,
  IMAGE_ONLY_PDF: '这个 PDF 只有图片没有文字层，请先做文字识别（OCR）或提供 Word/文字版',
  PDF_GARBLED: '这个 PDF 的文字层无法识别（字体缺少编码信息），请提供 Word/文字版',
  ENCRYPTED: '文件有密码保护，请去掉密码后再导入',
  TOO_LARGE: '文件太大',
}

const OLD_OFFICE_HINT = '请用 Word 或 WPS 另存为 .docx 后再导入'
const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  '.doc': `旧版 Word 文件（.doc）不能直接导入，${OLD_OFFICE_HINT}`,
  '.wps': `WPS 文字文件（.wps）不能直接导入，${OLD_OFFICE_HINT}`,
  '.rtf': `RTF 文件不能直接导入，${OLD_OFFICE_HINT}`,
  '.odt': `ODT 文件不能直接导入，${OLD_OFFICE_HINT}`,
}
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.gif', '.bmp', '.tif', '.tiff', '.webp', '.heic'])

/** The refusal for a file name whose extension the knowledge base does not read (none for .pdf, .docx…). */
export function checkFileType(fileName: string): ExtractRefusal | undefined {
  const ext = path.extname(fileName).toLowerCase()
  if (FORMAT_BY_EXT[ext]) return undefined
  if (UNSUPPORTED_HINTS[ext]) return refuse('UNSUPPORTED_TYPE', UNSUPPORTED_HINTS[ext])
  if (IMAGE_EXT.has(ext))
    return refuse('UNSUPPORTED_TYPE', '图片不能直接导入，请先做文字识别（OCR）或提供 Word/文字版')
  return refuse('UNSUPPORTED_TYPE')
}

/**
 * A document id from a file name: the name without its extension, with characters an id may not
 * hold (spaces, brackets, 《》) turned into hyphens. "关于低保标准的通知（2025）.pdf" → "关于低保标准的通知-2025".
 */
export function documentIdFor(fileName: string): string {
  const base = path.basename(fileName, path.extname(fileName))
  const id = base
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .replace(/-+$/, '')
    .slice(0, 120)
  return id || 'document'
}

/**
 * Reads a file's bytes into document text, or says in Chinese why the file cannot be a document.
 * A name without an extension is sniffed (PDF, Word, HTML, else text).
 */
export async function extractDocument(fileName: string, bytes: Buffer): Promise<ExtractResult> {
  const ext = path.extname(fileName).toLowerCase()
  const unsupported = ext === '' ? undefined : checkFileType(fileName)
  if (unsupported) return unsupported
  const format: DocumentFormat = FORMAT_BY_EXT[ext] ?? sniffFormat(bytes)
  if (bytes.length === 0) return refuse('EMPTY')
  let result: ExtractResult
  switch (format) {
    case 'docx':
      result = await extractDocx(bytes)
      break
    case 'pdf':
      result = await extractPdf(bytes)
      break
    case 'html':
      result = await extractHtmlBytes(bytes)
      break
    default:
      result = extractPlain(bytes, format)
  }
  if (!result.ok) return result
  const problem = assessText(parseFrontMatter(result.text).body)
  if (problem) return refuse(problem)
  return result
}

/** A file without an extension: PDF and ZIP (docx) by their magic numbers, otherwise text. */
function sniffFormat(bytes: Buffer): DocumentFormat {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf'
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'docx'
  if (/^\s*<(!doctype html|html|head|body)/i.test(bytes.subarray(0, 200).toString('latin1'))) return 'html'
  return 'text'
}

// ----- text files -----

type Decoded = { text: string; encoding: 'utf-8' | 'utf-16' | 'gb18030' } | ExtractRefusal

/** UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312). */
export function decodeText(bytes: Buffer): Decoded {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: bytes.subarray(3).toString('utf8'), encoding: 'utf-8' }
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: iconv.decode(bytes.subarray(2), 'utf-16le'), encoding: 'utf-16' }
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: iconv.decode(bytes.subarray(2), 'utf-16be'), encoding: 'utf-16' }
  if (bytes.includes(0)) return refuse('BINARY')
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' }
  } catch {
    return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gb18030' }
  }
}

function extractPlain(bytes: Buffer, format: DocumentFormat): ExtractResult {
  const decoded = decodeText(bytes)
  if ('ok' in decoded) return decoded
  const text = decoded.text.replace(/\r\n?/g, '\n')
  const title = format === 'text' ? leadingTitle(text.split('\n')) : undefined
  return {
    ok: true,
    text: title && format === 'text' ? text.replace(/^\s*[^\n]+/, `# ${title}`) : text,
    ...(title ? { title } : {}),
    meta: { format, encoding: decoded.encoding },
  }
}

const CN_NUM = '[一二三四五六七八九十百零〇两]+'
/** A line that opens an article or item: 第一章, 第三条, 一、, （一）, 1. / 1、, （1）. */
export const ARTICLE_START_RE = new RegExp(
  `^(第${CN_NUM}[章节条]|${CN_NUM}、|[（(](${CN_NUM}|\\d{1,2})[）)]|\\d{1,2}[.、．](?!\\d))`,
)
const SENTENCE_END_RE = /[。！？；：:!?;]["”’」』）)]*$/

/** A plain text's first line as its title: short, no sentence end, not an article, a blank line after. */
function leadingTitle(lines: string[]): string | undefined {
  const start = lines.findIndex((l) => l.trim() !== '')
  if (start < 0) return undefined
  const first = (lines[start] as string).trim()
  if (first.startsWith('#') || first === '---') return undefined
  const next = lines[start + 1]
  if (next !== undefined && next.trim() !== '') return undefined
  return looksLikeTitle(first) ? first : undefined
}

function looksLikeTitle(line: string): boolean {
  return (
    line.length >= 2 &&
    line.length <= 60 &&
    /[\p{L}]/u.test(line) &&
    !SENTENCE_END_RE.test(line) &&
    !/[，,]/.test(line) &&
    !ARTICLE_START_RE.test(line)
  )
}

// ----- HTML and Word -----

async function extractHtmlBytes(bytes: Buffer): Promise<ExtractResult> {
  const decoded = decodeText(bytes)
  if ('ok' in decoded) return decoded
  return extractHtml(decoded.text)
}

/** Elements that are never content. */
const NOISE_SELECTOR = [
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'svg',
  'canvas',
  'form',
  'button',
  'select',
  'input',
  'textarea',
  'nav',
  'header',
  'footer',
  'aside',
  '[role=navigation]',
  '[role=banner]',
  '[role=contentinfo]',
  '[role=search]',
  '[aria-hidden=true]',
  '[hidden]',
].join(',')
/** Class or id words of site chrome on government sites (导航, 面包屑, 页脚, 分享, 打印…). */
const CHROME_RE =
  /(^|[\s_-])(nav|navbar|menu|breadcrumbs?|crumbs?|position|location|footer|foot|header|head|top|topbar|sidebar|side|share|print|toolbar|pager|pagination|copyright|banner|skip|search|related|links?)([\s_-]|$)/i
/** Where government sites put the article (most specific first). */
const MAIN_SELECTORS = [
  '#zoom',
  '.TRS_Editor',
  '.trs_editor_view',
  '#UCAP-CONTENT',
  'article',
  'main',
  '[role=main]',
  '.article',
  '.article-content',
  '.content',
  '#content',
]
const INFO_LINE_RE =
  /^(发布时间|发布日期|发文日期|成文日期|日期|来源|信息来源|发布机构|发布单位|作者|浏览次数|阅读次数)[:：]/

async function extractHtml(html: string): Promise<ExtractResult> {
  const cheerio = await import('cheerio')
  const $ = cheerio.load(html)
  const metaOf = (name: string) => $(`meta[name="${name}"]`).attr('content')?.trim() || undefined
  const pageText = $('body').text()
  const issuer =
    metaOf('ContentSource') ?? /(?:来源|信息来源|发布机构)[:：]\s*([^\s|　]{2,40})/.exec(pageText)?.[1]
  const date = dateOf(metaOf('PubDate') ?? metaOf('firstpublishedtime') ?? pageText)
  const h1 = clean($('h1').first().text())
  const title = pickTitle([metaOf('ArticleTitle'), h1, siteTitle($('title').first().text())])

  $(NOISE_SELECTOR).remove()
  $('[class],[id]').each((_, el) => {
    const e = $(el)
    const words = `${e.attr('class') ?? ''} ${e.attr('id') ?? ''}`
    if (CHROME_RE.test(words) && e.find('h1').length === 0 && !e.is(MAIN_SELECTORS.join(','))) e.remove()
  })
  let root = $('body').get(0) as DomNode | undefined
  for (const sel of MAIN_SELECTORS) {
    const candidate = $(sel).first()
    if (candidate.length > 0 && clean(candidate.text()).length >= 40) {
      root = candidate.get(0) as DomNode | undefined
      break
    }
  }
  const blocks = htmlBlocks(root).filter((b) => !(b.length < 80 && INFO_LINE_RE.test(b)))
  return {
    ok: true,
    ...withTitle(blocks, title),
    meta: { format: 'html', ...(issuer ? { issuer } : {}), ...(date ? { date } : {}) },
  }
}

/** "通知标题_某某市人民政府门户网站" → "通知标题". */
function siteTitle(raw: string): string {
  return clean(raw.split(/\s*[_|｜]\s*|\s+-\s+|\s+—\s+/)[0] ?? raw)
}

function pickTitle(candidates: Array<string | undefined>): string | undefined {
  for (const c of candidates) {
    const t = c ? clean(c) : ''
    if (t.length >= 2 && t.length <= 200) return t
  }
  return undefined
}

function dateOf(text: string | undefined): string | undefined {
  const m = text ? /(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})/.exec(text) : null
  if (!m) return undefined
  const d = `${m[1]}-${(m[2] as string).padStart(2, '0')}-${(m[3] as string).padStart(2, '0')}`
  return isCalendarDate(d) ? d : undefined
}

function clean(text: string): string {
  return text.replace(/[\s\u00a0\u3000]+/g, ' ').trim()
}

/** Puts `# title` first (replacing a block that repeats it) and joins blocks with blank lines. */
function withTitle(blocks: string[], title: string | undefined): { text: string; title?: string } {
  if (!title) return { text: blocks.join('\n\n') }
  const rest = blocks.filter((b, i) => !(i < 3 && b.replace(/^#+\s*/, '') === title))
  return { text: [`# ${title}`, ...rest].join('\n\n'), title }
}

const BLOCK_TAGS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'center',
  'blockquote',
  'pre',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'hr',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'caption',
  'address',
])
const HEADING_RE = /^h([1-6])$/

/** A heading as a line: article markers stay plain (the chunker ranks them), others get `#`. */
function headingLine(level: number, text: string): string {
  return ARTICLE_START_RE.test(text) ? text : `${'#'.repeat(level)} ${text}`
}

/** The parts of a parsed HTML node (cheerio's DOM) the walk reads. */
interface DomNode {
  type: string
  name?: string
  data?: string
  children?: DomNode[]
  parent?: DomNode | null
}

const isTag = (n: DomNode, ...names: string[]) =>
  n.type === 'tag' && (names.length === 0 || names.includes((n.name ?? '').toLowerCase()))

/** Walks the DOM: headings, paragraphs, list items and table rows each become one block. */
function htmlBlocks(root: DomNode | undefined): string[] {
  const out: string[] = []
  if (!root) return out
  let inline = ''
  const flush = () => {
    const t = clean(inline)
    if (t) out.push(t)
    inline = ''
  }
  const textOf = (node: DomNode): string =>
    node.type === 'text' ? (node.data ?? '') : isTag(node) ? (node.children ?? []).map(textOf).join('') : ''
  const hasBlocks = (el: DomNode): boolean =>
    (el.children ?? []).some(
      (c) => isTag(c) && (BLOCK_TAGS.has((c.name ?? '').toLowerCase()) || isTag(c, 'br') || hasBlocks(c)),
    )
  const walk = (node: DomNode) => {
    for (const el of node.children ?? []) {
      if (el.type === 'text') {
        inline += el.data ?? ''
        continue
      }
      if (!isTag(el)) continue
      const name = (el.name ?? '').toLowerCase()
      const heading = HEADING_RE.exec(name)
      if (name === 'br') flush()
      else if (heading) {
        flush()
        const t = clean(textOf(el))
        if (t) out.push(headingLine(Number(heading[1]), t))
      } else if (name === 'li') {
        flush()
        const start = out.length
        walk(el)
        flush()
        const parent = el.parent
        const first = out[start]
        if (parent && isTag(parent, 'ol') && first !== undefined && !ARTICLE_START_RE.test(first)) {
          const n = (parent.children ?? []).filter((c) => isTag(c, 'li')).indexOf(el)
          out[start] = `${n + 1}. ${first}`
        }
      } else if (name === 'tr') {
        flush()
        const cells = (el.children ?? []).filter((c) => isTag(c, 'td', 'th'))
        if (cells.some(hasBlocks)) walk(el)
        else {
          const row = cells.map((c) => clean(textOf(c))).filter((t) => t !== '')
          if (row.length > 0) out.push(row.join(' | '))
        }
      } else if (BLOCK_TAGS.has(name) || name === 'td' || name === 'th') {
        flush()
        walk(el)
        flush()
      } else walk(el)
    }
  }
  walk(root)
  flush()
  return out
}

const DOCX_STYLE_MAP = [
  "p[style-name='Title'] => p.doc-title:fresh",
  "p[style-name='标题'] => p.doc-title:fresh",
  "p[style-name='Subtitle'] => h2:fresh",
]

async function extractDocx(bytes: Buffer): Promise<ExtractResult> {
  // An OLE container instead of a ZIP: a password-protected .docx (or an old .doc renamed).
  if (bytes.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])))
    return refuse('ENCRYPTED', `文件有密码保护，或是旧版 .doc 文件，请去掉密码并另存为 .docx 后再导入`)
  const { default: mammoth } = await import('mammoth')
  let html: string
  try {
    html = (await mammoth.convertToHtml({ buffer: bytes }, { styleMap: DOCX_STYLE_MAP })).value
  } catch {
    return refuse('BINARY')
  }
  const cheerio = await import('cheerio')
  const $ = cheerio.load(html)
  let title = clean($('.doc-title').first().text()) || undefined
  $('.doc-title').remove()
  const blocks = htmlBlocks($('body').get(0) as DomNode | undefined)
  if (!title && blocks[0] && !blocks[0].startsWith('#') && looksLikeTitle(blocks[0])) title = blocks[0]
  return { ok: true, ...withTitle(blocks, title), meta: { format: 'docx' } }
}

// ----- PDF -----

interface PdfLine {
  text: string
  /** Baseline, from the bottom of the page. */
  y: number
  /** Font size. */
  size: number
  page: number
}

const PAGE_NUMBER_RE = /^([-—–－\s]*\d{1,4}[-—–－\s]*|第\s*\d+\s*页([，,/\s]*共\s*\d+\s*页)?|\d+\s*\/\s*\d+)$/

let pdfjsAssets: { cMapUrl: string; standardFontDataUrl: string } | undefined

function pdfAssets() {
  if (!pdfjsAssets) {
    const dir = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'))
    pdfjsAssets = {
      cMapUrl: `${path.join(dir, 'cmaps')}/`,
      standardFontDataUrl: `${path.join(dir, 'standard_fonts')}/`,
    }
  }
  return pdfjsAssets
}

async function extractPdf(bytes: Buffer): Promise<ExtractResult> {
  if (bytes.subarray(0, 1024).indexOf('%PDF-') < 0) return refuse('BINARY')
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    ...pdfAssets(),
    cMapPacked: true,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  })
  try {
    const doc = await task.promise
    const lines: PdfLine[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      lines.push(...pdfLines(await page.getTextContent(), n))
      page.cleanup()
    }
    const info = (await doc.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined
    const pages = doc.numPages
    const body = lines.filter((l) => !PAGE_NUMBER_RE.test(l.text))
    const visible = body.map((l) => l.text).join('')
    if (assessText(visible) === 'EMPTY' || (assessText(visible) === 'TOO_SHORT' && visible.length < 40))
      return refuse('IMAGE_ONLY_PDF')
    if (assessText(visible) === 'BINARY') return refuse('PDF_GARBLED')
    const paragraphs = pdfParagraphs(body)
    const metaTitle = cleanPdfTitle(info?.Title)
    let title = metaTitle
    const first = paragraphs[0]
    if (first && (first.heading || looksLikeTitle(first.text)) && (!title || first.text === title)) {
      title = first.text
      paragraphs.shift()
    }
    const blocks = paragraphs.map((p) => p.text)
    return { ok: true, ...withTitle(blocks, title), meta: { format: 'pdf', pages } }
  } catch (err) {
    const name = (err as { name?: string }).name
    if (name === 'PasswordException') return refuse('ENCRYPTED')
    return refuse('BINARY')
  } finally {
    await task.destroy()
  }
}

/** "Microsoft Word - 通知.docx" → "通知"; generic producer titles are dropped. */
function cleanPdfTitle(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined
  const t = clean(raw.replace(/^Microsoft Word - /i, '').replace(/\.(docx?|wps|pdf)$/i, ''))
  if (t.length < 2 || /^(untitled|无标题|文档\d*|document\d*)$/i.test(t)) return undefined
  return t
}

interface TextItemLike {
  str: string
  hasEOL: boolean
  transform: number[]
  height: number
}

/** Groups a page's text items into lines (pdf.js marks line ends; a jump in y also ends a line). */
function pdfLines(content: { items: unknown[] }, page: number): PdfLine[] {
  const lines: PdfLine[] = []
  let current: PdfLine | undefined
  const end = () => {
    if (current && current.text.trim() !== '') lines.push({ ...current, text: clean(current.text) })
    current = undefined
  }
  for (const raw of content.items) {
    if (!raw || typeof raw !== 'object' || !('str' in raw)) continue
    const item = raw as TextItemLike
    const y = item.transform[5] ?? 0
    const size = item.height || Math.abs(item.transform[3] ?? 0)
    if (current && item.str !== '' && Math.abs(y - current.y) > Math.max(size, current.size) * 0.5) end()
    if (item.str !== '') {
      if (!current) current = { text: '', y, size, page }
      const joinSpace = /[A-Za-z0-9]$/.test(current.text) && /^[A-Za-z0-9]/.test(item.str) ? ' ' : ''
      current.text += joinSpace + item.str
      current.size = Math.max(current.size, size)
    }
    if (item.hasEOL) end()
  }
  end()
  return lines
}

interface PdfParagraph {
  text: string
  /** Set in a larger type than the body text. */
  heading: boolean
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/**
 * Joins lines into paragraphs. Chinese PDFs break lines mid-sentence, so a line runs on into the
 * next unless it ends a sentence (。！？；：), the next opens an article (第一条, 一、, （一）), the
 * type size changes, or a wider gap than usual separates them.
 */
function pdfParagraphs(lines: PdfLine[]): PdfParagraph[] {
  const gaps: number[] = []
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1] as PdfLine
    const b = lines[i] as PdfLine
    if (a.page === b.page && a.y > b.y) gaps.push(a.y - b.y)
  }
  const lineGap = median(gaps)
  const bodySize = median(lines.map((l) => l.size))
  const out: PdfParagraph[] = []
  let prev: PdfLine | undefined
  for (const line of lines) {
    const sizeChanged = prev !== undefined && Math.abs(prev.size - line.size) > Math.max(1, bodySize * 0.15)
    const wideGap =
      prev !== undefined && prev.page === line.page && lineGap > 0 && prev.y - line.y > lineGap * 1.4
    const breaks =
      prev === undefined ||
      SENTENCE_END_RE.test(prev.text) ||
      ARTICLE_START_RE.test(line.text) ||
      sizeChanged ||
      wideGap
    const last = out.at(-1)
    if (breaks || !last) out.push({ text: line.text, heading: line.size > bodySize * 1.15 })
    else {
      const space = /[A-Za-z0-9,.]$/.test(last.text) && /^[A-Za-z0-9]/.test(line.text) ? ' ' : ''
      last.text += space + line.text
    }
    prev = line
  }
  return out
}
