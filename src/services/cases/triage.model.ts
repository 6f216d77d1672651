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

/** Every n-gram seen in training, numbered: the heads keep flat arrays indexed by these numbers. */
type Vocabulary = Map<string, number>

/** A training message as feature numbers and a class index. */
interface Doc {
  ids: Int32Array
  label: number
}

function toIds(vocab: Vocabulary, grams: Set<string>): Int32Array {
  const ids: number[] = []
  for (const g of grams) {
    const id = vocab.get(g)
    // Unseen n-grams are skipped: they carry no evidence and would only favour small classes.
    if (id !== undefined) ids.push(id)
  }
  return Int32Array.from(ids)
}

interface NbTable {
  classes: number
  logPrior: Float64Array
  /** log P(feature | class) at feature * classes + class. */
  logLik: Float64Array
}

function trainNb(docs: Doc[], classes: number, features: number): NbTable {
  const counts = new Float64Array(features * classes)
  const totals = new Float64Array(classes)
  const docsPer = new Float64Array(classes)
  for (const d of docs) {
    docsPer[d.label] = (docsPer[d.label] ?? 0) + 1
    for (const f of d.ids) {
      counts[f * classes + d.label] = (counts[f * classes + d.label] ?? 0) + 1
      totals[d.label] = (totals[d.label] ?? 0) + 1
    }
  }
  const denom = Array.from(totals, (t) => Math.log(t + ALPHA * (features + 1)))
  const logLik = new Float64Array(features * classes)
  for (let i = 0; i < logLik.length; i++)
    logLik[i] = Math.log((counts[i] ?? 0) + ALPHA) - (denom[i % classes] ?? 0)
  // Equal priors: the training set's class sizes say nothing about what residents send.
  const logPrior = Float64Array.from(docsPer, (n) => (n > 0 ? 0 : Number.NEGATIVE_INFINITY))
  return { classes, logPrior, logLik }
}

function posterior(table: NbTable, ids: Int32Array): Float64Array {
  const scores = Float64Array.from(table.logPrior)
  const k = table.classes
  for (const f of ids)
    for (let c = 0; c < k; c++) scores[c] = (scores[c] ?? 0) + (table.logLik[f * k + c] ?? 0)
  // Naive Bayes is over-confident (n-grams are far from independent): soften the posterior.
  for (let c = 0; c < k; c++) scores[c] = (scores[c] ?? 0) / TEMPERATURE
  return softmaxInPlace(scores)
}

interface LrTable {
  classes: number
  bias: Float64Array
  /** Weight at feature * classes + class. */
  weights: Float64Array
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

function softmaxInPlace(z: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY
  for (const v of z) max = Math.max(max, v)
  let sum = 0
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp((z[i] ?? 0) - max)
    sum += z[i] ?? 0
  }
  for (let i = 0; i < z.length; i++) z[i] = (z[i] ?? 0) / sum
  return z
}

/** Class probabilities of the regression; features are binary, scaled by 1/√count. */
function lrProbs(table: LrTable, ids: Int32Array): Float64Array {
  const k = table.classes
  const z = Float64Array.from(table.bias)
  const scale = 1 / Math.sqrt(Math.max(1, ids.length))
  for (const f of ids)
    for (let c = 0; c < k; c++) z[c] = (z[c] ?? 0) + (table.weights[f * k + c] ?? 0) * scale
  return softmaxInPlace(z)
}

/**
 * Multinomial logistic regression by stochastic gradient descent over binary n-gram features
 * (scaled by 1/√count so long and short messages weigh alike); classes are balanced by weighting
 * each example inversely to its class size.
 */
function trainLr(docs: Doc[], classes: number, features: number): LrTable {
  const table: LrTable = {
    classes,
    bias: new Float64Array(classes),
    weights: new Float64Array(features * classes),
  }
  const perClass = new Float64Array(classes)
  for (const d of docs) perClass[d.label] = (perClass[d.label] ?? 0) + 1
  const classWeight = Array.from(perClass, (n) => (n > 0 ? docs.length / (classes * n) : 0))
  const order = docs.map((_, i) => i)
  const rand = seeded(20261206)
  for (let epoch = 0; epoch < LR_EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[order[i], order[j]] = [order[j] as number, order[i] as number]
    }
    const rate = LR_RATE / Math.sqrt(epoch + 1)
    for (const k of order) {
      const d = docs[k] as Doc
      const grad = lrProbs(table, d.ids)
      grad[d.label] = (grad[d.label] ?? 0) - 1
      const scale = 1 / Math.sqrt(Math.max(1, d.ids.length))
      const step = rate * (classWeight[d.label] ?? 1)
      for (let c = 0; c < classes; c++) table.bias[c] = (table.bias[c] ?? 0) - step * (grad[c] ?? 0) * 0.1
      for (const f of d.ids) {
        for (let c = 0; c < classes; c++) {
          const at = f * classes + c
          table.weights[at] = (table.weights[at] ?? 0) * (1 - LR_L2) - step * (grad[c] ?? 0) * scale
        }
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

function trainHead(docs: Doc[], classes: number, features: number): Head {
  return { nb: trainNb(docs, classes, features), lr: trainLr(docs, classes, features) }
}

function headProbs(head: Head, ids: Int32Array): Float64Array {
  const nb = posterior(head.nb, ids)
  const lr = lrProbs(head.lr, ids)
  for (let i = 0; i < nb.length; i++) nb[i] = (1 - LR_SHARE) * (nb[i] ?? 0) + LR_SHARE * (lr[i] ?? 0)
  return nb
}

/** The intent an example stands for when its line does not say. */
export function intentOf(e: TrainingExample): Intent {
  if (e.intent) return e.intent
  if (!e.isRequest) return 'chat'
  return e.category === 'policy_consult' ? 'question' : 'request'
}

/** Trains the category, intent and urgency heads from labelled examples. */
export function trainTriageModel(examples: TrainingExample[]): TriageModel {
  const grams = examples.map((e) => ngrams(e.text))
  const vocab: Vocabulary = new Map()
  for (const set of grams) for (const g of set) if (!vocab.has(g)) vocab.set(g, vocab.size)
  const ids = grams.map((set) => toIds(vocab, set))
  const intentsOf = examples.map(intentOf)
  const docsFor = (label: (i: number) => number): Doc[] => ids.map((x, i) => ({ ids: x, label: label(i) }))
  const categories = trainHead(
    docsFor((i) =>
      CLASSES.indexOf(intentsOf[i] === 'chat' ? 'none' : (examples[i] as TrainingExample).category),
    ),
    CLASSES.length,
    vocab.size,
  )
  const intents = trainHead(
    docsFor((i) => INTENTS.indexOf(intentsOf[i] as Intent)),
    INTENTS.length,
    vocab.size,
  )
  // Urgency is learned from every message: questions and chit-chat about danger are "normal".
  const urgency = trainHead(
    docsFor((i) => ((examples[i] as TrainingExample).urgent && intentsOf[i] === 'request' ? 0 : 1)),
    2,
    vocab.size,
  )
  function predictGrams(set: Set<string>): ModelPrediction {
    const x = toIds(vocab, set)
    const p = headProbs(categories, x)
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
    const ip = headProbs(intents, x)
    return {
      probs,
      best,
      bestProb,
      urgentProb: headProbs(urgency, x)[0] ?? 0,
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
