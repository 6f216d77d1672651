import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { parse as parseStream } from 'csv-parse'
import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import iconv from 'iconv-lite'
import { InvalidInputError } from '../../../lib/errors.js'

/** A sheet as rows of cell texts; row 0 is the header (sheet row 1). */
export interface Sheet {
  format: 'csv' | 'xlsx'
  encoding?: 'utf-8' | 'utf-16le' | 'gbk'
  rows: string[][]
}

const isZip = (b: Buffer) => b.length > 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04

/**
 * Decodes CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GBK/GB18030 — what Excel in
 * China writes when it saves "CSV (逗号分隔)".
 */
export function decodeCsv(bytes: Buffer): { text: string; encoding: NonNullable<Sheet['encoding']> } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: bytes.subarray(3).toString('utf8'), encoding: 'utf-8' }
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: bytes.subarray(2).toString('utf16le'), encoding: 'utf-16le' }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' }
  } catch {
    return { text: iconv.decode(bytes, 'gb18030'), encoding: 'gbk' }
  }
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return ''
  // An 18-digit ID number typed into a number cell has lost its last digits: show it the way Excel
  // does (1.50202E+17) so the row is reported instead of imported with a wrong number.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : value.toExponential()
  if (value instanceof Date) return value.toISOString().slice(0, 10)
  if (typeof value !== 'object') return String(value)
  if ('richText' in value) return value.richText.map((r) => r.text).join('')
  if ('result' in value) return cellText(value.result as ExcelJS.CellValue)
  if ('text' in value) return String(value.text)
  return ''
}

async function readXlsx(bytes: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer)
  } catch {
    throw new InvalidInputError('无法读取这个 Excel 文件，请另存为 .xlsx 或 CSV 后再试')
  }
  const sheet = workbook.worksheets[0]
  if (!sheet) throw new InvalidInputError('Excel 文件中没有工作表')
  const rows: string[][] = []
  sheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
    const cells: string[] = []
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value).trim()
    })
    rows[rowNumber - 1] = Array.from(cells, (c) => c ?? '')
  })
  return Array.from(rows, (r) => r ?? [])
}

/** Reads a CSV or XLSX upload (told apart by content, not by name). */
export async function readSheet(bytes: Buffer): Promise<Sheet> {
  if (bytes.length === 0) throw new InvalidInputError('文件是空的')
  if (isZip(bytes)) return { format: 'xlsx', rows: await readXlsx(bytes) }
  const { text, encoding } = decodeCsv(bytes)
  const delimiter = (text.split('\n', 1)[0] ?? '').includes('\t') ? '\t' : ','
  try {
    const rows = parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
    }) as string[][]
    return { format: 'csv', encoding, rows }
  } catch (err) {
    const line = (err as { lines?: number }).lines
    throw new InvalidInputError(`CSV 文件格式有误${line ? `（第${line}行附近）` : ''}，请检查引号和分隔符`)
  }
}

/** Where an import reads its sheet from: the bytes of an upload, or a file read as a stream. */
export type SheetInput = Buffer | { path: string }

/** A sheet read row by row: never the whole file or all its rows in memory at once. */
export interface SheetStream {
  format: Sheet['format']
  encoding?: Sheet['encoding']
  rows: AsyncIterable<string[]>
}

const CHUNK = 64 * 1024

/** The input as chunks of at most 64 KiB (an upload's buffer is sliced, never copied). */
async function* chunksOf(input: SheetInput): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(input)) {
    for (let i = 0; i < input.length; i += CHUNK) yield input.subarray(i, i + CHUNK)
    return
  }
  const stream = createReadStream(input.path, { highWaterMark: CHUNK })
  try {
    for await (const chunk of stream) yield chunk as Buffer
  } catch {
    throw new InvalidInputError('无法读取这个文件')
  }
}

type Encoding = NonNullable<Sheet['encoding']>

/** The encoding of a CSV from its first bytes: a BOM, else valid UTF-8, else GBK/GB18030. */
function sniffEncoding(head: Buffer): { encoding: Encoding; skip: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', skip: 3 }
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 }
  try {
    // `stream: true` lets a character cut at the end of the sniffed bytes pass.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return { encoding: 'utf-8', skip: 0 }
  } catch {
    return { encoding: 'gbk', skip: 0 }
  }
}

/** Decodes chunks as they come; a UTF-8 file that turns out not to be one is refused, not mangled. */
async function* decodeChunks(first: Buffer, rest: AsyncIterator<Buffer>, encoding: Encoding) {
  const decoder = iconv.getDecoder(encoding === 'gbk' ? 'gb18030' : encoding)
  const utf8 = encoding === 'utf-8' ? new TextDecoder('utf-8', { fatal: true }) : undefined
  const decode = (b: Buffer) => {
    if (!utf8) return decoder.write(b)
    try {
      return utf8.decode(b, { stream: true })
    } catch {
      throw new InvalidInputError('文件编码前后不一致，请另存为 UTF-8 或 GBK 编码的 CSV 后再试')
    }
  }
  yield decode(first)
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield decode(r.value)
  const tail = utf8 ? utf8.decode() : (decoder.end() ?? '')
  if (tail) yield tail
}

function csvError(err: unknown): InvalidInputError {
  if (err instanceof InvalidInputError) return err
  const line = (err as { lines?: number }).lines
  return new InvalidInputError(`CSV 文件格式有误${line ? `（第${line}行附近）` : ''}，请检查引号和分隔符`)
}

async function* csvRows(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<string[]> {
  const parser = parseStream({ delimiter, relax_column_count: true, relax_quotes: true, trim: true })
  const source = Readable.from(text)
  source.on('error', (err) => parser.destroy(err))
  source.pipe(parser)
  try {
    for await (const record of parser) yield record as string[]
  } catch (err) {
    throw csvError(err)
  } finally {
    source.destroy()
  }
}

/**
 * Opens a CSV or XLSX sheet (told apart by content) for reading row by row. A CSV is decoded and
 * parsed as a stream, 64 KiB at a time; an XLSX (zip) is read whole, as its format needs (uploads are
 * capped by `http.uploadLimitMb`; large registers come as CSV).
 */
export async function openSheet(input: SheetInput): Promise<SheetStream> {
  const chunks = chunksOf(input)
  // The first 64 KiB (or the whole file when smaller) decide format and encoding.
  const parts: Buffer[] = []
  let size = 0
  while (size < CHUNK) {
    const r = await chunks.next()
    if (r.done) break
    parts.push(r.value)
    size += r.value.length
  }
  const head = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
  if (head.length === 0) throw new InvalidInputError('文件是空的')
  if (isZip(head)) {
    const bytes = Buffer.isBuffer(input) ? input : await readFile(input.path)
    const rows = await readXlsx(bytes)
    return {
      format: 'xlsx',
      rows: (async function* () {
        yield* rows
      })(),
    }
  }
  const { encoding, skip } = sniffEncoding(head)
  const text = decodeChunks(head.subarray(skip), chunks, encoding)
  const first = await text.next()
  const firstText = first.done ? '' : first.value
  const delimiter = (firstText.split('\n', 1)[0] ?? '').includes('\t') ? '\t' : ','
  const all = (async function* () {
    yield firstText
    yield* text
  })()
  return { format: 'csv', encoding, rows: csvRows(all, delimiter) }
}
