import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { AuditModel } from '../../models/audit.model.js'
import { KbConflictModel, KbDocumentModel } from '../../models/kb.model.js'
import '../../models/lock.model.js'
import { createKbService, type KbService } from './kb.service.js'
import { REVIEW_DUE_CAVEAT } from './kb-lifecycle.js'
import { loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const vocabulary = loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml'))

/** Noon in Shanghai on the given day. */
const day = (d: string) => new Date(`${d}T04:00:00Z`)

const ELDERLY_2024 = `---
title: 关于发放2024年度高龄津贴的通知
issuer: 示范市民政局
date: 2024-01-10
---
一、发放对象。本市户籍80周岁以上老年人。

二、发放标准。80至89周岁老年人每人每月100元；90周岁以上老年人每人每月300元。

三、申领方式。老年人或其家属携带身份证、户口簿到社区服务中心申请。
`

const elderly2026 = (extra = '') => `---
title: 关于调整高龄津贴标准的通知
issuer: 示范市民政局
date: 2026-01-05
effective: 2026-02-01
${extra}---
一、发放标准。80至89周岁老年人每人每月200元；90周岁以上老年人每人每月400元。

二、申领方式。老年人或其家属携带身份证、户口簿到社区服务中心申请。
`

const WINTER = `---
title: 冬季困难家庭取暖补贴发放通知
issuer: 示范市民政局
date: 2026-10-01
effective: 2026-11-01
expires: 2027-03-31
---
一、补贴标准。低保家庭和特困人员每户一次性发放取暖补贴800元，由社区统一登记后发放到户。
`

const ALLOWANCE_Q = '80岁老人高龄津贴每月发多少钱'
const WINTER_Q = '困难家庭取暖补贴发多少钱'

function makeKb(clock: ReturnType<typeof fixedClock>, opened: string[] = []): KbService {
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

async function statusOf(kb: KbService, docId: string) {
  const doc = (await kb.listDocuments()).find((d) => d.docId === docId)
  return doc && { status: doc.status, label: doc.statusLabel, answering: doc.answering }
}

describe('document life cycle', () => {
  useTestDatabase()

  it('answers only while a document is in force, following the clock without a re-import', async () => {
    const clock = fixedClock(day('2026-10-15'))
    const kb = makeKb(clock)
    await kb.importDocument({ id: 'winter-subsidy', text: WINTER })

    const before = await kb.ask(WINTER_Q)
    expect(before.abstained).toBe(true)
    expect(before.retired?.statusLabel).toBe('尚未生效（2026-11-01 起施行）')
    expect(await statusOf(kb, 'winter-subsidy')).toEqual({
      status: 'not_yet_effective',
      label: '尚未生效（2026-11-01 起施行）',
      answering: false,
    })

    clock.set(day('2026-11-01'))
    const during = await kb.ask(WINTER_Q)
    expect(during.abstained).toBe(false)
    expect(during.answer).toContain('800元')
    expect(await statusOf(kb, 'winter-subsidy')).toEqual({
      status: 'in_force',
      label: '现行有效',
      answering: true,
    })

    // The expiry day is the last day it answers.
    clock.set(day('2027-03-31'))
    expect((await kb.ask(WINTER_Q)).abstained).toBe(false)
    clock.set(day('2027-04-01'))
    const after = await kb.ask(WINTER_Q)
    expect(after.abstained).toBe(true)
    expect(after.answer).not.toContain('800元')
    // The asker hears why the rule they remember is not quoted.
    expect(after.retired).toEqual({
      docId: 'winter-subsidy',
      title: '冬季困难家庭取暖补贴发放通知',
      statusLabel: '已失效（2027-03-31 到期）',
    })
    expect(after.answer).toContain(
      '《冬季困难家庭取暖补贴发放通知》已失效（2027-03-31 到期），不能再作为依据。',
    )
    expect(await statusOf(kb, 'winter-subsidy')).toEqual({
      status: 'expired',
      label: '已失效（2027-03-31 到期）',
      answering: false,
    })
  })

  it('hands over to a replacing document on the day it takes effect', async () => {
    const clock = fixedClock(day('2026-01-10'))
    const kb = makeKb(clock)
    await kb.importDocument({ id: 'elderly-2024', text: ELDERLY_2024 })
    await kb.importDocument({ id: 'elderly-2026', text: elderly2026('replaces: elderly-2024\n') })

    const before = await kb.ask(ALLOWANCE_Q)
    expect(before.citations.map((c) => c.docId)).toEqual(['elderly-2024'])
    expect(before.answer).toContain('100元')

    clock.set(day('2026-02-01'))
    const after = await kb.ask(ALLOWANCE_Q)
    expect(after.citations.map((c) => c.docId)).toEqual(['elderly-2026'])
    expect(after.answer).toContain('200元')
    expect(after.answer).not.toContain('100元')
    expect(await statusOf(kb, 'elderly-2024')).toEqual({
      status: 'superseded',
      label: '已被《关于调整高龄津贴标准的通知》取代',
      answering: false,
    })
    // No conflict is recorded: the old notice no longer answers.
    expect(await KbConflictModel.countDocuments()).toBe(0)
  })

  it('links a replacement imported before the document it replaces', async () => {
    const kb = makeKb(fixedClock(day('2026-03-01')))
    await kb.importDocument({ id: 'elderly-2026', text: elderly2026('replaces: elderly-2024\n') })
    await kb.importDocument({ id: 'elderly-2024', text: ELDERLY_2024 })
    expect((await statusOf(kb, 'elderly-2024'))?.status).toBe('superseded')
  })

  it('refuses a document with an impossible date or an expiry before its start, storing nothing', async () => {
    const kb = makeKb(fixedClock(day('2026-01-10')))
    const bad = WINTER.replace('expires: 2027-03-31', 'expires: 2027-02-30')
    await expect(kb.importDocument({ id: 'winter-subsidy', text: bad })).rejects.toThrow(
      /有效期至「2027-02-30」不是有效日期/,
    )
    const backwards = WINTER.replace('expires: 2027-03-31', 'expires: 2026-10-31')
    await expect(kb.importDocument({ id: 'winter-subsidy', text: backwards })).rejects.toThrow(/早于施行日期/)
    expect(await KbDocumentModel.countDocuments()).toBe(0)
  })

  it('marks an old document 待复核: it still answers, with a caveat, until staff review it', async () => {
    const clock = fixedClock(day('2026-05-02'))
    const kb = makeKb(clock)
    await kb.importDocument({ id: 'elderly-2024', text: ELDERLY_2024 }) // review due 2026-01-10
    const doc = (await kb.listDocuments())[0]
    expect(doc).toMatchObject({ status: 'review_due', reviewBy: '2026-01-10', issuedOn: '2024-01-10' })
    expect(doc?.statusLabel).toMatch(/^待复核/)
    const answer = await kb.ask(ALLOWANCE_Q)
    expect(answer.abstained).toBe(false)
    expect(answer.answer).toContain('100元')
    expect(answer.answer.endsWith(REVIEW_DUE_CAVEAT)).toBe(true)

    const reviewed = await kb.changeDocument('elderly-2024', { reviewed: true }, 'staff-1')
    expect(reviewed).toMatchObject({
      status: 'in_force',
      reviewBy: '2028-05-02',
      lifecycleChangedBy: 'staff-1',
    })
    expect((await kb.ask(ALLOWANCE_Q)).answer).not.toContain(REVIEW_DUE_CAVEAT)
  })

  it('lets staff end a document without re-uploading it, and records who did', async () => {
    const clock = fixedClock(day('2026-03-01'))
    const kb = makeKb(clock)
    await kb.importDocument({ id: 'elderly-2026', text: elderly2026() })
    expect((await kb.ask(ALLOWANCE_Q)).abstained).toBe(false)

    const view = await kb.changeDocument(
      'elderly-2026',
      { abolishedOn: '2026-03-01', reason: '上级通知暂停执行' },
      'staff-7',
    )
    expect(view).toMatchObject({ status: 'abolished', answering: false, lifecycleChangedBy: 'staff-7' })
    expect((await kb.ask(ALLOWANCE_Q)).abstained).toBe(true)
    const audit = await AuditModel.find({ action: 'change_kb_document' }).lean()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actorId: 'staff-7',
      subject: 'kb_document:elderly-2026',
      reason: '上级通知暂停执行',
      fields: ['abolishedOn'],
    })

    // Clearing the date brings it back.
    await kb.changeDocument('elderly-2026', { abolishedOn: null }, 'staff-7')
    expect((await kb.ask(ALLOWANCE_Q)).abstained).toBe(false)
  })

  it('refuses bad changes with a reason staff can act on', async () => {
    const kb = makeKb(fixedClock(day('2026-03-01')))
    await kb.importDocument({ id: 'elderly-2024', text: ELDERLY_2024 })
    await kb.importDocument({ id: 'elderly-2026', text: elderly2026() })
    await expect(kb.changeDocument('nope', { expiresOn: '2026-12-31' }, 's')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    await expect(kb.changeDocument('elderly-2026', { expiresOn: '2026-13-01' }, 's')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('不是有效日期'),
    })
    await expect(kb.changeDocument('elderly-2026', { expiresOn: '2026-01-31' }, 's')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('早于施行日期'),
    })
    await expect(
      kb.changeDocument('elderly-2026', { supersededBy: 'elderly-2026' }, 's'),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(kb.changeDocument('elderly-2026', { supersededBy: 'ghost' }, 's')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('不存在'),
    })
    await expect(kb.changeDocument('elderly-2026', {}, 's')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await kb.changeDocument('elderly-2024', { supersededBy: 'elderly-2026' }, 's')
    await expect(
      kb.changeDocument('elderly-2026', { supersededBy: 'elderly-2024' }, 's'),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    expect(await AuditModel.countDocuments()).toBe(1)
  })
})

describe('conflicting documents in force', () => {
  useTestDatabase()

  it('answers from the newer notice and keeps one counted record of the pair for staff', async () => {
    const kb = makeKb(fixedClock(day('2026-03-01')))
    await kb.importDocument({ id: 'elderly-2024', text: ELDERLY_2024 })
    await kb.importDocument({ id: 'elderly-2026', text: elderly2026() })

    const first = await kb.ask(ALLOWANCE_Q)
    expect(first.abstained).toBe(false)
    expect(first.answer).toContain('200元')
    expect(first.answer).not.toContain('100元')
    expect(first.citations.map((c) => c.docId)).not.toContain('elderly-2024')
    await kb.ask('高龄津贴80岁每个月能领多少？')

    const conflicts = await kb.listConflicts()
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0]).toMatchObject({
      newer: { docId: 'elderly-2026', title: '关于调整高龄津贴标准的通知' },
      older: { docId: 'elderly-2024', title: '关于发放2024年度高龄津贴的通知' },
      count: 2,
      lastQuestion: '高龄津贴80岁每个月能领多少？',
    })
    expect(conflicts[0]?.differences.join()).toContain('100')
    expect(await KbConflictModel.countDocuments()).toBe(1)
  })
})
