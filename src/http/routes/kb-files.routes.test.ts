import { readFileSync } from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import '../../models/kb.model.js'
import '../../models/lock.model.js'
import { useTestDatabase } from '../../../test/db.js'
import { kbTestApp } from '../../../test/kb-http.js'
import { fixedClock } from '../../lib/clock.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const fixture = (name: string) => readFileSync(path.join(ROOT, 'test/fixtures/kb', name))
const { app, staff, resident } = kbTestApp({
  clock: fixedClock(new Date('2026-01-10T02:00:00Z')),
  maxDocumentKb: 100,
})

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

const upload = (query: string, type: string, bytes: Buffer | string, actor = staff) =>
  request(app)
    .post(`/api/v1/kb/files${query}`)
    .set('x-test-actor', actor)
    .set('content-type', type)
    .send(bytes)

const listed = async () =>
  (await request(app).get('/api/v1/kb/documents').set('x-test-actor', staff)).body.documents as Array<{
    docId: string
    title: string
    issuer?: string
    date?: string
  }>

describe('kb file uploads', () => {
  useTestDatabase()

  it('takes a Word file from staff, and residents get answers citing it', async () => {
    const first = await upload('?id=elevator-subsidy', DOCX, fixture('elevator-subsidy.docx'))
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ docId: 'elevator-subsidy', outcome: 'imported', format: 'docx' })
    expect(first.body.chunks).toBeGreaterThan(2)
    const again = await upload('?id=elevator-subsidy', DOCX, fixture('elevator-subsidy.docx'))
    expect(again.status).toBe(200)
    expect(again.body.outcome).toBe('skipped')

    const denied = await upload('?id=x', DOCX, fixture('elevator-subsidy.docx'), resident)
    expect(denied.status).toBe(403)

    const ask = await request(app)
      .post('/api/v1/kb/ask')
      .set('x-test-actor', resident)
      .send({ question: '我们楼想加装电梯，能补贴多少钱' })
    expect(ask.body.abstained).toBe(false)
    expect(ask.body.answer).toContain('20万元')
    expect(ask.body.citations[0]).toMatchObject({
      docId: 'elevator-subsidy',
      title: '示范市既有住宅加装电梯补贴办法',
    })
  })

  it('takes a PDF by file name, a web page by Content-Type, and GBK text on the text endpoint', async () => {
    const pdf = await upload(
      `?name=${encodeURIComponent('医保缴费通知（2026）.pdf')}`,
      'application/octet-stream',
      fixture('medical-insurance-notice.pdf'),
    )
    expect(pdf.status).toBe(201)
    expect(pdf.body).toMatchObject({ docId: '医保缴费通知-2026', format: 'pdf' })

    const html = await upload(
      '?id=low-income',
      'text/html; charset=utf-8',
      fixture('low-income-standard.html'),
    )
    expect(html.status).toBe(201)

    const gbk = await request(app)
      .post('/api/v1/kb/documents?id=waste-sorting')
      .set('x-test-actor', staff)
      .set('content-type', 'text/plain')
      .send(fixture('waste-sorting-gbk.txt'))
    expect(gbk.status).toBe(201)

    expect(await listed()).toEqual([
      expect.objectContaining({
        docId: 'low-income',
        title: '示范市民政局关于调整城乡低保标准的通知',
        issuer: '示范市民政局',
        date: '2025-12-20',
      }),
      expect.objectContaining({ docId: 'waste-sorting', title: '社区垃圾分类投放指引' }),
      expect.objectContaining({
        docId: '医保缴费通知-2026',
        title: '关于做好2026年度城乡居民基本医疗保险集中缴费工作的通知',
      }),
    ])
  })

  it('refuses files that are no documents with 422, a code and the reason in Chinese', async () => {
    const refusals: Array<[string, string, Buffer | string, string, string]> = [
      ['?id=scan', 'application/pdf', fixture('scanned-notice.pdf'), 'IMAGE_ONLY_PDF', '只有图片没有文字层'],
      ['?id=locked', 'application/pdf', fixture('locked-notice.pdf'), 'ENCRYPTED', '密码保护'],
      ['?id=broken', DOCX, fixture('corrupted.docx'), 'BINARY', '无法识别为文字'],
      ['?id=garbage', 'text/plain', fixture('corrupted.txt'), 'BINARY', '无法识别为文字'],
      ['?id=zero', 'text/markdown', '0', 'TOO_SHORT', '内容太少'],
      ['?id=empty', 'application/pdf', '', 'EMPTY', '文件是空的'],
      ['?id=old-word', 'application/msword', 'x', 'UNSUPPORTED_TYPE', '不支持的文件类型'],
      ['?name=budget.xlsx', 'application/octet-stream', 'x', 'UNSUPPORTED_TYPE', '不支持的文件类型'],
    ]
    for (const [query, type, body, reason, message] of refusals) {
      const res = await upload(query, type, body)
      expect(res.status, query).toBe(422)
      expect(res.body.error, query).toMatchObject({ code: 'UNPROCESSABLE', details: { reason } })
      expect(res.body.error.message, query).toContain(message)
    }
    expect(await listed()).toEqual([])
  })

  it('refuses uploads without an id, as JSON, too large, or with a bad title or date', async () => {
    const noId = await upload('', 'application/pdf', fixture('medical-insurance-notice.pdf'))
    expect(noId.status).toBe(400)
    expect(noId.body.error.message).toContain('文档编号')

    const json = await request(app)
      .post('/api/v1/kb/files?id=x')
      .set('x-test-actor', staff)
      .send({ text: '第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。' })
    expect(json.status).toBe(400)
    expect(json.body.error.message).toContain('Content-Type')

    const big = await upload('?id=big', 'application/pdf', Buffer.alloc(101 * 1024, 0x20))
    expect(big.status).toBe(413)

    const badTitle = await upload('?id=t&title=%07', DOCX, fixture('elevator-subsidy.docx'))
    expect(badTitle.status).toBe(400)
    expect(badTitle.body.error.details).toContainEqual({
      path: 'title',
      message: '标题不能包含控制字符或不可见字符',
    })

    const badDate = await upload('?id=d&date=2026-02-30', DOCX, fixture('elevator-subsidy.docx'))
    expect(badDate.status).toBe(400)
    expect(badDate.body.error.details).toContainEqual({
      path: 'date',
      message: expect.stringContaining('YYYY-MM-DD'),
    })
    expect(await listed()).toEqual([])
  })

  it('refuses a JSON document whose text is 「0」 and whose title is a control character', async () => {
    const res = await request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', staff)
      .send({ id: 'zero', text: '0', title: '\u0001' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('INVALID_INPUT')
    expect(res.body.error.details).toEqual([
      { path: 'text', message: expect.stringContaining('内容太少') },
      { path: 'title', message: '标题不能包含控制字符或不可见字符' },
    ])
    const shortTitle = await request(app).post('/api/v1/kb/documents').set('x-test-actor', staff).send({
      id: 'dogs',
      text: '第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。',
      title: ' 犬 ',
      date: '2026-1-5',
    })
    expect(shortTitle.status).toBe(400)
    expect(shortTitle.body.error.details.map((d: { path: string }) => d.path)).toEqual(['title', 'date'])
    expect(await listed()).toEqual([])
  })
})
