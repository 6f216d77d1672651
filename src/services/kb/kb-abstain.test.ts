import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type AbstainFeatures,
  abstainFeatures,
  answerProbability,
  FEATURE_NAMES,
  loadAbstainModel,
} from './kb-abstain.js'
import { chunkDocument } from './kb-chunker.js'
import { buildKbIndex, type IndexedChunk } from './kb-index.js'
import { createTextAnalyzer } from './kb-text.js'

const shipped = loadAbstainModel(path.resolve(import.meta.dirname, '../../../config/kb-abstain-model.json'))
const analyzer = createTextAnalyzer({ dictionary: ['高龄津贴'], synonyms: [] })

const ALLOWANCE = [
  '一、发放对象',
  '具有本区户籍、年满80周岁及以上的老年人。',
  '二、发放标准',
  '（一）80至89周岁的老年人，每人每月150元；',
  '（二）90至99周岁的老年人，每人每月300元。',
  '三、申请材料',
  '（一）老年人本人身份证原件及复印件；',
  '（二）户口簿原件及复印件。',
].join('\n')

function indexOf(docs: Array<[string, string, string]>) {
  const chunks: IndexedChunk[] = docs.flatMap(([docId, title, body]) =>
    chunkDocument(body, title).map((c, i) => ({
      chunkId: `${docId}#${i}`,
      docId,
      title,
      headings: c.headings,
      text: c.text,
    })),
  )
  return buildKbIndex(analyzer, chunks)
}

describe('answer or abstain', () => {
  const index = indexOf([
    ['allowance', '关于调整高龄津贴发放标准的通知', ALLOWANCE],
    [
      'dogs',
      '城市养犬管理规定',
      '第一条 个人饲养犬只，实行登记和免疫制度。\n第二条 携犬出户时，应当束犬链并由成年人牵领。\n第三条 未办理登记的，处200元以上500元以下罚款。',
    ],
    [
      'permit',
      '居住证办理指南',
      '申领条件\n到本市居住半年以上，有合法稳定就业或住所的，可以申领居住证。\n所需材料\n1. 身份证原件；\n2. 一寸照片；\n3. 居住证明。',
    ],
  ])
  const probability = (q: string) => {
    const f = abstainFeatures(q, index.search(q), (d) => index.chunksOf(d), analyzer) as AbstainFeatures
    return answerProbability(f, shipped)
  }

  it('the shipped model weighs every signal and says when it was fitted', () => {
    expect(Object.keys(shipped.weights).sort()).toEqual([...FEATURE_NAMES].sort())
    expect(shipped.note).toMatch(/never kb-fresh-3/)
    expect(shipped.threshold).toBeGreaterThan(0)
  })

  it('answers a question the document answers and declines one about something it only mentions', () => {
    expect(probability('高龄津贴一个月发多少钱')).toBeGreaterThanOrEqual(shipped.threshold)
    expect(probability('老年人乘坐公交车免费吗')).toBeLessThan(shipped.threshold)
  })

  it('is surer as more of the question is found in the document', () => {
    const base: AbstainFeatures = {
      coverage: 0.3,
      docCoverage: 0.5,
      mainInDoc: 1,
      wordsInDoc: 0.5,
      clauseTopic: 0.3,
      clauseTyped: 1,
      margin: 0.3,
      fewWords: 0.25,
    }
    const more = { ...base, coverage: 0.7, docCoverage: 0.9, wordsInDoc: 1 }
    expect(answerProbability(more, shipped)).toBeGreaterThan(answerProbability(base, shipped))
  })

  it('refuses a malformed model file instead of guessing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'linli-abstain-'))
    try {
      const file = path.join(dir, 'model.json')
      await writeFile(file, JSON.stringify({ weights: { coverage: 'high' }, bias: 0, threshold: 2 }))
      expect(() => loadAbstainModel(file)).toThrow()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
