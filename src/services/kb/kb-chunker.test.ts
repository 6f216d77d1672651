import { describe, expect, it } from 'vitest'
import { chunkDocument, hashText, parseFrontMatter, splitSentences } from './kb-chunker.js'

const opts = { minChars: 20, maxChars: 120 }

describe('parseFrontMatter', () => {
  it('reads title, issuer, date and url and strips the block', () => {
    const { meta, body } = parseFrontMatter(
      '---\ntitle: 供暖投诉处理流程\nissuer: 供热办\ndate: 2025-10-10\nurl: https://x.cn/a\n---\n# 正文\n内容',
    )
    expect(meta).toEqual({
      title: '供暖投诉处理流程',
      issuer: '供热办',
      date: '2025-10-10',
      url: 'https://x.cn/a',
    })
    expect(body).toBe('# 正文\n内容')
  })

  it('treats a document without front matter as all body', () => {
    expect(parseFrontMatter('一、开放时间。周一至周五。')).toEqual({
      meta: {},
      body: '一、开放时间。周一至周五。',
      raw: {},
    })
  })

  it('survives broken YAML in the front matter', () => {
    const { meta, body } = parseFrontMatter('---\ntitle: [unclosed\n---\n正文')
    expect(meta).toEqual({})
    expect(body).toBe('正文')
  })
})

describe('chunkDocument', () => {
  it('cuts 一、二、 articles apart and keeps the short article title as the heading', () => {
    const body =
      '# 办法\n\n一、开放时间。周一至周五8:30—12:00对外办公。\n\n二、可办事项。居民医保参保登记、低保申请受理。'
    const chunks = chunkDocument(body, '办法', opts)
    expect(chunks.map((c) => c.headings)).toEqual([['一、开放时间'], ['二、可办事项']])
    expect(chunks[1]?.text).toContain('低保申请受理')
  })

  it('nests （一） under 一、 and Markdown sections, keeping the heading path', () => {
    const body = [
      '## 一、参保缴费',
      '（一）参保对象。本市户籍或持有居住证的城乡居民均可参加居民医保。',
      '（二）缴费标准。每人每年380元，可在社区便民服务站缴纳。',
      '## 二、门诊待遇',
      '普通门诊报销比例为50%，年度最高支付限额为500元。',
    ].join('\n')
    const chunks = chunkDocument(body, '医保问答', opts)
    expect(chunks.map((c) => c.headings)).toEqual([
      ['一、参保缴费', '（一）参保对象'],
      ['一、参保缴费', '（二）缴费标准'],
      ['二、门诊待遇'],
    ])
  })

  it('cuts 第X条 articles under 第X章 chapters', () => {
    const body = [
      '第一章 总则',
      '第一条 为规范物业服务收费行为，维护业主合法权益，制定本办法。',
      '第二章 收费',
      '第二条 物业服务费按月计收，可以预收，但预收期限不得超过12个月。',
    ].join('\n')
    const chunks = chunkDocument(body, '物业服务收费管理办法', opts)
    expect(chunks.map((c) => c.headings)).toEqual([
      ['第一章 总则', '第一条'],
      ['第二章 收费', '第二条'],
    ])
    expect(chunks[1]?.text).toContain('预收期限不得超过12个月')
  })

  it('keeps a numbered list with the article that introduces it when the items are tiny', () => {
    const body = '第五条 申请人应当提交下列材料：\n1. 户口簿；\n2. 身份证；\n3. 收入说明。'
    const chunks = chunkDocument(body, '低保办法', opts)
    const all = chunks.map((c) => c.text).join('\n')
    expect(all).toContain('1. 户口簿；')
    expect(all).toContain('3. 收入说明。')
    expect(chunks.length).toBeLessThanOrEqual(2)
    for (const c of chunks) expect(c.headings[0]).toBe('第五条')
  })

  it('splits plain paragraphs, and an over-long paragraph only at sentence ends', () => {
    const sentence = '居民连续正确分类投放的，可在社区积分超市兑换生活用品。'
    const long = sentence.repeat(8)
    const chunks = chunkDocument(`第一段很短但也算一段话。\n\n${long}`, '垃圾分类', opts)
    expect(chunks.length).toBeGreaterThan(2)
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(opts.maxChars)
      expect(c.text.endsWith('。')).toBe(true)
    }
  })

  it('merges a tiny section into its sibling instead of leaving a fragment', () => {
    const body = '一、说明。\n二、适用范围。本办法适用于本市城市建成区内的住宅小区和商业街区。'
    const chunks = chunkDocument(body, '办法', opts)
    expect(chunks).toHaveLength(1)
    expect(chunks[0]?.text).toContain('一、说明。')
  })
})

describe('chunkDocument lists', () => {
  it('keeps every item of a materials list in one chunk, even when the last item runs long', () => {
    const body = [
      '三、申请材料',
      '（一）《残疾人两项补贴申请审批表》；',
      '（二）残疾人证原件及复印件；',
      '（三）户口簿、居民身份证原件及复印件；',
      '（四）本人名下银行卡或社保卡复印件；',
      '（五）低保证或低保边缘家庭证明（申请生活补贴时提供）。申请人本人行动不便的，可由监护人、近亲属或社区工作人员代为申请。',
      '四、办理流程',
      '申请人向户籍所在地社区提出申请，社区在5个工作日内完成初审。',
    ].join('\n')
    const chunks = chunkDocument(body, '补贴细则')
    const list = chunks.find((c) => c.text.includes('（一）'))
    expect(list?.text).toContain('（五）低保证')
    expect(list?.headings).toEqual(['三、申请材料'])
    expect(chunks.find((c) => c.text.includes('5个工作日'))?.text).not.toContain('（五）')
  })
})

describe('splitSentences / hashText', () => {
  it('splits at 。！？； and keeps the punctuation', () => {
    expect(splitSentences('先测温；再整改。不达标怎么办？退费！')).toEqual([
      '先测温；',
      '再整改。',
      '不达标怎么办？',
      '退费！',
    ])
  })

  it('hashes the same text the same way regardless of line endings', () => {
    expect(hashText('a\r\nb\n')).toBe(hashText('a\nb'))
    expect(hashText('a\nb')).not.toBe(hashText('a\nc'))
  })
})
