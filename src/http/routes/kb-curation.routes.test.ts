import request from 'supertest'
import { describe, expect, it } from 'vitest'
import '../../models/kb.model.js'
import '../../models/lock.model.js'
import { useTestDatabase } from '../../../test/db.js'
import { kbTestApp } from '../../../test/kb-http.js'
import { fixedClock } from '../../lib/clock.js'
import { AuditModel } from '../../models/audit.model.js'

// The staff side of the knowledge base over HTTP: document life cycles, answer reviews, conflicts.
const clock = fixedClock(new Date('2026-03-01T02:00:00Z'))
const { app, staff, resident } = kbTestApp({ clock: clock, maxDocumentKb: 8 })

const notice = (year: number, amount: number, extra = '') => `---
title: ${year === 2024 ? '关于发放2024年度高龄津贴的通知' : '关于调整高龄津贴标准的通知'}
issuer: 示范市民政局
date: ${year}-01-05
${extra}---
一、发放标准。80至89周岁老年人每人每月${amount}元；90周岁以上老年人每人每月${amount + 200}元。

二、申领方式。老年人或其家属携带身份证、户口簿到社区服务中心申请。
`

async function upload(id: string, text: string) {
  const res = await request(app).post('/api/v1/kb/documents').set('x-test-actor', staff).send({ id, text })
  expect(res.status).toBeLessThan(300)
}

const ask = (question: string) =>
  request(app).post('/api/v1/kb/ask').set('x-test-actor', resident).send({ question })

describe('kb curation routes', () => {
  useTestDatabase()

  it('shows each document’s status and dates, and lets staff end one without re-uploading', async () => {
    await upload('elderly-2026', notice(2026, 200, 'expires: 2026-12-31\n'))
    const list = await request(app).get('/api/v1/kb/documents').set('x-test-actor', staff)
    expect(list.body.documents).toEqual([
      expect.objectContaining({
        docId: 'elderly-2026',
        status: 'in_force',
        statusLabel: '现行有效',
        issuedOn: '2026-01-05',
        expiresOn: '2026-12-31',
        answering: true,
      }),
    ])
    expect((await ask('高龄津贴每月多少钱')).body.abstained).toBe(false)

    const patched = await request(app)
      .patch('/api/v1/kb/documents/elderly-2026')
      .set('x-test-actor', staff)
      .send({ expiresOn: '2026-02-28' })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({
      status: 'expired',
      statusLabel: '已失效（2026-02-28 到期）',
      lifecycleChangedBy: 'staff-1',
    })
    expect((await ask('高龄津贴每月多少钱')).body.abstained).toBe(true)
    expect(await AuditModel.countDocuments({ action: 'change_kb_document', actorId: 'staff-1' })).toBe(1)
  })

  it('answers bad life-cycle changes with 4xx and a Chinese reason, never 500', async () => {
    await upload('elderly-2024', notice(2024, 100))
    await upload('elderly-2026', notice(2026, 200))
    const patch = (docId: string, body: unknown, who = staff) =>
      request(app)
        .patch(`/api/v1/kb/documents/${docId}`)
        .set('x-test-actor', who)
        .send(body as object)

    expect((await patch('elderly-2026', { expiresOn: '2026-12-31' }, resident)).status).toBe(403)
    const unknown = await patch('ghost', { expiresOn: '2026-12-31' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.message).toContain('ghost')
    const badDate = await patch('elderly-2026', { expiresOn: '2026-02-30' })
    expect(badDate.status).toBe(400)
    expect(badDate.body.error.message).toContain('不是有效日期')
    expect((await patch('elderly-2026', { expiresOn: '2025-12-31' })).status).toBe(400)
    expect((await patch('elderly-2026', { supersededBy: 'elderly-2026' })).status).toBe(400)
    expect((await patch('elderly-2026', { supersededBy: 'ghost' })).status).toBe(400)
    expect((await patch('elderly-2026', { colour: 'red' })).status).toBe(400)
    expect((await patch('elderly-2026', { expiresOn: { $gt: '' } })).status).toBe(400)

    const superseded = await patch('elderly-2024', { supersededBy: 'elderly-2026' })
    expect(superseded.status).toBe(200)
    expect(superseded.body.statusLabel).toBe('已被《关于调整高龄津贴标准的通知》取代')
    expect((await patch('elderly-2026', { supersededBy: 'elderly-2024' })).status).toBe(409)
  })

  it('lists conflicts between documents in force for staff only', async () => {
    await upload('elderly-2024', notice(2024, 100))
    await upload('elderly-2026', notice(2026, 200))
    const answer = await ask('80岁高龄津贴每月多少钱')
    expect(answer.body.answer).toContain('200元')
    const conflicts = await request(app).get('/api/v1/kb/conflicts').set('x-test-actor', staff)
    expect(conflicts.status).toBe(200)
    expect(conflicts.body.items).toEqual([
      expect.objectContaining({
        newer: { docId: 'elderly-2026', title: '关于调整高龄津贴标准的通知' },
        older: { docId: 'elderly-2024', title: '关于发放2024年度高龄津贴的通知' },
        count: 1,
      }),
    ])
    expect((await request(app).get('/api/v1/kb/conflicts').set('x-test-actor', resident)).status).toBe(403)
  })

  it('lets staff mark an answer wrong, lists it, and hands the same question to staff next time', async () => {
    await upload('elderly-2026', notice(2026, 200))
    const first = await ask('高龄津贴每月多少钱')
    expect(first.body.abstained).toBe(false)
    const review = (questionId: string, body: unknown, who = staff) =>
      request(app)
        .post(`/api/v1/kb/questions/${questionId}/review`)
        .set('x-test-actor', who)
        .send(body as object)

    expect((await review(first.body.questionId, { verdict: 'wrong', note: '错' }, resident)).status).toBe(403)
    const noNote = await review(first.body.questionId, { verdict: 'wrong' })
    expect(noNote.status).toBe(400)
    expect(noNote.body.error.message).toBe('标记答错时请写明错在哪里')
    expect((await review(first.body.questionId, { verdict: 'maybe' })).status).toBe(400)
    expect((await review('nope', { verdict: 'right' })).status).toBe(404)
    const ok = await review(first.body.questionId, { verdict: 'wrong', note: '90岁以上标准有误' })
    expect(ok.status).toBe(200)
    expect(ok.body.review).toMatchObject({ verdict: 'wrong', note: '90岁以上标准有误', by: 'staff-1' })

    const again = await ask('高龄津贴每月多少钱？')
    expect(again.body.abstained).toBe(true)

    const wrong = await request(app).get('/api/v1/kb/questions?verdict=wrong').set('x-test-actor', staff)
    expect(wrong.status).toBe(200)
    expect(wrong.body.items).toEqual([
      expect.objectContaining({
        questionId: first.body.questionId,
        answer: first.body.answer,
        review: expect.objectContaining({ note: '90岁以上标准有误' }),
      }),
    ])
    const unanswered = await request(app).get('/api/v1/kb/unanswered').set('x-test-actor', staff)
    expect(unanswered.body.items).toEqual([
      expect.objectContaining({ count: 2, wrong: 1, abstained: 1, staffNote: '90岁以上标准有误' }),
    ])
    expect(
      (await request(app).get('/api/v1/kb/questions?verdict=bad').set('x-test-actor', staff)).status,
    ).toBe(400)
    expect((await request(app).get('/api/v1/kb/questions').set('x-test-actor', resident)).status).toBe(403)
  })
})
