import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../models/kb.model.js'
import '../models/lock.model.js'
import { commandContext } from '../../test/cli-context.js'
import { useTestDatabase } from '../../test/db.js'
import { kbCommand } from './kb.command.js'

const context = () => commandContext()

const DOC = `---
title: 社区便民服务站服务事项清单
issuer: 示范社区居民委员会
---
一、开放时间。周一至周五8:30—12:00、14:30—18:00；周六上午值班，节假日安排专人值守。

二、上门服务。80岁以上独居老人、重度残疾人等行动不便的居民，可预约网格员上门代办。
`

describe('linli kb', () => {
  useTestDatabase()
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'linli-kb-cli-'))
    await writeFile(path.join(dir, 'service-station.md'), DOC)
    await writeFile(path.join(dir, 'notes.docx'), 'binary')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('imports a folder and prints the counts; a second run skips the unchanged file', async () => {
    const first = context()
    expect(await kbCommand.run(first.ctx, ['import', dir])).toBe(0)
    expect(JSON.parse(first.out[0] as string)).toEqual({
      imported: 1,
      updated: 0,
      skipped: 0,
      chunks: 2,
      failed: 1,
    })
    expect(first.err[0]).toContain('notes.docx')
    const second = context()
    await kbCommand.run(second.ctx, ['import', dir])
    expect(JSON.parse(second.out[0] as string)).toMatchObject({ imported: 0, skipped: 1, chunks: 0 })
  })

  it('prints one Chinese line a file for a folder of office files, and the JSON summary on stdout', async () => {
    const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/kb')
    const { ctx, out, err } = context()
    expect(await kbCommand.run(ctx, ['import', fixtures])).toBe(0)
    expect(out).toHaveLength(1)
    expect(JSON.parse(out[0] as string)).toMatchObject({ imported: 4, updated: 0, skipped: 0, failed: 6 })
    expect(err).toHaveLength(10)
    expect(err).toContainEqual(
      expect.stringMatching(/^已导入 elevator-subsidy\.docx → elevator-subsidy（\d+ 段）$/),
    )
    expect(err).toContain(
      '未导入 scanned-notice.pdf：这个 PDF 只有图片没有文字层，请先做文字识别（OCR）或提供 Word/文字版',
    )
    expect(err).toContain('未导入 empty.md：文件是空的')
    expect(err).toContain('未导入 corrupted.txt：文件内容无法识别为文字（可能已损坏或不是文档）')

    const again = context()
    await kbCommand.run(again.ctx, ['import', fixtures])
    expect(again.err).toContain('内容没有变化，跳过 low-income-standard.html')
  })

  it('answers with --json: answer, abstained and citations', async () => {
    await kbCommand.run(context().ctx, ['import', dir])
    const { ctx, out } = context()
    expect(await kbCommand.run(ctx, ['ask', '--json', '腿脚不方便，网格员能上门帮忙办吗'])).toBe(0)
    const a = JSON.parse(out[0] as string)
    expect(a.abstained).toBe(false)
    expect(a.answer).toContain('网格员上门代办')
    expect(a.citations[0]).toMatchObject({ docId: 'service-station', title: '社区便民服务站服务事项清单' })

    const miss = context()
    await kbCommand.run(miss.ctx, ['ask', '--json', '汽车年检去哪'])
    expect(JSON.parse(miss.out[0] as string)).toMatchObject({ abstained: true, citations: [] })
  })

  it('lists each document with its status, and refuses a document with an impossible date', async () => {
    const lives = await mkdtemp(path.join(tmpdir(), 'linli-kb-cli-life-'))
    const notice = (front: string) =>
      `---\ntitle: 社区通知\n${front}---\n一、开放时间。社区服务站周一至周五上午八点半到十二点开放，周六上午为老年人专场。\n`
    await writeFile(path.join(lives, 'old-notice.md'), notice('expires: 2020-12-31\n'))
    await writeFile(path.join(lives, 'future-notice.md'), notice('effective: 2099-01-01\n'))
    await writeFile(path.join(lives, 'bad-notice.md'), notice('expires: 2026-02-30\n'))
    try {
      const imported = context()
      await kbCommand.run(imported.ctx, ['import', lives])
      expect(JSON.parse(imported.out[0] as string)).toMatchObject({ imported: 2, failed: 1 })
      expect(imported.err.join('\n')).toMatch(/bad-notice\.md.*有效期至「2026-02-30」不是有效日期/)
      const listed = context()
      await kbCommand.run(listed.ctx, ['list'])
      const docs = JSON.parse(listed.out[0] as string) as Array<{ docId: string; statusLabel: string }>
      expect(docs.map((d) => [d.docId, d.statusLabel])).toEqual([
        ['future-notice', '尚未生效（2099-01-01 起施行）'],
        ['old-notice', '已失效（2020-12-31 到期）'],
      ])
    } finally {
      await rm(lives, { recursive: true, force: true })
    }
  })

  it('prints usage and exits 2 without a folder or a question', async () => {
    const { ctx, err } = context()
    expect(await kbCommand.run(ctx, ['import'])).toBe(2)
    expect(await kbCommand.run(ctx, ['ask', '--json'])).toBe(2)
    expect(err[0]).toContain('kb import')
  })
})
