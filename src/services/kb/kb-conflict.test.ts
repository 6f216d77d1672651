import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectConflict, differingFigures, figuresOf, sameSubject } from './kb-conflict.js'
import type { IndexedChunk, SearchHit } from './kb-index.js'
import { createTextAnalyzer, loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const analyzer = createTextAnalyzer(loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml')))

function hit(docId: string, text: string, coverage = 0.8): SearchHit {
  const chunk: IndexedChunk = { chunkId: `${docId}-1`, docId, title: docId, headings: [], text }
  return { chunk, bm25: 1, coverage, score: coverage }
}

describe('figuresOf / differingFigures', () => {
  it('reads amounts, ages and deadlines, but not years or dates', () => {
    const f = figuresOf('2024年1月1日起，80周岁以上老人每月100元，5个工作日内办结，满3年')
    expect(Object.fromEntries([...f].map(([u, v]) => [u, [...v]]))).toEqual({
      周岁: ['80'],
      元: ['100'],
      工作日: ['5'],
      年: ['3'],
    })
  })

  it('names the unit whose figures differ, and nothing when they agree', () => {
    expect(differingFigures('80周岁以上每月100元', '80周岁以上每月200元')).toEqual(['元：100 ≠ 200'])
    expect(differingFigures('2024年：80周岁以上每月100元', '2026年：80周岁以上每月100元')).toEqual([])
  })
})

describe('sameSubject', () => {
  it.each([
    ['关于发放2024年度高龄津贴的通知', '关于调整高龄津贴标准的通知', true],
    ['城乡居民基本医疗保险待遇问答', '2026年度城乡居民基本医疗保险待遇政策问答', true],
    ['康和社区电动自行车停放充电管理规定', '示范市电动自行车停放充电安全管理通告', true],
    // One shared word of several is a different rule (false conflicts seen in the eval corpus).
    ['示范市大件垃圾和装修垃圾投放管理规定', '示范市生活垃圾分类投放指引', false],
    ['示范市婴幼儿托育服务补贴办法', '示范市困难残疾人生活补贴和重度残疾人护理补贴实施细则', false],
    ['2026年度城乡居民基本医疗保险待遇政策问答', '灵活就业人员参加职工基本养老保险和医疗保险指南', false],
  ])('《%s》 and 《%s》: %s', (a, b, same) => {
    expect(sameSubject(a, b, analyzer)).toBe(same)
  })
})

describe('detectConflict', () => {
  const docs = new Map([
    ['old', { title: '关于发放2024年度高龄津贴的通知', issuedOn: '2024-01-10' }],
    ['new', { title: '关于调整高龄津贴标准的通知', issuedOn: '2026-01-05' }],
    ['heating', { title: '供暖投诉处理流程', issuedOn: '2025-10-10' }],
  ])

  it('picks the newer of two documents on the same subject that give different figures', () => {
    const hits = [hit('old', '80周岁以上老人每月100元'), hit('new', '80周岁以上老人每月200元')]
    expect(detectConflict(hits, docs, analyzer, 0.4)).toEqual({
      newerDocId: 'new',
      olderDocId: 'old',
      differences: ['元：100 ≠ 200'],
    })
  })

  it('leaves documents on different subjects alone, and weak passages out', () => {
    expect(
      detectConflict([hit('old', '每月100元'), hit('heating', '每月200元')], docs, analyzer, 0.4),
    ).toBeUndefined()
    expect(
      detectConflict([hit('old', '每月100元'), hit('new', '每月200元', 0.1)], docs, analyzer, 0.4),
    ).toBeUndefined()
  })
})
