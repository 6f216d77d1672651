import { describe, expect, it } from 'vitest'
import { chunkDocument } from './kb-chunker.js'
import { articleOf, formatClauseAnswer, pickClauses, questionTypes } from './kb-clause.js'
import type { IndexedChunk, SearchHit } from './kb-index.js'
import { createTextAnalyzer } from './kb-text.js'

const analyzer = createTextAnalyzer({
  dictionary: ['高龄津贴', '电动自行车'],
  synonyms: [['电动车', '电动自行车']],
})

/** A document cut as the knowledge base cuts it; every chunk a hit, the first (the preamble) the best. */
function doc(docId: string, title: string, body: string) {
  const chunks: IndexedChunk[] = chunkDocument(body, title).map((c, i) => ({
    chunkId: `${docId}#${i}`,
    docId,
    title,
    headings: c.headings,
    text: c.text,
  }))
  const hits: SearchHit[] = chunks.map((chunk, i) => ({ chunk, bm25: 1, coverage: 0.8, score: 1 - i * 0.01 }))
  return { chunks, hits }
}

function answer(question: string, d: ReturnType<typeof doc>): string {
  return formatClauseAnswer(pickClauses(question, d.hits, () => d.chunks, analyzer).slice(0, 1))
}

const EBIKE = doc(
  'ebike',
  '关于加强住宅小区电动自行车停放充电安全管理的通告',
  [
    '为预防和减少电动自行车火灾事故，现就有关事项通告如下：',
    '',
    '一、严禁在建筑物的公共门厅、疏散走道、楼梯间、安全出口处停放电动自行车或者为电动自行车充电。',
    '',
    '二、物业服务企业应当在小区内规划建设集中充电设施，充电收费按物价部门核定标准执行。',
    '',
    '三、鼓励居民发现楼道停放、充电电动自行车等隐患时，通过社区小助手或网格员反映。',
  ].join('\n'),
)

const ALLOWANCE = doc(
  'allowance',
  '关于做好高龄津贴发放工作的通知',
  [
    '各街道办事处、社区居民委员会：',
    '',
    '为做好2026年高龄津贴发放工作，现将有关事项通知如下。',
    '',
    '一、发放对象',
    '',
    '具有本区户籍、年满80周岁及以上的老年人。',
    '',
    '二、发放标准',
    '',
    '（一）80至89周岁的老年人，每人每月150元；',
    '（二）90至99周岁的老年人，每人每月300元；',
    '（三）100周岁及以上的老年人，每人每月800元。',
    '',
    '三、申请方式',
    '',
    '老年人或其家属可以通过下列方式申请：',
    '1. 到户籍所在地社区便民服务大厅1号窗口申请；',
    '2. 在“康和社区”小程序上提交申请；',
    '3. 行动不便的，由网格员上门受理。',
    '',
    '四、申请材料',
    '',
    '（一）老年人本人身份证原件及复印件；',
    '（二）户口簿原件及复印件；',
    '（三）本人社会保障卡复印件。',
    '',
    '五、其他',
    '',
    '享受高龄津贴的老年人去世的，家属应当在30日内告知社区，自次月起停发。',
  ].join('\n'),
)

describe('the clause that answers', () => {
  it('answers a may-I question with the prohibition and says so first, citing the article', () => {
    const text = answer('电动车可以在楼道里充电吗', EBIKE)
    expect(text.startsWith('不可以。严禁在建筑物的公共门厅')).toBe(true)
    expect(text).toContain('（依据《关于加强住宅小区电动自行车停放充电安全管理的通告》第一条）')
    expect(text).not.toContain('鼓励')
  })

  it('answers an age question with the age, not the preamble, with or without 「？」', () => {
    for (const q of ['高龄津贴多大年龄可以领？', '高龄津贴多大年龄可以领']) {
      const text = answer(q, ALLOWANCE)
      expect(text).toContain('年满80周岁')
      expect(text).not.toContain('通知如下')
      expect(text).toContain('第一条')
    }
  })

  it('answers an amount question with the amount for the age asked about', () => {
    expect(answer('我妈92岁了高龄津贴每个月给多少钱', ALLOWANCE)).toContain('每人每月300元')
  })

  it('gives the steps as a whole list with its lead-in, never ending on 「：」', () => {
    const text = answer('高龄津贴怎么申请', ALLOWANCE)
    expect(text).toContain('可以通过下列方式申请：')
    expect(text).toContain('1号窗口')
    expect(text).toContain('小程序')
    expect(text).toContain('上门受理')
    expect(text).not.toMatch(/[：:]（依据/)
    expect(text).toContain('第三条')
  })

  it('gives the materials list whole, and only that list', () => {
    const text = answer('办高龄津贴要带啥材料', ALLOWANCE)
    expect(text).toContain('身份证原件及复印件')
    expect(text).toContain('社会保障卡复印件')
    expect(text).not.toContain('每人每月')
    expect(text).toContain('第四条')
  })

  it('answers a "what happens when" question from the article that says it', () => {
    expect(answer('老人去世了高龄津贴怎么处理', ALLOWANCE)).toContain('30日内告知社区')
  })

  it('keeps a lead-in that stands after an article marker (「第四条 装修中严禁下列行为：」)', () => {
    const d = doc(
      'reno',
      '康和社区住宅装修管理规定',
      [
        '第三条 装修施工时间为工作日8:00至12:00、14:00至18:00。',
        '第四条 装修中严禁下列行为：',
        '（一）拆改承重墙、梁、柱，在承重墙上开洞；',
        '（二）拆改燃气管道和设施；',
        '（三）在楼道堆放装修垃圾。',
      ].join('\n'),
    )
    const text = answer('装修能不能把承重墙打掉', d)
    expect(text.startsWith('不可以。')).toBe(true)
    expect(text).toContain('装修中严禁下列行为：')
    expect(text).toContain('拆改承重墙')
    expect(text).toContain('第四条')
  })

  it('says no yes or no from a list whose items forbid other things', () => {
    const d = doc(
      'dogs',
      '康和社区文明养犬公约',
      [
        '第三条 携犬出户应当遵守下列规定：',
        '（一）束犬链，犬链长度不得超过1.5米；',
        '（二）由成年人牵领，主动避让老人和儿童；',
        '（三）乘坐电梯的，应当避开高峰，并为犬只戴嘴套或者装入犬笼。',
      ].join('\n'),
    )
    const text = answer('遛狗能坐电梯吗', d)
    expect(text).toContain('戴嘴套')
    expect(text.startsWith('不可以')).toBe(false)
    expect(text.startsWith('可以')).toBe(false)
  })

  it('answers both parts of a two-part question, and only the parts the document speaks to', () => {
    const both = answer('高龄津贴一个月给多少钱，要带什么材料', ALLOWANCE)
    expect(both).toContain('每人每月')
    expect(both).toContain('户口簿')
    const fee = doc(
      'fee',
      '物业服务收费公示',
      [
        '一、物业服务费按年缴纳，每年3月31日前缴清当年费用。',
        '二、物业服务企业不得收取以下费用：装修管理费、停车管理费。',
      ].join('\n'),
    )
    const text = answer('物业费能不能晚点交，最晚什么时候', fee)
    expect(text).toContain('3月31日前')
    expect(text).not.toContain('装修管理费')
  })

  it('does not join the items of two lists in different articles', () => {
    const d = doc(
      'school',
      '入学工作方案',
      [
        '三、报名时间',
        '（一）网上报名：6月1日至6月10日。',
        '（二）现场审核：6月15日至6月20日。',
        '四、报名材料',
        '（一）本市户籍儿童：户口簿、房屋产权证明、出生医学证明。',
        '（二）随迁子女：父母一方的有效居住证、租房合同、户口簿。',
      ].join('\n'),
    )
    const text = answer('孩子上学报名要准备哪些材料', d)
    expect(text).toContain('出生医学证明')
    expect(text).not.toContain('网上报名')
  })
})

describe('question types', () => {
  it('reads what is asked without 「？」', () => {
    expect(questionTypes('高龄津贴多大年龄可以领')).toContain('age')
    expect(questionTypes('低保需要什么材料')).toContain('materials')
    expect(questionTypes('居住证办下来要多久')).toContain('time')
    expect(questionTypes('养犬登记去哪里办')).toContain('place')
    expect(questionTypes('电动车可以在楼道里充电吗')).toContain('may')
    expect(questionTypes('居住证怎么申请')).toContain('how')
    expect(questionTypes('低保一个月多少钱')).toContain('amount')
  })

  it('does not take a wh-question for a yes/no one', () => {
    expect(questionTypes('志愿者积分能换什么')).not.toContain('may')
  })
})

describe('article labels', () => {
  it('names the article as a resident reads it', () => {
    expect(articleOf(['一、发放对象'])).toBe('第一条')
    expect(articleOf(['第五条 申请材料'])).toBe('第五条')
    expect(articleOf(['三、认证方式', '（二）'])).toBe('第三条第（二）项')
    expect(articleOf(['申领条件'])).toBe('“申领条件”部分')
    expect(articleOf([])).toBeUndefined()
  })
})
