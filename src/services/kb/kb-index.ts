import { passageEvidence, type QueryUnit, queryUnits } from './kb-evidence.js'
import { headingAnswersIntent, questionIntents } from './kb-intent.js'
import type { TextAnalyzer } from './kb-text.js'
import { normalizeText } from './kb-text.js'

/** A chunk as the in-memory index holds it. */
export interface IndexedChunk {
  chunkId: string
  docId: string
  title: string
  issuer?: string
  url?: string
  headings: string[]
  text: string
  vector?: number[]
}

/** One ranked chunk: lexical score, how much of the question it covers, and the blend of both. */
export interface SearchHit {
  chunk: IndexedChunk
  /** BM25F score (title and headings weighted above the body). */
  bm25: number
  /** Share (0–1) of the question's topic words found in the passage, weighted by informativeness. */
  coverage: number
  /** bm25 relative to the best hit, blended with coverage (and cosine rank when embeddings are on). */
  score: number
  /** Cosine similarity to the question when embeddings are on. */
  cosine?: number
}

export interface SearchOptions {
  limit?: number
  /** The question's embedding, when an embeddings endpoint is configured. */
  queryVector?: number[]
}

/**
 * Segmented terms of chunks by chunk id, kept between index builds: segmentation is most of the cost
 * of a build, and an import changes few chunks (a chunk id changes whenever its text does).
 */
export type TermCache = Map<string, { head: string[]; body: string[] }>

/** The searchable view over all chunks: built once from the database, rebuilt after imports. */
export interface KbIndex {
  readonly size: number
  search(question: string, options?: SearchOptions): SearchHit[]
  /** A document's chunks in document order (empty for an unknown document). */
  chunksOf(docId: string): IndexedChunk[]
}

const K1 = 1.2
const B = 0.75
const HEAD_WEIGHT = 2
const WORD_WEIGHT = 1
const BIGRAM_WEIGHT = 0.5
const SYNONYM_FACTOR = 0.6
const CANDIDATES = 30
const RRF_K = 60
const INTENT_HEADING_BONUS = 0.05

interface Posting {
  idx: number
  tf: number
}

/** Builds a BM25F index (words + character bigrams) over the chunks. */
export function buildKbIndex(analyzer: TextAnalyzer, chunks: IndexedChunk[], cache?: TermCache): KbIndex {
  const postings = new Map<string, Posting[]>()
  const lengths: number[] = []
  const haystacks: string[] = []
  const bodies: string[] = []
  chunks.forEach((chunk, idx) => {
    const head = [chunk.title, ...chunk.headings].join(' ')
    const tf = new Map<string, number>()
    const cached = cache?.get(chunk.chunkId)
    const terms = cached ?? { head: analyzer.terms(head), body: analyzer.terms(chunk.text) }
    cache?.set(chunk.chunkId, terms)
    for (const t of terms.head) tf.set(t, (tf.get(t) ?? 0) + HEAD_WEIGHT)
    const body = terms.body
    for (const t of body) tf.set(t, (tf.get(t) ?? 0) + 1)
    lengths.push(body.length)
    haystacks.push(normalizeText(`${head}\n${chunk.text}`))
    bodies.push(normalizeText(`${chunk.headings.join(' ')}\n${chunk.text}`))
    for (const [term, n] of tf) {
      const list = postings.get(term) ?? []
      list.push({ idx, tf: n })
      postings.set(term, list)
    }
  })
  const byDoc = new Map<string, IndexedChunk[]>()
  for (const c of chunks) {
    const list = byDoc.get(c.docId) ?? []
    list.push(c)
    byDoc.set(c.docId, list)
  }
  const avgLen = lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length)
  const n = chunks.length
  const norms = lengths.map((len) => K1 * (1 - B + (B * len) / avgLen))
  const idf = (term: string) => {
    const df = postings.get(term)?.length ?? 0
    return Math.log(1 + (n - df + 0.5) / (df + 0.5))
  }

  function queryTerms(question: string): Map<string, number> {
    const weights = new Map<string, number>()
    const add = (terms: string[], factor: number) => {
      for (const t of terms) {
        const w = (t.startsWith('w:') ? WORD_WEIGHT : BIGRAM_WEIGHT) * factor
        if ((weights.get(t) ?? 0) < w) weights.set(t, w)
      }
    }
    add(analyzer.terms(question), 1)
    for (const syn of analyzer.expansions(question)) add(analyzer.terms(syn), SYNONYM_FACTOR)
    return weights
  }

  function bm25(question: string): Array<[number, number]> {
    const scores = new Float64Array(n)
    const touched: number[] = []
    for (const [term, qw] of queryTerms(question)) {
      const list = postings.get(term)
      if (!list) continue
      const w = qw * idf(term)
      for (const { idx, tf } of list) {
        if (scores[idx] === 0) touched.push(idx)
        scores[idx] = (scores[idx] ?? 0) + (w * tf * (K1 + 1)) / (tf + (norms[idx] as number))
      }
    }
    return touched.map((idx) => [idx, scores[idx] as number])
  }

  function coverage(units: QueryUnit[], idx: number): number {
    return passageEvidence(units, haystacks[idx] as string, analyzer)
  }

  return {
    size: n,
    chunksOf: (docId) => byDoc.get(docId) ?? [],
    search(question, options = {}) {
      const units = queryUnits(question, analyzer.topicWords(question))
      const intents = questionIntents(question)
      const lexical = bm25(question)
        .sort((a, b) => b[1] - a[1])
        .slice(0, CANDIDATES)
      const top = lexical[0]?.[1] ?? 0
      let hits: SearchHit[] = lexical.map(([idx, score]) => {
        const chunk = chunks[idx] as IndexedChunk
        const cov = coverage(units, idx)
        // The title is shared by every chunk of a document: the body's own coverage picks the article.
        const own = passageEvidence(units, bodies[idx] as string, analyzer)
        return {
          chunk,
          bm25: score,
          coverage: cov,
          // An article headed 申请材料 answers "要带什么" better than one that only shares the topic.
          score:
            0.4 * (score / top) +
            0.3 * cov +
            0.3 * own +
            (headingAnswersIntent(intents, chunk.headings) ? INTENT_HEADING_BONUS : 0),
        }
      })
      if (options.queryVector)
        hits = fuseWithVectors(hits, chunks, options.queryVector, (idx) => coverage(units, idx))
      hits.sort((a, b) => b.score - a.score)
      return hits.slice(0, options.limit ?? 10)
    },
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0
}

/** Reciprocal rank fusion of the lexical ranking and the cosine ranking over all embedded chunks. */
function fuseWithVectors(
  lexical: SearchHit[],
  chunks: IndexedChunk[],
  query: number[],
  coverageOf: (idx: number) => number,
): SearchHit[] {
  const byId = new Map(lexical.map((h, rank) => [h.chunk.chunkId, { hit: h, rank }]))
  const semantic = chunks
    .map((c, idx) => ({ idx, sim: c.vector ? cosine(c.vector, query) : -1 }))
    .filter((s) => s.sim > -1)
    .sort((a, b) => b.sim - a.sim)
    .slice(0, CANDIDATES)
  const fused = new Map<string, SearchHit>()
  lexical.forEach((h, rank) => {
    fused.set(h.chunk.chunkId, { ...h, score: 1 / (RRF_K + rank + 1) })
  })
  semantic.forEach(({ idx, sim }, rank) => {
    const chunk = chunks[idx] as IndexedChunk
    const prior = fused.get(chunk.chunkId) ?? {
      chunk,
      bm25: 0,
      coverage: byId.get(chunk.chunkId)?.hit.coverage ?? coverageOf(idx),
      score: 0,
    }
    fused.set(chunk.chunkId, { ...prior, cosine: sim, score: prior.score + 1 / (RRF_K + rank + 1) })
  })
  return [...fused.values()]
}
