import { isDuplicateKeyError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { KbConflictModel, KbDocumentModel } from '../../models/kb.model.js'
import type { SearchHit } from './kb-index.js'
import type { TextAnalyzer } from './kb-text.js'
import { normalizeText } from './kb-text.js'

/** What conflict detection needs to know about a document in force. */
export interface DatedDoc {
  title: string
  issuedOn?: string
  effectiveFrom?: string
}

/** Two documents in force that answer the same question with different figures. */
export interface Conflict {
  newerDocId: string
  olderDocId: string
  /** The differing figures by unit, e.g. "元：100 ≠ 200". */
  differences: string[]
}

/**
 * Figures with a unit: amounts, ages, deadlines, shares. A year ("2024年") and a date ("6月30日") are not
 * figures: two notices of different years always differ there.
 */
const FIGURE_RE =
  /(?<![\d.])(\d+(?:\.\d+)?)\s*(万元|元|周岁|岁|个工作日|工作日|天|小时|个月|%|平方米|公里|年)/g

/** Figures of a passage by unit: "80周岁以上每月100元" → {周岁: {80}, 元: {100}}. */
export function figuresOf(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const m of normalizeText(text).matchAll(FIGURE_RE)) {
    const unit = (m[2] as string).replace(/^个(?=工作日)/, '')
    if (unit === '年' && (m[1] as string).length > 2) continue // 2024年 is a year, 满3年 a figure
    const set = out.get(unit) ?? new Set<string>()
    set.add(String(Number(m[1])))
    out.set(unit, set)
  }
  return out
}

/** The units both passages state figures for, where the figures differ. */
export function differingFigures(a: string, b: string): string[] {
  const fa = figuresOf(a)
  const fb = figuresOf(b)
  const out: string[] = []
  for (const [unit, va] of fa) {
    const vb = fb.get(unit)
    if (!vb) continue
    const same = va.size === vb.size && [...va].every((v) => vb.has(v))
    if (!same) out.push(`${unit}：${[...va].join('、')} ≠ ${[...vb].join('、')}`)
  }
  return out
}

/** Words every notice title has; they say nothing about the subject. */
const GENERIC_TITLE_WORDS = new Set(
  `关于 通知 公告 通告 办法 规定 实施 细则 意见 问答 指南 指引 须知 年度 年版 调整 发放 做好 工作 有关 事项 标准
  政策 管理 服务 办理 申请 印发 进一步 加强 试行 暂行 修订 实施细则`.split(/\s+/),
)
/** A leading place name (示范市, 康和社区, 康和街道): every document of a community shares it. */
const LEADING_PLACE_RE = /^[\p{Script=Han}]{2,5}?(省|市|县|街道|社区)/u

/** The subject words of a title: topic words without the place, years and generic words. */
function subjectWords(title: string, analyzer: TextAnalyzer): Set<string> {
  const bare = title.replace(LEADING_PLACE_RE, '').replace(/\d{4}\s*年?/g, '')
  return new Set(analyzer.contentWords(bare).filter((w) => w.length >= 2 && !GENERIC_TITLE_WORDS.has(w)))
}

/**
 * Same subject: more than half the subject words of the shorter title are in the other one
 * (《关于发放2024年度高龄津贴的通知》 and 《关于调整高龄津贴标准的通知》: 高龄津贴). Sharing one or two
 * words of several (垃圾, 补贴, 医疗保险) is not enough: 大件垃圾 and 垃圾分类 are different rules.
 */
export function sameSubject(a: string, b: string, analyzer: TextAnalyzer): boolean {
  const wa = subjectWords(a, analyzer)
  const wb = subjectWords(b, analyzer)
  const smaller = Math.min(wa.size, wb.size)
  if (smaller === 0) return false
  const shared = [...wa].filter((w) => wb.has(w)).length
  return shared * 2 > smaller
}

/** The later effective (or issue) date wins; undefined when neither is dated or both are the same. */
function newerOf(a: DatedDoc, b: DatedDoc): 'a' | 'b' | undefined {
  const da = a.effectiveFrom ?? a.issuedOn ?? ''
  const db = b.effectiveFrom ?? b.issuedOn ?? ''
  if (da === db) return undefined
  return da > db ? 'a' : 'b'
}

/**
 * Looks for two documents among the strong passages (covering at least `minCoverage` of the question)
 * whose titles share a subject and whose figures differ. The newer one wins; undated or equally dated
 * documents are not judged (the better-ranked passage answers, as before).
 */
export function detectConflict(
  hits: SearchHit[],
  docs: ReadonlyMap<string, DatedDoc>,
  analyzer: TextAnalyzer,
  minCoverage: number,
): Conflict | undefined {
  const strong = hits.filter((h) => h.coverage >= minCoverage).slice(0, 6)
  for (let i = 0; i < strong.length; i++) {
    for (let j = i + 1; j < strong.length; j++) {
      const a = strong[i] as SearchHit
      const b = strong[j] as SearchHit
      if (a.chunk.docId === b.chunk.docId) continue
      const da = docs.get(a.chunk.docId)
      const db = docs.get(b.chunk.docId)
      if (!da || !db || !sameSubject(da.title, db.title, analyzer)) continue
      const differences = differingFigures(a.chunk.text, b.chunk.text)
      const newer = newerOf(da, db)
      if (differences.length === 0 || !newer) continue
      const [newerDocId, olderDocId] =
        newer === 'a' ? [a.chunk.docId, b.chunk.docId] : [b.chunk.docId, a.chunk.docId]
      return { newerDocId, olderDocId, differences }
    }
  }
  return undefined
}

/**
 * Drops the older side of every conflict among the hits and returns what was found. At most three
 * rounds: a question rarely touches more than a few versions of one notice.
 */
export function settleConflicts(
  hits: SearchHit[],
  docs: ReadonlyMap<string, DatedDoc>,
  analyzer: TextAnalyzer,
  minCoverage: number,
): { hits: SearchHit[]; conflicts: Conflict[] } {
  const conflicts: Conflict[] = []
  let kept = hits
  for (let round = 0; round < 3; round++) {
    const c = detectConflict(kept, docs, analyzer, minCoverage)
    if (!c) break
    conflicts.push(c)
    kept = kept.filter((h) => h.chunk.docId !== c.olderDocId)
  }
  return { hits: kept, conflicts }
}

/** Counts the conflict on its document pair (one record a pair); a failure is logged, not thrown. */
export async function recordConflict(c: Conflict, question: string, at: Date, log: Logger): Promise<void> {
  const [docA, docB] = [c.newerDocId, c.olderDocId].sort() as [string, string]
  const write = () =>
    KbConflictModel.updateOne(
      { docA, docB },
      {
        $inc: { count: 1 },
        $set: {
          newerDocId: c.newerDocId,
          lastQuestion: question,
          differences: c.differences,
          lastSeenAt: at,
        },
        $setOnInsert: { firstSeenAt: at },
      },
      { upsert: true },
    )
  try {
    await write().catch(async (err: unknown) => {
      // Two first sightings at once: the unique pair key lets one insert win; count on it.
      if (isDuplicateKeyError(err)) return write()
      throw err
    })
    log.warn(
      { newer: c.newerDocId, older: c.olderDocId, differences: c.differences },
      'kb documents disagree',
    )
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'could not record a kb conflict')
  }
}

/** A recorded conflict as staff see it. */
export interface ConflictView {
  newer: { docId: string; title: string }
  older: { docId: string; title: string }
  differences: string[]
  count: number
  lastQuestion: string
  firstSeenAt: Date
  lastSeenAt: Date
}

/** The recorded conflicts, most recent first, with the documents' titles. */
export async function listConflicts(limit: number): Promise<ConflictView[]> {
  const rows = await KbConflictModel.find().sort({ lastSeenAt: -1 }).limit(limit).lean()
  const ids = [...new Set(rows.flatMap((r) => [r.docA, r.docB]))]
  const titles = new Map(
    (await KbDocumentModel.find({ docId: { $in: ids } }, { docId: 1, title: 1 }).lean()).map((d) => [
      d.docId,
      d.title,
    ]),
  )
  const ref = (docId: string) => ({ docId, title: titles.get(docId) ?? docId })
  return rows.map((r) => {
    const olderDocId = r.docA === r.newerDocId ? r.docB : r.docA
    return {
      newer: ref(r.newerDocId),
      older: ref(olderDocId),
      differences: [...r.differences],
      count: r.count,
      lastQuestion: r.lastQuestion,
      firstSeenAt: r.firstSeenAt,
      lastSeenAt: r.lastSeenAt,
    }
  })
}
