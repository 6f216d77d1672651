import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../lib/logger.js'
import { loadResponsibilityList } from '../responsibility/responsibility.config.js'
import { hazardOf, isMostlyLatin, isSymbolsOnly } from './triage.hazard.js'
import { normalizeText } from './triage.normalize.js'
import { createTriage } from './triage.service.js'

// The shipped configuration and model, as the service runs them (no LLM).
const triage = createTriage({
  list: loadResponsibilityList(path.resolve(import.meta.dirname, '../../../config')),
  logger: silentLogger,
})
const classify = (text: string) => triage.classifyByRules(text)

describe('intent', () => {
  it.each(['今天天气真好啊', '明天会下雨吗？', '附近哪家火锅店最好吃？', '😀😀👍🙏', '谢谢网格员 辛苦了'])(
    '«%s» is chit-chat: no case, no urgency',
    (text) => {
      expect(classify(text)).toMatchObject({ intent: 'chat', isRequest: false, urgency: 'normal' })
      expect(classify(text).hazard).toBeUndefined()
    },
  )

  it.each([
    '高龄津贴怎么申请',
    '八十岁以上的补贴可以领吗',
    '老年优待证多大年龄',
    '办低保需要什么材料',
    '居住证去哪办',
  ])('«%s» is a question for the knowledge base, without 「？」', (text) => {
    expect(classify(text)).toMatchObject({ intent: 'question', isRequest: false, category: 'policy_consult' })
  })

  it('flags an English message and keeps it out of the cases', () => {
    expect(classify('hello can you help')).toMatchObject({ intent: 'chat', isRequest: false, language: 'en' })
    expect(classify('电梯坏了').language).toBeUndefined()
  })

  it('still reads danger in English', () => {
    expect(classify('Fire in building 3, help!')).toMatchObject({
      intent: 'request',
      urgency: 'urgent',
      hazard: 'fire',
      language: 'en',
    })
  })

  it('keeps isRequest equal to intent === request on every answer', () => {
    for (const text of ['电梯坏了', '低保怎么申请', '早上好', '着火了', '', '🙏']) {
      const r = classify(text)
      expect(r.isRequest).toBe(r.intent === 'request')
    }
  })
})

describe('hazard', () => {
  it.each([
    ['着火了！3号楼冒烟了', 'fire'],
    ['5栋煤气味很重', 'gas'],
    ['有人晕倒了', 'medical'],
    ['电梯困人了 9号楼 里面有个老人', 'trapped'],
    ['楼上水管爆了 水哗哗往下流 屋里都淹了', 'flood'],
    ['楼道电线冒火花 噼里啪啦的', 'electric'],
    ['我家孩子被狗咬了 腿上出血了', 'animal_bite'],
    ['我家孩子找不到了 五岁 穿红衣服', 'missing_person'],
  ] as const)('«%s» is urgent: %s', (text, hazard) => {
    expect(classify(text)).toMatchObject({ intent: 'request', isRequest: true, urgency: 'urgent', hazard })
  })

  it.each([
    '没有煤气味',
    '昨天着火的那家',
    '万一着火怎么办',
    '燃气泄漏该打什么电话？',
    '燃气泄漏该打什么电话',
  ])('«%s» is no present danger', (text) => {
    const r = classify(text)
    expect(r.urgency).toBe('normal')
    expect(r.hazard).toBeUndefined()
  })

  it('names the danger of an urgent text; other_danger when no kind fits', () => {
    expect(hazardOf(normalizeText('有人煤气中毒了 人迷糊着'))).toBe('medical')
    expect(hazardOf(normalizeText('外墙瓷砖往下掉'))).toBe('falling_object')
    expect(hazardOf(normalizeText('有人拿着刀在楼下晃'))).toBe('other_danger')
  })
})

describe('text shape', () => {
  it('tells emoji-only and mostly-Latin texts apart', () => {
    expect(isSymbolsOnly('😀😀👍🙏')).toBe(true)
    expect(isSymbolsOnly('？？！')).toBe(true)
    expect(isSymbolsOnly('👍好')).toBe(false)
    expect(isMostlyLatin('hello can you help')).toBe(true)
    expect(isMostlyLatin('电梯ok吗')).toBe(false)
  })
})
