import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { KbQuestionModel } from '../../models/kb.model.js'
import '../../models/lock.model.js'
import { createKbService, type KbService } from './kb.service.js'
import { loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const vocabulary = loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml'))

const heating = (hours: number) => `---
title: 供暖投诉处理流程
issuer: 示范市供热办公室
date: 2025-10-10
---
一、上门时限。供热企业接到室温不达标报修后，应在24小时内上门测温；暖气管道漏水等紧急情况，应在${hours}小时内到场处置。

二、结果处理。测温不达标的，供热企业应在48小时内整改；整改后仍不达标的，按不达标天数退还热费。
`

const QUESTION = '暖气漏水了，供热企业多久到场？'

const clock = fixedClock(new Date('2026-01-10T02:00:00Z'))

function makeKb(opened: string[]): KbService {
  return createKbService({
    logger: silentLogger,
    clock,
    vocabulary,
    onAbstain: async (q) => {
      opened.push(q)
      return `ZX-${opened.length}`
    },
  })
}

describe('staff review answers', () => {
  useTestDatabase()

  it('does not give an answer marked wrong again for the same question until the document changes', async () => {
    const opened: string[] = []
    const kb = makeKb(opened)
    await kb.importDocument({ id: 'winter-heating', text: heating(2) })
    const first = await kb.ask(QUESTION, { askerId: 'res-1' })
    expect(first.abstained).toBe(false)
    expect(first.answer).toContain('2小时')

    const reviewed = await kb.reviewAnswer(
      first.questionId,
      { verdict: 'wrong', note: '区里已改为1小时内到场，文件待更新', correctDocId: 'winter-heating' },
      'staff-1',
    )
    expect(reviewed).toMatchObject({
      questionId: first.questionId,
      answer: first.answer,
      review: { verdict: 'wrong', note: '区里已改为1小时内到场，文件待更新', by: 'staff-1' },
    })

    // Same wording (punctuation and particles aside): handed to staff instead.
    const again = await kb.ask('暖气漏水了 供热企业多久到场', { askerId: 'res-2' })
    expect(again.abstained).toBe(true)
    expect(again.answer).not.toContain('2小时')
    expect(again.caseNumber).toBe('ZX-1')
    expect(opened).toHaveLength(1)
    expect((await KbQuestionModel.findOne({ questionId: again.questionId }).lean())?.withheldFor).toBe(
      first.questionId,
    )

    // A different question resting on the same document is still answered.
    expect((await kb.ask('测温不达标多久整改')).abstained).toBe(false)

    // Staff fix the document: the question is answered again, from the new text.
    await kb.importDocument({ id: 'winter-heating', text: heating(1) })
    const fixed = await kb.ask(QUESTION)
    expect(fixed.abstained).toBe(false)
    expect(fixed.answer).toContain('1小时')
  })

  it('shows wrong answers with the staff note among the unanswered, and lists reviews by verdict', async () => {
    const kb = makeKb([])
    await kb.importDocument({ id: 'winter-heating', text: heating(2) })
    const a = await kb.ask(QUESTION)
    const b = await kb.ask('测温不达标多久整改')
    await kb.reviewAnswer(a.questionId, { verdict: 'wrong', note: '应为1小时' }, 'staff-1')
    await kb.reviewAnswer(b.questionId, { verdict: 'right' }, 'staff-2')

    const unanswered = await kb.unanswered()
    expect(unanswered).toEqual([
      expect.objectContaining({ question: QUESTION, wrong: 1, abstained: 0, staffNote: '应为1小时' }),
    ])
    const wrong = await kb.listQuestions({ verdict: 'wrong' })
    expect(wrong.map((q) => [q.questionId, q.review?.note])).toEqual([[a.questionId, '应为1小时']])
    const right = await kb.listQuestions({ verdict: 'right' })
    expect(right.map((q) => [q.questionId, q.review?.by])).toEqual([[b.questionId, 'staff-2']])
    expect((await kb.listQuestions()).map((q) => q.questionId).sort()).toEqual(
      [a.questionId, b.questionId].sort(),
    )
  })

  it('answers again once staff mark a later answer to the same question right', async () => {
    const kb = makeKb([])
    await kb.importDocument({ id: 'winter-heating', text: heating(2) })
    const first = await kb.ask(QUESTION)
    await kb.reviewAnswer(first.questionId, { verdict: 'wrong', note: '先核实' }, 'staff-1')
    clock.advance(3_600_000)
    const held = await kb.ask(QUESTION)
    expect(held.abstained).toBe(true)
    await kb.reviewAnswer(held.questionId, { verdict: 'right', note: '核实无误，原答案正确' }, 'staff-1')
    expect((await kb.ask(QUESTION)).abstained).toBe(false)
  })

  it('refuses a wrong verdict without a note, an over-long note, an unknown question or document', async () => {
    const kb = makeKb([])
    await kb.importDocument({ id: 'winter-heating', text: heating(2) })
    const { questionId } = await kb.ask(QUESTION)
    await expect(kb.reviewAnswer(questionId, { verdict: 'wrong' }, 's')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: '标记答错时请写明错在哪里',
    })
    await expect(
      kb.reviewAnswer(questionId, { verdict: 'wrong', note: '长'.repeat(501) }, 's'),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: '说明不能超过500字',
    })
    await expect(kb.reviewAnswer('nope', { verdict: 'right' }, 's')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    await expect(
      kb.reviewAnswer(questionId, { verdict: 'wrong', note: '见新文件', correctDocId: 'ghost' }, 's'),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('ghost') })
    expect(await KbQuestionModel.countDocuments({ review: { $exists: true } })).toBe(0)
  })
})
