import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import mongoose from 'mongoose'
import { systemClock } from '../src/lib/clock.js'
import { loadConfig } from '../src/lib/config.js'
import { openDatabase } from '../src/lib/database.js'
import { silentLogger } from '../src/lib/logger.js'
import { KbChunkModel, KbDocumentModel, KbQuestionModel } from '../src/models/kb.model.js'
import '../src/models/lock.model.js'
import { createKbService, kbSettingsFromConfig } from '../src/services/kb/kb.service.js'
import {
  type AbstainFeatures,
  type AbstainModel,
  answerProbability,
  FEATURE_NAMES,
} from '../src/services/kb/kb-abstain.js'
import { readQaSet } from './kb.eval.js'

// `npx tsx eval/kb-fit-abstain.ts [--write]`: fits the answer-or-abstain model on the project's own
// question sets (never the blind kb-fresh-3), prints a leave-one-set-out check (each set scored by a
// model fitted on the others), and with --write stores the model in config/kb-abstain-model.json.
// Label: 1 when answering is right (the question is covered and its document ranks first), else 0.

const repo = path.resolve(import.meta.dirname, '..')
const shared = process.env.LINLI_EVAL_DIR ?? path.resolve(repo, '..', 'shared', 'eval-dev')
const base = [path.join(shared, 'kb'), path.join(repo, 'eval', 'kb-extra')]
const SETS: Array<{ name: string; folders: string[]; qa: string }> = [
  { name: 'sample', folders: [path.join(shared, 'kb')], qa: path.join(shared, 'qa.jsonl') },
  { name: 'kb-hard', folders: base, qa: path.join(repo, 'eval', 'kb-hard.jsonl') },
  { name: 'kb-holdout', folders: base, qa: path.join(repo, 'eval', 'kb-holdout.jsonl') },
  { name: 'kb-facts', folders: base, qa: path.join(repo, 'eval', 'kb-facts.jsonl') },
  {
    name: 'kb-fresh-1',
    folders: [...base, path.join(repo, 'eval', 'kb-fresh')],
    qa: path.join(repo, 'eval', 'kb-fresh-1.jsonl'),
  },
  {
    name: 'kb-fresh-2',
    folders: [...base, path.join(repo, 'eval', 'kb-fresh'), path.join(repo, 'eval', 'kb-fresh-2')],
    qa: path.join(repo, 'eval', 'kb-fresh-2.jsonl'),
  },
  { name: 'kb-demo', folders: [path.join(repo, 'demo', 'kb')], qa: path.join(repo, 'eval', 'kb-demo.jsonl') },
  {
    name: 'kb-tune',
    folders: [
      ...base,
      path.join(repo, 'eval', 'kb-fresh'),
      path.join(repo, 'eval', 'kb-fresh-2'),
      path.join(repo, 'eval', 'kb-tune'),
    ],
    qa: path.join(repo, 'eval', 'kb-tune.jsonl'),
  },
]

interface Sample {
  set: string
  x: number[]
  y: number
}

async function collect(): Promise<Sample[]> {
  const config = loadConfig(process.env, { configDir: path.join(repo, 'config') })
  const database = await openDatabase(config, silentLogger, {
    dbName: `linli_fit_${randomBytes(4).toString('hex')}`,
  })
  const out: Sample[] = []
  try {
    for (const set of SETS) {
      if (!existsSync(set.qa) || set.folders.some((f) => !existsSync(f))) continue
      await Promise.all([
        KbDocumentModel.deleteMany({}),
        KbChunkModel.deleteMany({}),
        KbQuestionModel.deleteMany({}),
      ])
      const kb = createKbService({
        logger: silentLogger,
        clock: systemClock,
        ...kbSettingsFromConfig(config),
      })
      for (const f of set.folders) await kb.importFolder(f)
      const retired = new Set((await kb.listDocuments()).filter((d) => !d.answering).map((d) => d.docId))
      for (const line of readQaSet(set.qa)) {
        const f = await kb.inspect(line.q)
        if (!f) continue
        const hits = await kb.search(line.q, 1)
        const covered = line.doc !== null && !retired.has(line.doc)
        const right = covered && hits[0]?.chunk.docId === line.doc
        out.push({
          set: set.name,
          x: FEATURE_NAMES.map((n) => f[n as keyof AbstainFeatures]),
          y: right ? 1 : 0,
        })
      }
    }
  } finally {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined)
    await database.close()
  }
  return out
}

/** L2-regularised logistic regression by gradient descent (a few hundred samples, eight features). */
function fitModel(samples: Sample[], lambda = 0.01, steps = 4000, rate = 0.5): { w: number[]; b: number } {
  const d = FEATURE_NAMES.length
  const w = new Array<number>(d).fill(0)
  let b = 0
  const n = samples.length
  for (let step = 0; step < steps; step++) {
    const gw = new Array<number>(d).fill(0)
    let gb = 0
    for (const s of samples) {
      const z = b + s.x.reduce((a, v, i) => a + v * (w[i] as number), 0)
      const err = 1 / (1 + Math.exp(-z)) - s.y
      for (let i = 0; i < d; i++) gw[i] = (gw[i] as number) + err * (s.x[i] as number)
      gb += err
    }
    for (let i = 0; i < d; i++)
      w[i] = (w[i] as number) - rate * ((gw[i] as number) / n + lambda * (w[i] as number))
    b -= rate * (gb / n)
  }
  return { w, b }
}

function asModel(m: { w: number[]; b: number }, threshold: number, note?: string): AbstainModel {
  return {
    weights: Object.fromEntries(
      FEATURE_NAMES.map((name, i) => [name, Math.round((m.w[i] as number) * 1000) / 1000]),
    ),
    bias: Math.round(m.b * 1000) / 1000,
    threshold,
    ...(note ? { note } : {}),
  }
}

/** Answered-right rate among covered, abstained rate among the rest, at a threshold. */
function score(samples: Sample[], model: AbstainModel) {
  const answer = (s: Sample) =>
    answerProbability(
      Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, s.x[i]])) as unknown as AbstainFeatures,
      model,
    ) >= model.threshold
  const pos = samples.filter((s) => s.y === 1)
  const neg = samples.filter((s) => s.y === 0)
  return {
    answeredWhenRight: pos.filter(answer).length / Math.max(1, pos.length),
    abstainedWhenNot: neg.filter((s) => !answer(s)).length / Math.max(1, neg.length),
    n: samples.length,
  }
}

/** The threshold that maximises balanced accuracy on the samples (for the per-set check). */
function bestThreshold(samples: Sample[], m: { w: number[]; b: number }): number {
  let best = 0.5
  let bestValue = -1
  for (let t = 0.2; t <= 0.8; t += 0.02) {
    const r = score(samples, asModel(m, t))
    const value = (r.answeredWhenRight + r.abstainedWhenNot) / 2
    if (value > bestValue) {
      bestValue = value
      best = Math.round(t * 100) / 100
    }
  }
  return best
}

const samples = await collect()
const sets = [...new Set(samples.map((s) => s.set))]
console.log(
  `samples: ${samples.length} (${samples.filter((s) => s.y === 1).length} answer-right) over ${sets.join(', ')}`,
)
console.log('leave-one-set-out (each set scored by a model fitted on the others):')
for (const held of sets) {
  const train = samples.filter((s) => s.set !== held)
  const m = fitModel(train)
  const r = score(
    samples.filter((s) => s.set === held),
    asModel(m, bestThreshold(train, m)),
  )
  const heldOut = samples.filter((s) => s.set === held)
  const pos = heldOut.filter((s) => s.y === 1)
  const neg = heldOut.filter((s) => s.y === 0)
  const ruleAnswers = (s: Sample) => (s.x[0] as number) >= 0.4
  console.log(
    `  ${held.padEnd(11)} answered when right ${r.answeredWhenRight.toFixed(3)}  abstained otherwise ${r.abstainedWhenNot.toFixed(3)}  (n=${r.n}; coverage ≥ 0.4 alone: ${(pos.filter(ruleAnswers).length / Math.max(1, pos.length)).toFixed(3)} / ${(neg.filter((s) => !ruleAnswers(s)).length / Math.max(1, neg.length)).toFixed(3)})`,
  )
}
// Pooled leave-one-set-out probabilities against the single-coverage rule, at several thresholds.
const pooled: Array<{ p: number; y: number; cov: number }> = []
for (const held of sets) {
  const m = fitModel(samples.filter((s) => s.set !== held))
  for (const s of samples.filter((x) => x.set === held)) {
    const f = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, s.x[i]])) as unknown as AbstainFeatures
    pooled.push({ p: answerProbability(f, asModel(m, 0.5)), y: s.y, cov: s.x[0] as number })
  }
}
const rates = (answer: (x: { p: number; cov: number }) => boolean) => {
  const pos = pooled.filter((x) => x.y === 1)
  const neg = pooled.filter((x) => x.y === 0)
  return `${(pos.filter(answer).length / pos.length).toFixed(3)} / ${(neg.filter((x) => !answer(x)).length / neg.length).toFixed(3)}`
}
console.log(
  `pooled, answered when right / abstained otherwise: coverage ≥ 0.4 rule ${rates((x) => x.cov >= 0.4)}`,
)
for (const t of [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75])
  console.log(`  model ≥ ${t}: ${rates((x) => x.p >= t)}`)
for (const c of [0.3, 0.35, 0.45]) console.log(`  coverage ≥ ${c}: ${rates((x) => x.cov >= c)}`)

// The threshold: the best balance on the held-out (pooled) predictions among those that answer at
// least as many answerable questions as the single-coverage rule did — fewer false declines first.
const share = (answer: (x: { p: number; cov: number }) => boolean) => {
  const pos = pooled.filter((x) => x.y === 1)
  const neg = pooled.filter((x) => x.y === 0)
  return [pos.filter(answer).length / pos.length, neg.filter((x) => !answer(x)).length / neg.length] as const
}
const [ruleRight] = share((x) => x.cov >= 0.4)
let threshold = 0.5
let bestBalance = -1
for (let t = 0.3; t <= 0.8; t += 0.01) {
  const [right, abstained] = share((x) => x.p >= t)
  if (right >= ruleRight && (right + abstained) / 2 > bestBalance) {
    bestBalance = (right + abstained) / 2
    threshold = Math.round(t * 100) / 100
  }
}
const m = fitModel(samples)
const all = score(samples, asModel(m, threshold))
const model = asModel(
  m,
  threshold,
  `fitted ${new Date().toISOString().slice(0, 10)} on ${sets.join(', ')} (${samples.length} questions; never kb-fresh-3): answered when right ${all.answeredWhenRight.toFixed(3)}, abstained otherwise ${all.abstainedWhenNot.toFixed(3)}`,
)
console.log(JSON.stringify(model, null, 2))
if (process.argv.includes('--write')) {
  writeFileSync(path.join(repo, 'config', 'kb-abstain-model.json'), `${JSON.stringify(model, null, 2)}\n`)
  console.log('written: config/kb-abstain-model.json')
}
