import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CATEGORIES, type Category } from '../responsibility/responsibility.config.js'
import { normalizeText } from './triage.normalize.js'

/**
 * A small statistical layer under the rules, trained at start from the shipped labelled messages
 * (`config/triage-train*.jsonl`, never part of an evaluation set). Three heads share one feature
 * set, character 1–3-grams: the category (13 categories plus "none" for chit-chat), the intent
 * (request / question / chat) and the urgency of a request. Each head is a naive Bayes table and a
 * multinomial logistic regression whose probabilities are averaged: naive Bayes generalises from
 * few examples, the regression weighs n-grams that co-occur (the words that make "着火了" a report
 * and "着火了该打什么电话" a question). Pure, deterministic, trains in well under a second.
 */

/** What a message is for: a request for action, a question for the knowledge base, or chit-chat. */
export type Intent = 'request' | 'question' | 'chat'
export const INTENTS: readonly Intent[] = ['request', 'question', 'chat']

/** The model's classes: the 13 categories plus "none" for greetings, thanks, ads and chit-chat. */
export type ModelClass = Category | 'none'

/** One labelled training message. */
export interface TrainingExample {
  text: string
  category: Category
  isRequest: boolean
  urgent: boolean
  /** Default: chat when not a request, question for a policy consultation, request otherwise. */
  intent?: Intent
}

/** Class probabilities for one message. */
export interface ModelPrediction {
  /** Probability per class (sums to 1). */
  probs: Map<ModelClass, number>
  best: ModelClass
  bestProb: number
  /** Probability that the message reports danger now (a separate two-class head). */
  urgentProb: number
  /** Probability per intent (sums to 1). */
  intents: Map<Intent, number>
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

interface LrTable {
  classes: string[]
  bias: Float64Array
  /** feature → weight per class. */
  weights: Map<string, Float64Array>
}

/** Regression training: passes over the data, step size and L2 shrinkage (fixed, deterministic). */
const LR_EPOCHS = 12
const LR_RATE = 0.5
const LR_L2 = 1e-4
/** Share of the regression in a head's probabilities (the rest is naive Bayes). */
const LR_SHARE = 0.5

/** A tiny deterministic generator for the shuffles (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function softmax(z: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY
  for (const v of z) max = Math.max(max, v)
  let sum = 0
  const out = new Float64Array(z.length)
  for (let i = 0; i < z.length; i++) {
    out[i] = Math.exp((z[i] ?? 0) - max)
    sum += out[i] ?? 0
  }
  for (let i = 0; i < z.length; i++) out[i] = (out[i] ?? 0) / sum
  return out
}

function lrScores(table: LrTable, grams: Set<string>): Float64Array {
  const z = Float64Array.from(table.bias)
  const scale = 1 / Math.sqrt(Math.max(1, grams.size))
  for (const g of grams) {
    const w = table.weights.get(g)
    if (!w) continue
    for (let c = 0; c < z.length; c++) z[c] = (z[c] ?? 0) + (w[c] ?? 0) * scale
  }
  return z
}

/**
 * Multinomial logistic regression by stochastic gradient descent over binary n-gram features
 * (scaled by 1/√count so long and short messages weigh alike); classes are balanced by weighting
 * each example inversely to its class size.
 */
function trainLr(docs: Array<{ grams: Set<string>; label: string }>, classes: string[]): LrTable {
  const table: LrTable = { classes, bias: new Float64Array(classes.length), weights: new Map() }
  const used = docs.filter((d) => classes.includes(d.label))
  const perClass = classes.map((c) => used.filter((d) => d.label === c).length)
  const classWeight = perClass.map((n) => (n > 0 ? used.length / (classes.length * n) : 0))
  const order = used.map((_, i) => i)
  const rand = seeded(20261206)
  for (let epoch = 0; epoch < LR_EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[order[i], order[j]] = [order[j] as number, order[i] as number]
    }
    const rate = LR_RATE / Math.sqrt(epoch + 1)
    for (const k of order) {
      const d = used[k] as { grams: Set<string>; label: string }
      const y = classes.indexOf(d.label)
      const p = softmax(lrScores(table, d.grams))
      const scale = 1 / Math.sqrt(Math.max(1, d.grams.size))
      const step = rate * (classWeight[y] ?? 1)
      const grad = p.map((v, c) => (c === y ? v - 1 : v))
      for (let c = 0; c < classes.length; c++)
        table.bias[c] = (table.bias[c] ?? 0) - step * (grad[c] ?? 0) * 0.1
      for (const g of d.grams) {
        let w = table.weights.get(g)
        if (!w) {
          w = new Float64Array(classes.length)
          table.weights.set(g, w)
        }
        for (let c = 0; c < classes.length; c++)
          w[c] = (w[c] ?? 0) * (1 - LR_L2) - step * (grad[c] ?? 0) * scale
      }
    }
  }
  return table
}

/** One head: naive Bayes and the regression trained on the same examples, probabilities averaged. */
interface Head {
  nb: NbTable
  lr: LrTable
}

function trainHead(docs: Array<{ grams: Set<string>; label: string }>, classes: string[]): Head {
  return { nb: trainNb(docs, classes), lr: trainLr(docs, classes) }
}

function headProbs(head: Head, grams: Set<string>): number[] {
  const nb = posterior(head.nb, grams)
  const lr = softmax(lrScores(head.lr, grams))
  return nb.map((p, i) => (1 - LR_SHARE) * p + LR_SHARE * (lr[i] ?? 0))
}

/** The intent an example stands for when its line does not say. */
export function intentOf(e: TrainingExample): Intent {
  if (e.intent) return e.intent
  if (!e.isRequest) return 'chat'
  return e.category === 'policy_consult' ? 'question' : 'request'
}

/** Trains the category, intent and urgency heads from labelled examples. */
export function trainTriageModel(examples: TrainingExample[]): TriageModel {
  const docs = examples.map((e) => {
    const intent = intentOf(e)
    return {
      grams: ngrams(e.text),
      label: intent === 'chat' ? 'none' : e.category,
      intent,
      urgent: e.urgent && intent === 'request',
    }
  })
  const categories = trainHead(docs, CLASSES)
  const intents = trainHead(
    docs.map((d) => ({ grams: d.grams, label: d.intent })),
    [...INTENTS],
  )
  // Urgency is learned from every message: questions and chit-chat about danger are "normal".
  const urgency = trainHead(
    docs.map((d) => ({ grams: d.grams, label: d.urgent ? 'urgent' : 'normal' })),
    ['urgent', 'normal'],
  )
  function predictGrams(grams: Set<string>): ModelPrediction {
    const p = headProbs(categories, grams)
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
    const ip = headProbs(intents, grams)
    return {
      probs,
      best,
      bestProb,
      urgentProb: headProbs(urgency, grams)[0] ?? 0,
      intents: new Map(INTENTS.map((c, i) => [c, ip[i] ?? 0])),
    }
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
      intent?: unknown
    }
    if (typeof raw.text !== 'string' || !CATEGORIES.includes(raw.category as Category)) {
      throw new Error(`${source}:${i + 1}: needs "text" and a taxonomy "category"`)
    }
    if (raw.intent !== undefined && !INTENTS.includes(raw.intent as Intent)) {
      throw new Error(`${source}:${i + 1}: "intent" must be one of ${INTENTS.join(', ')}`)
    }
    out.push({
      text: raw.text,
      category: raw.category as Category,
      isRequest: raw.isRequest !== false,
      urgent: raw.urgency === 'urgent',
      ...(raw.intent === undefined ? {} : { intent: raw.intent as Intent }),
    })
  }
  return out
}

/** The original training file; every `config/triage-train*.jsonl` beside it is shipped too. */
export const DEFAULT_TRAINING_FILE = path.resolve(import.meta.dirname, '../../../config/triage-train.jsonl')

/** All shipped training files, in name order. */
export function defaultTrainingFiles(): string[] {
  const dir = path.dirname(DEFAULT_TRAINING_FILE)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => /^triage-train.*\.jsonl$/.test(f))
    .sort()
    .map((f) => path.join(dir, f))
}

const cache = new Map<string, TriageModel | null>()

/**
 * The model trained from training files (default: every shipped one), built once per set of files
 * and cached. Null when none exists: triage then runs on the rules alone.
 */
export function loadTriageModel(files: string | string[] = defaultTrainingFiles()): TriageModel | null {
  const list = (Array.isArray(files) ? files : [files]).filter((f) => existsSync(f))
  const key = list.join('\n')
  if (cache.has(key)) return cache.get(key) ?? null
  const model =
    list.length > 0
      ? trainTriageModel(list.flatMap((f) => parseTrainingSet(readFileSync(f, 'utf8'), f)))
      : null
  cache.set(key, model)
  return model
}
