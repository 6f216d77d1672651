import { describe, expect, it } from 'vitest'
import { abbreviationIn, fuzzyCoverage, passageEvidence, queryUnits, wordCoverage } from './kb-evidence.js'
import { headingAnswersIntent, questionIntents } from './kb-intent.js'
import { createTextAnalyzer, normalizeText } from './kb-text.js'

const analyzer = createTextAnalyzer({ dictionary: [], synonyms: [['医保', '医疗保险']] })
const units = (q: string) => queryUnits(q, analyzer.topicWords(q))
const evidence = (q: string, passage: string) => passageEvidence(units(q), normalizeText(passage), analyzer)

describe('evidence that a passage answers the question', () => {
  it('merges a modifier and its noun into one phrase', () => {
    expect(units('临时身份证在哪里办').map((u) => u.text)).toContain('临时身份证')
    // A verb and its object stay apart.
    expect(units('跑外卖的能自己交社保吗').map((u) => u.text)).not.toContain('交社保')
  })

  it('does not accept a phrase whose words only occur far apart', () => {
    const passage = '临时救助申请人应提交临时救助申请书和居民身份证、户口簿以及家庭收入情况说明。'
    const near = '临时身份证由户籍所在地派出所当场办理，不收取费用。'
    expect(evidence('临时身份证在哪里办', passage)).toBeLessThan(0.4)
    expect(evidence('临时身份证在哪里办', near)).toBeGreaterThan(0.6)
  })

  it('matches abbreviations and colloquial variants without a synonym list', () => {
    expect(abbreviationIn('公租房', '申请公共租赁住房的家庭')).toBe(true)
    expect(abbreviationIn('公租房', '公示期满后租给符合条件的家庭住房')).toBe(false)
    expect(wordCoverage('公租房', '公共租赁住房租金标准', analyzer)).toBeGreaterThan(0.5)
    expect(fuzzyCoverage('流浪汉', '流浪乞讨人员可拨打12349')).toBeGreaterThan(0.4)
    expect(fuzzyCoverage('当过兵', '退役军人优待证')).toBe(0)
  })

  it('doubts a passage that lacks the main subject of the question', () => {
    const passage = '新生儿出生后一个月内，由监护人到户口登记机关申报出生登记，可在网上办理。'
    expect(evidence('结婚登记要带什么', passage)).toBeLessThan(0.4)
  })

  it('keeps full credit when the passage has every topic word', () => {
    const passage = '加装电梯应当经本单元三分之二以上的业主同意。'
    expect(evidence('加装电梯要多少业主同意', passage)).toBeGreaterThan(0.9)
  })
})

describe('question intents', () => {
  it('recognises what the question asks for', () => {
    expect(questionIntents('给宝宝上户口要带什么')).toContain('materials')
    expect(questionIntents('公租房排队要等多久')).toContain('time')
    expect(questionIntents('临时救助最多能给多少钱')).toContain('amount')
    expect(questionIntents('退役军人优待证在哪里办')).toContain('place')
    expect(questionIntents('你好')).toEqual(['other'])
  })

  it('knows a materials heading answers a materials question', () => {
    expect(headingAnswersIntent(['materials'], ['三、申请材料'])).toBe(true)
    expect(headingAnswersIntent(['materials'], ['五、退出管理'])).toBe(false)
  })
})
