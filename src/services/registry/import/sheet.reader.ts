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
