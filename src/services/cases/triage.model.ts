import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CATEGORIES, type Category } from '../responsibility/responsibility.config.js'
import { normalizeText } from './triage.normalize.js'

/**
 * A small statistical layer under the rules: multinomial naive Bayes over character 1–3-grams,
 * trained at start from `config/triage-train.jsonl` (a few hundred labelled resident messages that
 * are never part of an evaluation set). It generalises past exact keywords ("贼拉冷", "冒火星子") and
 * decides when the rules are weak or tied. Pure, deterministic, trains in a few milliseconds.
 */

/** The model's classes: the 13 categories plus "none" for greetings, thanks, ads and chit-chat. */
export type ModelClass = Category | 'none'

/** One labelled training message. */
export interface TrainingExample {
  text: string
  category: Category
  isRequest: boolean
  urgent: boolean
}

/** Class probabilities for one message. */
export interface ModelPrediction {
  /** Probability per class (sums to 1). */
  probs: Map<ModelClass, number>
  best: ModelClass
  bestProb: number
  /** Probability that the message reports danger now (a separate two-class model). */
  urgentProb: number
}

/** A trained model. */
export interface TriageModel {
  predict(text: string): ModelPrediction
  /** Same, for text already passed through normalizeText (the rules layer has done it). */
  predictNormalized(text: string): ModelPrediction
  /** Number of training examples it was built from. */
  size: number
}

const CLASSES: ModelClass[] = [...CATEGORIES, 'none']
const ALPHA = 0.4
/** Naive Bayes is over-confident (n-grams are far from independent): soften the posterior. */
const TEMPERATURE = 2

/**
 * Character 1–3-grams of the canonical text, each counted once. N-grams do not cross spaces;
 * digit runs become "#" so room numbers do not become features.
 */
export function ngrams(text: string, normalized = false): Set<string> {
  const out = new Set<string>()
  const clean = normalized ? text : normalizeText(text)
  for (const token of clean.replace(/\d+/g, '#').split(' ')) {
    const chars = [...token]
    for (let i = 0; i < chars.length; i++) {
      let gram = ''
      for (let n = 0; n < 3 && i + n < chars.length; n++) {
        gram += chars[i + n]
        if (n === 0 && /^[#a-z]$/.test(gram)) continue
        out.add(gram)
      }
    }
  }
  return out
}

interface NbTable {
  classes: string[]
  logPrior: number[]
  /** feature → log P(feature | class) per class index. */
  logLik: Map<string, number[]>
  /** log P(unseen feature | class). */
  logUnseen: number[]
}

function trainNb(docs: Array<{ grams: Set<string>; label: string }>, classes: string[]): NbTable {
  const counts = new Map<string, number[]>()
  const totals = classes.map(() => 0)
  const docsPer = classes.map(() => 0)
  for (const d of docs) {
    const c = classes.indexOf(d.label)
    if (c < 0) continue
    docsPer[c] = (docsPer[c] ?? 0) + 1
    for (const g of d.grams) {
      const row = counts.get(g) ?? classes.map(() => 0)
      row[c] = (row[c] ?? 0) + 1
      counts.set(g, row)
      totals[c] = (totals[c] ?? 0) + 1
    }
  }
  const vocab = counts.size + 1
  const denom = totals.map((t) => Math.log(t + ALPHA * vocab))
  const logLik = new Map<string, number[]>()
  for (const [g, row] of counts)
    logLik.set(
      g,
      row.map((n, c) => Math.log(n + ALPHA) - (denom[c] ?? 0)),
    )
  // Equal priors: the training set's class sizes say nothing about what residents send.
  const logPrior = classes.map((_, c) => ((docsPer[c] ?? 0) > 0 ? 0 : Number.NEGATIVE_INFINITY))
  return { classes, logPrior, logLik, logUnseen: denom.map((d) => Math.log(ALPHA) - d) }
}

function posterior(table: NbTable, grams: Set<string>): number[] {
  const scores = [...table.logPrior]
  for (const g of grams) {
    const row = table.logLik.get(g)
    // Unseen n-grams are skipped: they carry no evidence and would only favour small classes.
    if (!row) continue
    for (let c = 0; c < scores.length; c++) scores[c] = (scores[c] ?? 0) + (row[c] ?? 0)
  }
  const max = Math.max(...scores)
  const exp = scores.map((s) => Math.exp((s - max) / TEMPERATURE))
  const sum = exp.reduce((a, b) => a + b, 0)
  return exp.map((e) => e / sum)
}

/** Trains the category model and the two-class urgency model from labelled examples. */
export function trainTriageModel(examples: TrainingExample[]): TriageModel {
  const docs = examples.map((e) => ({
    grams: ngrams(e.text),
    label: e.isRequest ? e.category : 'none',
    urgent: e.urgent,
  }))
  const categories = trainNb(docs, CLASSES)
  const urgency = trainNb(
    docs
      .filter((d) => d.label !== 'none')
      .map((d) => ({ grams: d.grams, label: d.urgent ? 'urgent' : 'normal' })),
    ['urgent', 'normal'],
  )
  function predictGrams(grams: Set<string>): ModelPrediction {
    const p = posterior(categories, grams)
    const probs = new Map<ModelClass, number>()
    let best: ModelClass = 'none'
    let bestProb = -1
    CLASSES.forEach((c, i) => {
      const v = p[i] ?? 0
      probs.set(c, v)
      if (v > bestProb) {
        best = c
        bestProb = v
      }
    })
    return { probs, best, bestProb, urgentProb: posterior(urgency, grams)[0] ?? 0 }
  }
  return {
    predict: (text) => predictGrams(ngrams(text)),
    predictNormalized: (text) => predictGrams(ngrams(text, true)),
    size: examples.length,
  }
}

/** Parses the training JSONL (the eval line format); a bad line stops the load with its number. */
export function parseTrainingSet(jsonl: string, source = 'training set'): TrainingExample[] {
  const out: TrainingExample[] = []
  const lines = jsonl.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim()
    if (!line) continue
    const raw = JSON.parse(line) as {
      text?: unknown
      category?: unknown
      urgency?: unknown
      isRequest?: unknown
    }
    if (typeof raw.text !== 'string' || !CATEGORIES.includes(raw.category as Category)) {
      throw new Error(`${source}:${i + 1}: needs "text" and a taxonomy "category"`)
    }
    out.push({
      text: raw.text,
      category: raw.category as Category,
      isRequest: raw.isRequest !== false,
      urgent: raw.urgency === 'urgent',
    })
  }
  return out
}

/** Where the shipped training set lives (the repository's config folder). */
export const DEFAULT_TRAINING_FILE = path.resolve(import.meta.dirname, '../../../config/triage-train.jsonl')

const cache = new Map<string, TriageModel | null>()

/**
 * The model trained from a training file (default: the shipped one), built once per file and
 * cached. Null when the file is missing: triage then runs on the rules alone.
 */
export function loadTriageModel(file = DEFAULT_TRAINING_FILE): TriageModel | null {
  if (cache.has(file)) return cache.get(file) ?? null
  const model = existsSync(file) ? trainTriageModel(parseTrainingSet(readFileSync(file, 'utf8'), file)) : null
  cache.set(file, model)
  return model
}
