import request from 'supertest'
import { describe, expect, it } from 'vitest'
import '../../models/kb.model.js'
import '../../models/lock.model.js'
import { useTestDatabase } from '../../../test/db.js'
import { actorHeader, kbTestApp } from '../../../test/kb-http.js'
import { fixedClock } from '../../lib/clock.js'

const { app, staff, resident } = kbTestApp({
  clock: fixedClock(new Date('2026-01-10T02:00:00Z')),
  maxDocumentKb: 2,
})

const as = actorHeader

const HEATING_MD = `---
title: 供暖投诉处理流程
issuer: 示范市供热办公室
---
一、上门时限。供热企业接到室温不达标报修后，应在24小时内上门测温。

二、结果处理。测温不达标的，供热企业应在48小时内整改；整改后仍不达标的，按不达标天数退还热费。
`

describe('kb routes', () => {
  useTestDatabase()

  async function upload() {
    return request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', staff)
      .send({ id: 'winter-heating', text: HEATING_MD })
  }

  it('lets staff upload a document as JSON and as raw Markdown, and refuses residents', async () => {
    const first = await upload()
    expect(first.status).toBe(201)
    expect(first.body).toEqual({ docId: 'winter-heating', outcome: 'imported', chunks: 2 })
    expect((await upload()).body.outcome).toBe('skipped')

    const raw = await request(app)
      .post('/api/v1/kb/documents?id=dog-rules')
      .set('x-test-actor', staff)
      .set('content-type', 'text/markdown')
      .send('# 养犬管理规定\n\n第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。')
    expect(raw.status).toBe(201)
    expect(raw.body.docId).toBe('dog-rules')

    const denied = await request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', resident)
      .send({ id: 'x', text: 'y' })
    expect(denied.status).toBe(403)
    const list = await request(app).get('/api/v1/kb/documents').set('x-test-actor', staff)
    expect(list.body.documents.map((d: { docId: string }) => d.docId)).toEqual([
      'dog-rules',
      'winter-heating',
    ])
  })

  it('rejects bad uploads with a clear 4xx', async () => {
    const noId = await request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', staff)
      .set('content-type', 'text/plain')
      .send('一、正文。')
    expect(noId.status).toBe(400)
    expect(noId.body.error.message).toContain('文档编号')
    const tooBig = await request(app)
      .post('/api/v1/kb/documents?id=big')
      .set('x-test-actor', staff)
      .set('content-type', 'text/plain')
      .send('字'.repeat(1500))
    expect(tooBig.status).toBe(413)
    const badId = await request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', staff)
      .send({ id: '../x', text: '正文' })
    expect(badId.status).toBe(400)
    const operator = await request(app)
      .post('/api/v1/kb/documents')
      .set('x-test-actor', staff)
      .send({ id: { $ne: 1 }, text: '正文' })
    expect(operator.status).toBe(400)
  })

  it('answers a resident with citations, takes feedback and shows staff the unanswered questions', async () => {
    await upload()
    const unauth = await request(app).post('/api/v1/kb/ask').send({ question: '暖气不热多久来测温' })
    expect(unauth.status).toBe(401)

    const ok = await request(app)
      .post('/api/v1/kb/ask')
      .set('x-test-actor', resident)
      .send({ question: '暖气不热多久来测温' })
    expect(ok.status).toBe(200)
    expect(ok.body.abstained).toBe(false)
    expect(ok.body.answer).toContain('24小时内上门测温')
    expect(ok.body.citations[0]).toMatchObject({ docId: 'winter-heating', title: '供暖投诉处理流程' })

    const miss = await request(app)
      .post('/api/v1/kb/ask')
      .set('x-test-actor', resident)
      .send({ question: '护照在哪里办' })
    expect(miss.body.abstained).toBe(true)

    const fb = await request(app)
      .post('/api/v1/kb/feedback')
      .set('x-test-actor', resident)
      .send({ questionId: ok.body.questionId, helpful: false })
    expect(fb.status).toBe(200)
    const other = await request(app)
      .post('/api/v1/kb/feedback')
      .set('x-test-actor', as('res-2', ['resident']))
      .send({ questionId: ok.body.questionId, helpful: true })
    expect(other.status).toBe(403)

    expect((await request(app).get('/api/v1/kb/unanswered').set('x-test-actor', resident)).status).toBe(403)
    const list = await request(app).get('/api/v1/kb/unanswered?limit=5').set('x-test-actor', staff)
    expect(list.status).toBe(200)
    expect(list.body.items.map((i: { question: string }) => i.question).sort()).toEqual([
      '护照在哪里办',
      '暖气不热多久来测温',
    ])
  })

  it('refuses an empty question and a malformed feedback', async () => {
    const empty = await request(app)
      .post('/api/v1/kb/ask')
      .set('x-test-actor', resident)
      .send({ question: '  ' })
    expect(empty.status).toBe(400)
    const fb = await request(app)
      .post('/api/v1/kb/feedback')
      .set('x-test-actor', resident)
      .send({ helpful: 'yes' })
    expect(fb.status).toBe(400)
    const unknown = await request(app)
      .post('/api/v1/kb/feedback')
      .set('x-test-actor', resident)
      .send({ questionId: 'nope', helpful: true })
    expect(unknown.status).toBe(404)
  })
})
