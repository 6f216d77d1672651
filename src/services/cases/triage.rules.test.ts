import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadResponsibilityList } from '../responsibility/responsibility.config.js'
import { extractLocation } from './triage.location.js'
import { chineseToNumber, normalizeText } from './triage.normalize.js'
import { compileTriageRules } from './triage.rules.js'

const rules = compileTriageRules(loadResponsibilityList(path.resolve(import.meta.dirname, '../../../config')))
const classify = (t: string) => rules.classify(t)
const where = (t: string) => extractLocation(normalizeText(t))

describe('normalizeText', () => {
  it('turns full-width characters into half-width', () => {
    expect(normalizeText('３号楼２单元３０１')).toBe('3号楼2单元301')
  })
  it('drops @mentions, emoji and punctuation', () => {
    expect(normalizeText('@邻里小助手 电梯坏了！！😡😡')).toBe('电梯坏了')
    expect(normalizeText('@小助手\u2005楼道灯不亮。。。')).toBe('楼道灯不亮')
  })
  it('keeps meaningful emoji as words', () => {
    expect(normalizeText('家里🥶')).toContain('冷')
  })
  it('maps traditional characters', () => {
    expect(normalizeText('十號樓電梯壞了')).toBe('10号楼电梯坏了')
  })
  it('converts numerals only before location and measure words', () => {
    expect(normalizeText('二十三号楼十一单元')).toBe('23号楼11单元')
    expect(normalizeText('修一下 一直漏')).toBe('修一下 一直漏')
    expect(normalizeText('暖气只有十五度')).toBe('暖气只有15度')
  })
})

describe('chineseToNumber', () => {
  it.each([
    ['十', 10],
    ['十一', 11],
    ['二十', 20],
    ['二十三', 23],
    ['一百零一', 101],
    ['三零一', 301],
    ['三〇一', 301],
    ['两', 2],
    ['三幺二', 312],
  ])('%s → %d', (cn, n) => expect(chineseToNumber(cn)).toBe(n))
  it('refuses other text', () => expect(chineseToNumber('楼')).toBeUndefined())
})

describe('extractLocation', () => {
  it.each([
    ['10号楼1单元电梯坏了', { building: '10', unit: '1' }],
    ['十号楼一单元', { building: '10', unit: '1' }],
    ['3-2-301 漏水', { building: '3', unit: '2', room: '301' }],
    ['3栋2单元301', { building: '3', unit: '2', room: '301' }],
    ['三号楼二单元三零一室', { building: '3', unit: '2', room: '301' }],
    ['2号楼502燃气味', { building: '2', room: '502' }],
    ['7#2单元', { building: '7', unit: '2' }],
    ['5幢1203室', { building: '5', room: '1203' }],
    ['A座1203', { building: 'A', room: '1203' }],
    ['5楼301暖气不热', { building: '5', room: '301' }],
    ['12号3单元', { building: '12', unit: '3' }],
    ['我家是1502的', { room: '1502' }],
    ['10-301', { building: '10', room: '301' }],
    ['03号楼', { building: '3' }],
  ])('%s', (text, expected) => expect(where(text)).toEqual(expected))

  it('does not read floors, temperatures, years or money as an address', () => {
    expect(where('我住五楼')).toEqual({})
    expect(where('暖气只有15度')).toEqual({})
    expect(where('2026年的低保标准')).toEqual({})
    expect(where('物业费涨了300元')).toEqual({})
  })
})

describe('category', () => {
  it.each([
    ['电梯坏了好几天了', 'facility_repair'],
    ['楼道的声控灯不亮，晚上黑黢黢的', 'facility_repair'],
    ['单元门锁坏了关不上', 'facility_repair'],
    ['下水道堵了 往上返水', 'facility_repair'],
    ['垃圾好几天没人拉了，臭死了', 'sanitation'],
    ['路上全是积雪没人扫', 'sanitation'],
    ['有个车天天占消防通道', 'parking_traffic'],
    ['僵尸车停了一年了', 'parking_traffic'],
    ['楼上装修电钻吵得不行', 'noise'],
    ['广场舞音响太大声了', 'noise'],
    ['楼道里有人飞线给电动车充电', 'safety_hazard'],
    ['灭火器都过期了', 'safety_hazard'],
    ['暖气不热，屋里才16度', 'heating_utilities'],
    ['怎么又停电了', 'heating_utilities'],
    ['家里贼冷，暖气片都是凉的', 'heating_utilities'],
    ['物业费乱收费还不公示', 'property_service'],
    ['楼上漏水到我家了，找他也不管', 'neighbor_dispute'],
    ['对门占着楼道放鞋柜', 'neighbor_dispute'],
    ['想申请低保，家里实在困难', 'social_assistance'],
    ['楼前大树被风刮倒了', 'greening_pets'],
    ['流浪狗太多了', 'greening_pets'],
    ['有人在楼下私搭乱建盖了个棚子', 'illegal_occupation'],
    ['小区门口摆摊占道经营', 'illegal_occupation'],
    ['居住证怎么办理，要什么材料', 'policy_consult'],
    ['医保一年交多少钱', 'policy_consult'],
    ['建议小区多装几个长椅', 'other'],
  ])('%s → %s', (text, category) => {
    const r = classify(text)
    expect(r.category).toBe(category)
    // A policy question goes to the knowledge base: it is not a request and opens no case.
    const intent = category === 'policy_consult' ? 'question' : 'request'
    expect(r).toMatchObject({ intent, isRequest: intent === 'request', source: 'rules' })
  })

  it('handles typos and dialect', () => {
    expect(classify('楼到灯不亮').category).toBe('facility_repair')
    expect(classify('燥音太大了').category).toBe('noise')
    expect(classify('暖器一点不热乎 冻死了 咋整').category).toBe('heating_utilities')
    expect(classify('楼道太埋汰了').category).toBe('sanitation')
  })

  it('does not count a negated keyword', () => {
    const r = classify('不是漏水，是停水了')
    expect(r.category).toBe('heating_utilities')
    expect(r.reasons?.some((x) => x.startsWith('否定:漏水'))).toBe(true)
  })

  it('takes a complaint about absence as a complaint ("没有暖气" is not a negation)', () => {
    expect(classify('家里没有暖气 冻得不行').category).toBe('heating_utilities')
  })

  it('gives a confidence between 0 and 1, higher for clear messages', () => {
    const clear = classify('电梯坏了 困在里面出不来 电梯门打不开')
    const vague = classify('麻烦来看看')
    expect(clear.confidence).toBeGreaterThan(vague.confidence)
    expect(clear.confidence).toBeLessThanOrEqual(1)
    expect(vague.confidence).toBeGreaterThanOrEqual(0)
  })
})

describe('urgency', () => {
  it.each([
    '厨房里一股煤气味',
    '闻到很重的燃气味',
    '楼下着火了',
    '楼道里在冒烟',
    '我被困电梯里了',
    '老人在家摔倒了起不来',
    '我家老人走失了，找不到了',
    '楼上往下扔东西差点砸到人',
    '有孩子触电了',
    '配电箱漏电了',
    '救护车进不来，路被车堵死了',
  ])('%s → urgent', (text) => {
    const r = classify(text)
    expect(r.urgency).toBe('urgent')
    expect(r.isRequest).toBe(true)
  })

  it.each([
    '暖气不热',
    '楼道灯坏了',
    '楼道里停了电动车在充电',
    '车棚里电线裸露，会不会漏电啊',
    '万一着火了怎么办，消防通道全堵了',
    '邻居大妈昨天摔了一跤，现在家里没人照顾',
  ])('%s → normal', (text) => expect(classify(text).urgency).toBe('normal'))

  it('an ongoing danger that started earlier stays urgent', () => {
    expect(classify('从昨天开始楼道里一直有煤气味').urgency).toBe('urgent')
  })

  it('urgent messages point at the right category', () => {
    expect(classify('燃气味很大').category).toBe('safety_hazard')
    expect(classify('独居老人好几天没开门了').category).toBe('social_assistance')
    expect(classify('困电梯里了 快来').category).toBe('facility_repair')
  })
})

describe('co-occurrence rules', () => {
  it('a neighbour plus a leak is a dispute, a leak alone is a repair', () => {
    expect(classify('楼上往下渗水，说了也不管').category).toBe('neighbor_dispute')
    expect(classify('厨房水管漏水了').category).toBe('facility_repair')
  })
  it('who makes the noise does not turn noise into a dispute', () => {
    expect(classify('楼上邻居半夜拖椅子 吵得睡不着').category).toBe('noise')
    expect(classify('隔壁的狗天天半夜叫').category).toBe('noise')
  })
  it('a question about a benefit is a policy question, a plea for help is assistance', () => {
    expect(classify('低保标准今年是多少').category).toBe('policy_consult')
    expect(classify('家里实在困难，想申请临时救助').category).toBe('social_assistance')
  })
  it('an elderly person not back and unreachable is urgent', () => {
    const r = classify('我爸出去遛弯到现在没回来，电话也关机了')
    expect(r).toMatchObject({ category: 'social_assistance', urgency: 'urgent' })
  })
  it('a cry for help with danger is urgent even without a specific cue', () => {
    expect(classify('快来人 这边太危险了').urgency).toBe('urgent')
    expect(classify('快来人看看 垃圾桶满了').urgency).toBe('normal')
  })
  it('a private parking lock is occupation, not parking', () => {
    expect(classify('有人在公共车位上装了地锁').category).toBe('illegal_occupation')
  })
})

describe('isRequest', () => {
  it.each([
    '大家早上好',
    '谢谢网格员',
    '今天天气真好',
    '哈哈哈 收到',
    '新年快乐🎉',
    '特价水果团购，加微信下单',
    '帮忙砍一刀',
    '',
    '👍👍',
  ])('"%s" is not a request', (text) => {
    const r = classify(text)
    expect(r.isRequest).toBe(false)
    expect(r.category).toBe('other')
    expect(r.urgency).toBe('normal')
  })

  it('a greeting with a real problem is a request', () => {
    const r = classify('大家好，3号楼电梯坏了有人知道吗')
    expect(r.isRequest).toBe(true)
    expect(r.category).toBe('facility_repair')
  })

  it('an ad never hides an emergency', () => {
    expect(classify('团购群里说 楼下着火了').urgency).toBe('urgent')
  })
})

describe('robustness', () => {
  it('never throws and always returns a valid result, whatever the text', async () => {
    const fc = await import('fast-check')
    const categories = new Set(
      Object.keys(loadResponsibilityList(path.resolve(import.meta.dirname, '../../../config')).categories),
    )
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const r = classify(text)
        return (
          categories.has(r.category) &&
          (r.urgency === 'urgent' || r.urgency === 'normal') &&
          r.confidence >= 0 &&
          r.confidence <= 1 &&
          Object.values(r.location).every((v) => typeof v === 'string' && /^[0-9A-Z]+$/.test(v))
        )
      }),
      { numRuns: 500 },
    )
  })

  it('finds the problem at the end of a very long rambling message', () => {
    const long = `${'我跟你说啊，这个事情是这样的，'.repeat(300)}三号楼二单元的电梯又坏了`
    const r = classify(long)
    expect(r).toMatchObject({ category: 'facility_repair', location: { building: '3', unit: '2' } })
  })
})
