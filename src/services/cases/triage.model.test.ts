import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../lib/logger.js'
import { loadResponsibilityList } from '../responsibility/responsibility.config.js'
import {
  DEFAULT_TRAINING_FILE,
  defaultTrainingFiles,
  intentOf,
  loadTriageModel,
  ngrams,
  parseTrainingSet,
  type TrainingExample,
  trainTriageModel,
} from './triage.model.js'
import { normalizeText } from './triage.normalize.js'
import { compileTriageRules } from './triage.rules.js'
import { createTriage } from './triage.service.js'

const list = loadResponsibilityList(path.resolve(import.meta.dirname, '../../../config'))
const model = loadTriageModel()
const rules = compileTriageRules(list, model)
const keywordsOnly = compileTriageRules(list)

const ex = (text: string, category: TrainingExample['category'], isRequest = true): TrainingExample => ({
  text,
  category,
  isRequest,
  urgent: false,
})

describe('ngrams', () => {
  it('takes character 1–3-grams inside words, never across spaces, digits as #', () => {
    const g = ngrams('暖气 301')
    expect([...g]).toEqual(expect.arrayContaining(['暖', '气', '暖气']))
    expect(g.has('气 ')).toBe(false)
    expect([...g].some((x) => /\d/.test(x))).toBe(false)
  })
})

describe('trainTriageModel', () => {
  const tiny = trainTriageModel([
    ex('暖气不热 屋里冷', 'heating_utilities'),
    ex('家里冷得很 暖气片凉', 'heating_utilities'),
    ex('楼上装修太吵', 'noise'),
    ex('半夜有人唱歌 吵死了', 'noise'),
    ex('大家早上好', 'other', false),
    ex('谢谢大家', 'other', false),
  ])

  it('reads a message it was not trained on by its pieces', () => {
    expect(tiny.predict('屋里好冷啊').best).toBe('heating_utilities')
    expect(tiny.predict('楼下吵得不行').best).toBe('noise')
    expect(tiny.predict('早上好呀').best).toBe('none')
  })

  it('is deterministic and its probabilities sum to one', () => {
    const a = tiny.predict('暖气冷')
    const b = tiny.predict('暖气冷')
    expect([...a.probs]).toEqual([...b.probs])
    const sum = [...a.probs.values()].reduce((x, y) => x + y, 0)
    expect(sum).toBeCloseTo(1, 6)
  })
})

describe('parseTrainingSet', () => {
  it('names the bad line', () => {
    expect(() =>
      parseTrainingSet('{"text":"a","category":"noise"}\n{"text":"b","category":"weather"}', 't.jsonl'),
    ).toThrow(/t\.jsonl:2/)
  })
  it('reads isRequest false as the "none" class and urgency', () => {
    const [a] = parseTrainingSet('{"text":"谢谢","category":"other","urgency":"normal","isRequest":false}')
    expect(a).toEqual({ text: '谢谢', category: 'other', isRequest: false, urgent: false })
  })
  it('reads an intent, or derives it from older lines: chit-chat, policy question, request', () => {
    const rows = parseTrainingSet(
      [
        '{"text":"燃气泄漏该打什么电话","category":"policy_consult","isRequest":false,"intent":"question"}',
        '{"text":"谢谢","category":"other","isRequest":false}',
        '{"text":"低保怎么申请","category":"policy_consult"}',
        '{"text":"电梯坏了","category":"facility_repair"}',
      ].join('\n'),
    )
    expect(rows.map(intentOf)).toEqual(['question', 'chat', 'question', 'request'])
    expect(() => parseTrainingSet('{"text":"a","category":"other","intent":"spam"}', 't.jsonl')).toThrow(
      /t\.jsonl:1: "intent"/,
    )
  })
})

describe('loadTriageModel', () => {
  it('trains the shipped model from every config/triage-train*.jsonl once, deterministically', () => {
    const files = defaultTrainingFiles()
    expect(files).toContain(DEFAULT_TRAINING_FILE)
    expect(files.length).toBeGreaterThan(1)
    expect(model).not.toBeNull()
    expect(model?.size).toBeGreaterThan(1500)
    expect(loadTriageModel()).toBe(model)
    const retrained = trainTriageModel(files.flatMap((f) => parseTrainingSet(readFileSync(f, 'utf8'))))
    expect(retrained.size).toBe(model?.size)
    const text = '3号楼2单元楼道里一股煤气味'
    expect(retrained.predict(text).urgentProb).toBe(model?.predict(text).urgentProb)
  })
  it('is null when the training file is missing (keywords alone then)', () => {
    expect(loadTriageModel('/nonexistent/triage-train.jsonl')).toBeNull()
  })
})

describe('normalisation of typos, homophones and emoji', () => {
  it.each([
    ['电悌坏了', '电梯坏了'],
    ['暖器不热', '暖气不热'],
    ['楼到灯不亮', '楼道灯不亮'],
    ['燥音太大', '噪音太大'],
    ['然气味', '燃气味'],
    ['⚡没了', '电 没了'],
  ])('%s → %s', (raw, want) => {
    expect(normalizeText(raw)).toBe(want)
  })
  it('keeps 天然气 as it is', () => {
    expect(normalizeText('天然气')).toBe('天然气')
  })
  it('makes dog breeds dogs', () => {
    expect(normalizeText('金毛不拴绳')).toContain('狗')
  })
})

describe('rules with the model: messages with no exact keyword', () => {
  it.each([
    ['屋里冷飕飕的 穿着大棉袄还哆嗦', 'heating_utilities'],
    ['楼顶那片瓦掉了好几块 一下雨就往下灌', 'facility_repair'],
    ['有人在咱楼后头搭了个铁皮房子', 'illegal_occupation'],
    ['那家人天天夜里唱K 闹到两三点', 'noise'],
  ])('%s → %s', (text, category) => {
    expect(rules.classify(text).category).toBe(category)
  })

  it('does not let the model overturn a clear urgent keyword', () => {
    const r = rules.classify('楼道里一股煤气味 6号楼')
    expect(r).toMatchObject({ category: 'safety_hazard', urgency: 'urgent' })
  })

  it('treats a long voice message that opens with a greeting as a request', () => {
    const r = rules.classify('你好我是五号楼的我想反映一下我们那个楼道里的灯好几天都不亮了晚上上楼老看不见')
    expect(r).toMatchObject({ isRequest: true, category: 'facility_repair' })
  })

  it('does not read "不好的" as the chit-chat "好的"', () => {
    const r = rules.classify('楼里那个腿脚不好的大娘 一个人在家 暖气停了也不会弄 谁能帮一把')
    expect(r.isRequest).toBe(true)
  })

  it('still leaves greetings, thanks and ads alone', () => {
    for (const t of ['早上好各位😊', '谢谢网格员 辛苦了', '自家蒸的黏豆包 十块钱一袋 需要的联系'])
      expect(rules.classify(t).isRequest).toBe(false)
  })
})

describe('urgency concept patterns', () => {
  it.each([
    '厨房里燃气管子嘶嘶的 有味',
    '单元里一股汽油味 越来越冲',
    '对面楼有个孩子爬到窗台上了',
    '隔壁独居的大爷三天没见着人了',
    '我姥爷下午出门 天黑了还没到家',
    '暖气阀门往外喷热水 地上全是水',
    '我在电梯里 卡住了 快来人',
    '停电了 我家老人用着制氧机',
  ])('%s is urgent', (text) => {
    expect(rules.classify(text).urgency).toBe('urgent')
  })

  it.each(['楼上装修 电钻响一天 头都炸了', '万一着火了楼道这些纸箱子咋办', '燃气灶火苗小 做饭半天熟不了'])(
    '%s is not urgent',
    (text) => {
      expect(rules.classify(text).urgency).toBe('normal')
    },
  )
})

describe('createTriage and the model', () => {
  it('uses the shipped model by default and keywords alone with model: null', () => {
    const text = '楼顶那片瓦掉了好几块 一下雨就往下灌'
    const withModel = createTriage({ list, logger: silentLogger })
    const without = createTriage({ list, logger: silentLogger, model: null })
    expect(withModel.classifyByRules(text).category).toBe('facility_repair')
    expect(without.classifyByRules(text).category).toBe(keywordsOnly.classify(text).category)
  })
})
