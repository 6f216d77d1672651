import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KbDocumentModel } from '../../models/kb.model.js'
import '../../models/lock.model.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { createKbService } from './kb.service.js'
import { loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const FIXTURES = path.join(ROOT, 'test/fixtures/kb')
const makeKb = () =>
  createKbService({
    logger: silentLogger,
    clock: fixedClock(new Date('2026-01-10T02:00:00Z')),
    vocabulary: loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml')),
  })

describe('kb import of office files', () => {
  useTestDatabase()

  it('imports a folder of Word, PDF, web and GBK text files and reports every file', async () => {
    const kb = makeKb()
    const summary = await kb.importFolder(FIXTURES)
    expect(summary).toMatchObject({ imported: 4, updated: 0, skipped: 0 })
    expect(summary.failed.map((f) => f.file)).toEqual([
      'corrupted.docx',
      'corrupted.txt',
      'empty.md',
      'locked-notice.pdf',
      'scanned-notice.pdf',
      'zero.txt',
    ])
    const report = summary.files.map((f) => [f.file, f.outcome, f.code ?? f.chunks > 0])
    expect(report).toEqual([
      ['corrupted.docx', 'refused', 'BINARY'],
      ['corrupted.txt', 'refused', 'BINARY'],
      ['elevator-subsidy.docx', 'imported', true],
      ['empty.md', 'refused', 'EMPTY'],
      ['locked-notice.pdf', 'refused', 'ENCRYPTED'],
      ['low-income-standard.html', 'imported', true],
      ['medical-insurance-notice.pdf', 'imported', true],
      ['scanned-notice.pdf', 'refused', 'IMAGE_ONLY_PDF'],
      ['waste-sorting-gbk.txt', 'imported', true],
      ['zero.txt', 'refused', 'TOO_SHORT'],
    ])
    expect(summary.files.find((f) => f.file === 'scanned-notice.pdf')?.reason).toContain('文字识别（OCR）')
    expect(summary.chunks).toBe(summary.files.reduce((n, f) => n + f.chunks, 0))

    const docs = await kb.listDocuments()
    expect(docs.map((d) => [d.docId, d.title])).toEqual([
      ['elevator-subsidy', '示范市既有住宅加装电梯补贴办法'],
      ['low-income-standard', '示范市民政局关于调整城乡低保标准的通知'],
      ['medical-insurance-notice', '关于做好2026年度城乡居民基本医疗保险集中缴费工作的通知'],
      ['waste-sorting-gbk', '社区垃圾分类投放指引'],
    ])
    expect(docs.find((d) => d.docId === 'low-income-standard')).toMatchObject({
      issuer: '示范市民政局',
      date: '2025-12-20',
    })

    const again = await kb.importFolder(FIXTURES)
    expect(again).toMatchObject({ imported: 0, updated: 0, skipped: 4, chunks: 0 })
  })

  it('answers a question from an imported Word file, citing it', async () => {
    const kb = makeKb()
    await kb.importFile({
      fileName: 'elevator-subsidy.docx',
      bytes: readFileSync(path.join(FIXTURES, 'elevator-subsidy.docx')),
    })
    const a = await kb.ask('老楼加装电梯，政府补贴多少钱？')
    expect(a.abstained).toBe(false)
    expect(a.answer).toContain('20万元')
    expect(a.citations[0]).toMatchObject({
      docId: 'elevator-subsidy',
      title: '示范市既有住宅加装电梯补贴办法',
    })

    await kb.importFile({
      fileName: 'medical-insurance-notice.pdf',
      bytes: readFileSync(path.join(FIXTURES, 'medical-insurance-notice.pdf')),
    })
    const pdf = await kb.ask('城乡居民医保集中缴费期到什么时候截止')
    expect(pdf.abstained).toBe(false)
    expect(pdf.answer).toContain('12月31日')
    expect(pdf.citations[0]?.docId).toBe('medical-insurance-notice')
  })

  it('refuses a file that is no document with a 422-kind error naming the reason', async () => {
    const kb = makeKb()
    await expect(
      kb.importFile({ fileName: 'scan.pdf', bytes: readFileSync(path.join(FIXTURES, 'scanned-notice.pdf')) }),
    ).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      message: expect.stringContaining('只有图片没有文字层'),
      details: { reason: 'IMAGE_ONLY_PDF', file: 'scan.pdf' },
    })
    expect(await KbDocumentModel.countDocuments()).toBe(0)
  })

  it('refuses a second file with the same document id in one folder, and odd file names get a usable id', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'linli-kb-twins-'))
    const text = '# 养犬管理规定\n\n第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。'
    await writeFile(path.join(dir, 'dogs.md'), text)
    await writeFile(path.join(dir, 'dogs.txt'), text)
    await writeFile(path.join(dir, '养犬规定（2025 修订）.md'), text)
    await writeFile(path.join(dir, 'budget.xlsx'), 'x')
    try {
      const summary = await makeKb().importFolder(dir)
      expect(summary.files).toEqual([
        {
          file: 'budget.xlsx',
          docId: 'budget',
          outcome: 'refused',
          chunks: 0,
          code: 'UNSUPPORTED_TYPE',
          reason: expect.stringContaining('不支持的文件类型'),
        },
        { file: 'dogs.md', docId: 'dogs', outcome: 'imported', chunks: 1 },
        {
          file: 'dogs.txt',
          docId: 'dogs',
          outcome: 'refused',
          chunks: 0,
          code: 'INVALID_INPUT',
          reason: '与 dogs.md 的文档编号相同（dogs），请改一个文件名',
        },
        { file: '养犬规定（2025 修订）.md', docId: '养犬规定-2025-修订', outcome: 'imported', chunks: 1 },
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('validates title, text and dates of a document, whatever its source', async () => {
    const kb = makeKb()
    const good = '第一条 本市城市建成区内个人饲养犬只，每户限养一只犬，携犬出户应束犬链。'
    const invalid = async (input: Parameters<typeof kb.importDocument>[0]) => {
      const err = await kb.importDocument(input).then(
        () => undefined,
        (e: unknown) => e as { code: string; details: Array<{ path: string; message: string }> },
      )
      expect(err?.code).toBe('INVALID_INPUT')
      return err?.details ?? []
    }
    expect(await invalid({ id: 'zero', text: '0', title: '\u0007' })).toEqual([
      { path: 'text', message: expect.stringContaining('内容太少') },
      { path: 'title', message: '标题不能包含控制字符或不可见字符' },
    ])
    expect(await invalid({ id: 'feb', text: good, date: '2026-02-30' })).toEqual([
      { path: 'date', message: expect.stringContaining('YYYY-MM-DD') },
    ])
    await expect(
      kb.importDocument({ id: 'fm-date', text: `---\ntitle: 养犬管理规定\ndate: 2026-02-30\n---\n${good}` }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('2026-02-30') })
    expect(await KbDocumentModel.countDocuments()).toBe(0)

    // A control character inside front matter is cleaned from the title instead.
    await kb.importDocument({ id: 'dogs', text: `---\ntitle: "养犬\\u0007管理规定"\n---\n${good}` })
    expect((await kb.listDocuments())[0]?.title).toBe('养犬管理规定')
  })
})
