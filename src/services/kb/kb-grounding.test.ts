import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkGrounding, type GroundingPassage, numbersIn } from './kb-grounding.js'
import { createTextAnalyzer, loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const analyzer = createTextAnalyzer(loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml')))

const HEATING: GroundingPassage = {
  title: '供暖投诉处理流程',
  headings: ['二、上门时限'],
  text: '二、上门时限。供热企业接到室温不达标报修后，应在24小时内上门测温；暖气管道漏水等紧急情况，应在2小时内到场处置。',
}
const EBIKE: GroundingPassage = {
  title: '住宅小区电动自行车停放充电安全管理通告',
  headings: [],
  text: '一、严禁在建筑物的公共门厅、疏散走道、楼梯间、安全出口处停放电动自行车或者为电动自行车充电。\n三、违反第一条、第二条规定的，由消防救援机构责令改正，拒不改正的，对个人处警告或者500元以下罚款。',
}
const ALLOWANCE: GroundingPassage = {
  title: '高龄津贴发放办法',
  headings: [],
  text: '年满八十周岁的本市户籍老人，每月发放高龄津贴100元，由户籍所在地社区服务中心受理申请。',
}
const MEDICAL: GroundingPassage = {
  title: '城乡居民基本医疗保险待遇问答',
  headings: ['住院待遇'],
  text: '（一）起付线。一级医院200元、二级医院500元、三级医院800元。\n（二）报销比例。起付线以上政策范围内费用，一级医院报销85%、二级医院75%、三级医院60%。',
}
const REMOTE: GroundingPassage = {
  title: '城乡居民基本医疗保险待遇问答',
  headings: ['异地就医'],
  text: '长期在外地居住的参保人，应先办理异地就医备案，备案后在就医地联网定点医院可直接结算。',
}

const check = (answer: string, passages: GroundingPassage[], question?: string) =>
  checkGrounding(answer, passages, analyzer, question ? { question } : {})

describe('grounding of a generated answer', () => {
  describe('passes answers that say what the cited passages say', () => {
    it.each([
      ['供热企业接到报修后应在24小时内上门测温[1]。', [HEATING], '暖气不热，供热公司多久来测温'],
      ['供热企业应在二十四小时内上门测温。[1]', [HEATING], '暖气不热多久来测温'],
      ['三级医院起付线八百元，报销百分之六十[1]。', [MEDICAL], '三级医院住院能报多少'],
      ['三级医院的起付线是800元，报销比例为60%[1]。', [MEDICAL], '三级医院住院能报多少'],
      [
        '在外地长期居住的参保人要先办理异地就医备案[2]。备案后可以在就医地联网定点医院直接结算[2]。',
        [MEDICAL, REMOTE],
        '在外地看病能直接结算吗',
      ],
      [
        '不可以。严禁在楼梯间、疏散走道停放电动自行车或为其充电[1]。拒不改正的，对个人处警告或者500元以下罚款[1]。',
        [EBIKE],
        '电动车能在楼道充电吗',
      ],
      ['不行，楼道里不能给电动车充电[1]。', [EBIKE], '电动车能在楼道充电吗'],
      [
        '年满80周岁的老人每月可领高龄津贴100元[1]，向社区服务中心申请[1]。',
        [ALLOWANCE],
        '我妈八十岁了能领高龄津贴吗',
      ],
    ])('%s', (answer, passages, question) => {
      expect(check(answer, passages, question)).toEqual({ ok: true })
    })
  })

  it('rejects an amount the passage does not give, naming the sentence and the number', () => {
    const r = check('年满80周岁的老人每月可领高龄津贴300元[1]。', [ALLOWANCE], '高龄津贴一个月多少钱')
    expect(r).toEqual({
      ok: false,
      sentence: '年满80周岁的老人每月可领高龄津贴300元。',
      reason: 'number',
      detail: '300',
    })
    expect(check('三级医院报销90%[1]。', [MEDICAL])).toMatchObject({
      ok: false,
      reason: 'number',
      detail: '90',
    })
    expect(check('供热企业应在12小时内上门测温[1]。', [HEATING])).toMatchObject({ reason: 'number' })
  })

  it('rejects an invented phone number and an invented office', () => {
    const phone = check(
      '每月可领高龄津贴100元[1]。详情可拨打电话0471-6669999咨询[1]。',
      [ALLOWANCE],
      '高龄津贴多少钱',
    )
    expect(phone).toMatchObject({ ok: false, reason: 'number', sentence: '详情可拨打电话0471-6669999咨询。' })
    const office = check('高龄津贴由市民政局受理申请[1]。', [ALLOWANCE], '高龄津贴去哪申请')
    expect(office).toMatchObject({ ok: false, reason: 'name', detail: '民政局' })
    const place = check('高龄津贴到北京市朝阳区社区服务中心申请[1]。', [ALLOWANCE], '高龄津贴去哪申请')
    expect(place).toMatchObject({ ok: false, reason: 'name' })
  })

  it('rejects a "may" where the cited passage forbids, even as a bare 可以 before it', () => {
    expect(check('可以，电动自行车可以在楼道充电[1]。', [EBIKE], '电动车能在楼道充电吗')).toMatchObject({
      ok: false,
      reason: 'polarity',
    })
    expect(check('可以[1]。电动自行车可以在楼道充电[1]。', [EBIKE], '电动车能在楼道充电吗')).toMatchObject({
      ok: false,
      reason: 'polarity',
      sentence: '可以。',
    })
    expect(check('电动车在楼道充电不会被罚款[1]。', [EBIKE], '在楼道充电会罚款吗')).toMatchObject({
      reason: 'polarity',
    })
  })

  it('judges clause by clause when a passage allows one thing and forbids another', () => {
    const lift: GroundingPassage = {
      title: '电动自行车安全管理规定',
      headings: [],
      text: '二、可以携带电动自行车或其蓄电池进入电梯轿厢，严禁在住宅户内为电动自行车充电。',
    }
    const q = '电瓶车能推到家里充电吗'
    expect(check('可以携带电动自行车进入电梯轿厢，但严禁在住宅户内充电[1]。', [lift], q)).toEqual({
      ok: true,
    })
    expect(check('可以携带电动自行车进入电梯轿厢，也可以在住宅户内充电[1]。', [lift], q)).toMatchObject({
      ok: false,
      reason: 'polarity',
      detail: 'says allowed; passage forbids',
    })
  })

  it('rejects "not needed" where the passage requires it', () => {
    expect(check('异地就医不需要备案，可直接结算[1]。', [REMOTE], '在外地看病要备案吗')).toMatchObject({
      ok: false,
      reason: 'polarity',
      detail: 'says not needed; passage requires',
    })
  })

  it('rejects a sentence without a citation, or citing a passage that was not given', () => {
    expect(check('年满80周岁的老人每月可领高龄津贴100元。', [ALLOWANCE])).toMatchObject({
      ok: false,
      reason: 'no-citation',
    })
    expect(check('每月可领高龄津贴100元[1]。由社区服务中心受理[3]。', [ALLOWANCE])).toMatchObject({
      ok: false,
      reason: 'unknown-passage',
      sentence: '由社区服务中心受理。',
      detail: '[3]',
    })
  })

  it('checks a line without end punctuation too', () => {
    expect(check('高龄津贴每月300元\n由社区服务中心受理申请[1]。', [ALLOWANCE])).toMatchObject({
      ok: false,
      sentence: '高龄津贴每月300元',
    })
  })

  it('rejects a sentence whose words the passage does not carry', () => {
    expect(check('老人还可以享受免费体检和护理补贴[1]。', [ALLOWANCE], '高龄津贴')).toMatchObject({
      ok: false,
      reason: 'words',
    })
  })

  it('reads the model’s own list numbering as layout, not as numbers to find', () => {
    const answer = '申请高龄津贴需要：\n1. 年满八十周岁[1]；\n2. 到社区服务中心申请[1]。'
    expect(check(answer, [ALLOWANCE], '高龄津贴怎么申请')).toEqual({ ok: true })
  })

  it('lets a courtesy sentence stand without a citation', () => {
    expect(check('您好！每月可领高龄津贴100元[1]。', [ALLOWANCE], '高龄津贴多少钱')).toEqual({ ok: true })
  })
})

describe('numbers in one form', () => {
  it.each([
    ['八十周岁', '80'],
    ['８０周岁', '80'],
    ['1,000元', '1000'],
    ['3万元', '30000'],
    ['三万元', '30000'],
    ['1.5万元', '15000'],
    ['百分之六十', '60'],
    ['第三条', '3'],
    ['两年', '2'],
    ['二十四小时', '24'],
  ])('%s → %s', (text, value) => {
    expect([...numbersIn(text).keys()]).toEqual([value])
  })

  it('leaves words that merely contain a numeral alone', () => {
    expect([...numbersIn('一律统一办理，一般万一').keys()]).toEqual([])
  })
})
