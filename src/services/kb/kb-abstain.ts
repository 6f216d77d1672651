import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { pickClauses } from './kb-clause.js'
import { passageEvidence, queryUnits, unitCoverage } from './kb-evidence.js'
import type { IndexedChunk, SearchHit } from './kb-index.js'
import { normalizeText, type TextAnalyzer } from './kb-text.js'

/**
 * Whether to answer or hand the question to staff. One passage's coverage of the question was the
 * only signal; colloquial questions (words spread over two articles, said differently) fall below it
 * while near misses (a corpus word in a question about something else) pass. The decision now weighs
 * several signals with a logistic model fitted on the project's own question sets (`eval/kb-fit-abstain.ts`
 * writes `config/kb-abstain-model.json`; the blind set is never used to fit it).
 */

/** What the decision looks at, each roughly in 0–1. */
export interface AbstainFeatures {
  /** The best passage's coverage of the question. */
  coverage: number
  /** The best document's coverage of the question, all of it at once. */
  docCoverage: number
  /** The question's main noun is in the best document. */
  mainInDoc: number
  /** Unweighted share of the question's words found in the best document. */
  wordsInDoc: number
  /** The answering clause's share of the question's own (non-subject) words. */
  clauseTopic: number
  /** The answering clause carries the kind of fact asked. */
  clauseTyped: number
  /** How far the best document leads the next one (0: a tie). */
  margin: number
  /** 1 / the number of the question's topic words (a one-word question says little). */
  fewWords: number
}

export const FEATURE_NAMES: Array<keyof AbstainFeatures> = [
  'coverage',
  'docCoverage',
  'mainInDoc',
  'wordsInDoc',
  'clauseTopic',
  'clauseTyped',
  'margin',
  'fewWords',
]

/** The signals for a question, from its ranked passages and the best document's chunks. */
export function abstainFeatures(
  question: string,
  hits: SearchHit[],
  chunksOf: (docId: string) => IndexedChunk[],
  analyzer: TextAnalyzer,
): AbstainFeatures | undefined {
  const top = hits[0]
  if (!top) return undefined
  const chunks = chunksOf(top.chunk.docId)
  const whole = normalizeText(
    [top.chunk.title, ...chunks.map((c) => `${c.headings.join(' ')}\n${c.text}`)].join('\n'),
  )
  const units = queryUnits(question, analyzer.topicWords(question))
  const main = units.filter((u) => u.noun).sort((a, b) => b.weight - a.weight)[0]
  const found = units.filter((u) => unitCoverage(u, whole, analyzer) >= 0.75).length
  const other = hits.find((h) => h.chunk.docId !== top.chunk.docId)
  const [clause] = pickClauses(question, hits, () => chunks, analyzer)
  return {
    coverage: top.coverage,
    docCoverage: passageEvidence(units, whole, analyzer),
    mainInDoc: !main || unitCoverage(main, whole, analyzer) >= 0.75 ? 1 : 0,
    wordsInDoc: units.length > 0 ? found / units.length : 0,
    clauseTopic: clause?.topic ?? 0,
    clauseTyped: clause?.typed ? 1 : 0,
    // With one document only there is nothing to lead: neutral rather than sure.
    margin: other && top.score > 0 ? Math.max(0, (top.score - other.score) / top.score) : 0.5,
    fewWords: 1 / Math.max(1, units.length),
  }
}

const AbstainModel = z.object({
  weights: z.record(z.string(), z.number()),
  bias: z.number(),
  /** Answer from this probability on. */
  threshold: z.number().min(0).max(1),
  /** How it was fitted (sets, date, figures), for whoever refits it. */
  note: z.string().optional(),
})
export type AbstainModel = z.infer<typeof AbstainModel>

/** Loads a fitted model; a missing or malformed file is an error worth stopping for. */
export function loadAbstainModel(file: string): AbstainModel {
  return AbstainModel.parse(JSON.parse(readFileSync(file, 'utf8')))
}

/** The model's probability that answering is right. */
export function answerProbability(f: AbstainFeatures, model: AbstainModel): number {
  let z = model.bias
  for (const name of FEATURE_NAMES) z += (model.weights[name] ?? 0) * f[name]
  return 1 / (1 + Math.exp(-z))
}
