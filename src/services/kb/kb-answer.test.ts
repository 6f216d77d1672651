import { describe, expect, it } from 'vitest'
import { composeExtractive, extractSentences } from './kb-answer.js'
import type { SearchHit } from './kb-index.js'
import { createTextAnalyzer } from './kb-text.js'

const analyzer = createTextAnalyzer({ dictionary: [], synonyms: [] })

function hit(title: string, text: string, headings: string[] = []): SearchHit {
  return {
    chunk: { chunkId: 'c1', docId: 'd1', title, headings, text },
    bm25: 1,
    coverage: 1,
    score: 1,
  }
}

describe('extractive answers', () => {
  it('gives the whole materials list to a "what to bring" question, naming the document', () => {
    const text = [
      '（一）《出生医学证明》原件；',
      '（二）父母双方的居民身份证、户口簿；',
      '（三）父母的结婚证（非婚生育的提供相关说明）。',
    ].join('\n')
    const answer = composeExtractive(
      '给孩子上户口要带什么',
      [hit('新生儿入户办事指南', text, ['三、所需材料'])],
      analyzer,
    )
    expect(answer.startsWith('根据《新生儿入户办事指南》：')).toBe(true)
    expect(answer).toContain('《出生医学证明》原件')
    expect(answer).toContain('结婚证')
  })

  it('prefers the sentence with the deadline for a "how long" question', () => {
    const text =
      '申请人向户籍所在地社区提交申请。公示无异议的进入轮候库，按轮候顺序配租。公租房轮候期一般不超过2年。租金按月缴纳。'
    expect(extractSentences('公租房轮候要等多久', text, analyzer)).toContain('不超过2年')
  })

  it('prefers the sentence with the amount for a "how much" question', () => {
    const text = '临时救助由街道审核。临时救助金额一般不超过本市月低保标准的6倍。同一原因一年内只能申请一次。'
    expect(extractSentences('临时救助最多给多少钱', text, analyzer)).toContain('6倍')
  })

  it('leaves out a question-style heading inside the passage', () => {
    const text = '光荣证丢了怎么办？《独生子女父母光荣证》遗失的，可向原发证的街道申请补办。'
    const out = extractSentences('独生子女光荣证丢了能补吗', text, analyzer)
    expect(out).toContain('申请补办')
    expect(out).not.toContain('怎么办？')
  })
})
