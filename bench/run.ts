import os from 'node:os'
import path from 'node:path'
import { CaseModel } from '../src/models/case.model.js'
import { ResidentModel } from '../src/models/registry.model.js'
import { benchApi } from './api.bench.js'
import { closeBenchService, demoChatScene, openBenchService } from './bench-service.js'
import { benchBroadcast, benchCity } from './city.bench.js'
import { type Metric, round, rssSampler } from './measure.js'
import { benchOutbox } from './outbox.bench.js'
import { benchEchoBot, benchPipeline } from './pipeline.bench.js'
import { benchKb, benchTriage } from './triage-kb.bench.js'

// `npm run bench [-- --json] [--quick] [--households N] [--import-rows N] [--seconds N] [--only a,b]
// [--outbox-scale N] [--recipients N] [--outbox-seconds N]`:
// every figure next to its baseline, measured in one run on a fresh database (dropped at the end)
// of a fresh embedded server in a temporary folder, or of MONGODB_URI under a fresh database name.

const STAGES = ['triage', 'kb', 'pipeline', 'echo', 'api', 'city', 'broadcast', 'outbox'] as const
/** The stages that talk through the demo community (seeded only when one of them runs). */
const NEED_SCENE: readonly Stage[] = ['pipeline', 'api']
type Stage = (typeof STAGES)[number]

interface Options {
  json: boolean
  quick: boolean
  households: number
  importRows: number
  seconds: number
  latencySeconds: number
  apiSeconds: number
  kbChunks: number
  outboxScale: number
  recipients: number
  outboxSeconds: number
  only: Set<Stage>
}

function readOptions(argv: string[]): Options {
  const flag = (name: string) => argv.includes(`--${name}`)
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const num = (name: string, full: number, quick: number) => {
    const v = Number(value(name) ?? (flag('quick') ? quick : full))
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`)
    return Math.floor(v)
  }
  const only = (value('only') ?? STAGES.join(',')).split(',') as Stage[]
  const unknown = only.filter((s) => !STAGES.includes(s))
  if (unknown.length > 0) throw new Error(`unknown stage ${unknown.join(',')}; stages: ${STAGES.join(',')}`)
  return {
    json: flag('json'),
    quick: flag('quick'),
    households: num('households', 283_000, 20_000),
    importRows: num('import-rows', 283_000, 10_000),
    seconds: num('seconds', 20, 5),
    latencySeconds: num('latency-seconds', 10, 5),
    apiSeconds: num('api-seconds', 10, 5),
    kbChunks: num('kb-chunks', 5000, 5000),
    outboxScale: num('outbox-scale', 5, 5),
    recipients: num('recipients', 2000, 2000),
    outboxSeconds: num('outbox-seconds', 30, 10),
    only: new Set(only),
  }
}

function print(m: Metric, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(m)}\n`)
  else
    process.stdout.write(
      `${m.metric.padEnd(26)} ${String(m.value).padStart(10)} ${m.unit.padEnd(7)} ${m.note ?? ''}\n`,
    )
}

/** Runs one stage; a failing stage is reported and the others still run. */
async function stage(name: Stage, o: Options, fn: () => Promise<Metric[]> | Metric[]): Promise<void> {
  if (!o.only.has(name)) return
  const started = Date.now()
  try {
    for (const m of await fn()) print(m, o.json)
  } catch (err) {
    print({ metric: `${name}_failed`, value: Number.NaN, unit: '-', note: String(err) }, o.json)
  }
  if (!o.json) process.stderr.write(`  (${name}: ${round((Date.now() - started) / 1000)} s)\n`)
}

/** The resident with the most reported cases (the pipeline's), so `cases/mine` has rows to read. */
async function busiestReporter(fallback: string): Promise<string> {
  const rows = await CaseModel.aggregate<{ _id: unknown; n: number }>([
    { $match: { reporterId: { $exists: true } } },
    { $group: { _id: '$reporterId', n: { $sum: 1 } } },
    { $sort: { n: -1 } },
    { $limit: 1 },
  ])
  if (rows[0]?._id) return String(rows[0]._id)
  // No cases yet (the pipeline stage did not run): a resident with a home, who will report some.
  const resident = await ResidentModel.findOne(
    { roles: 'resident', householdId: { $exists: true } },
    { _id: 1 },
  )
    .lean()
    .exec()
  return resident ? String(resident._id) : fallback
}

async function main(): Promise<void> {
  const o = readOptions(process.argv.slice(2))
  const rss = rssSampler()
  const b = await openBenchService()
  const { services } = b.service
  const idleMb = rss.nowMb()
  if (!o.json) {
    process.stdout.write(
      `Linli benchmark${o.quick ? ' (--quick: smaller city, shorter runs)' : ''} on ${b.embedded ? 'a fresh embedded FerretDB in a temporary folder' : 'MONGODB_URI'} (database ${b.dbName}); node ${process.version}, ${os.cpus().length} cores, ${round(os.totalmem() / 2 ** 30)} GiB\n\n`,
    )
  }
  const demo = NEED_SCENE.some((s) => o.only.has(s)) ? await demoChatScene(b) : undefined
  const scene = () => {
    if (!demo) throw new Error('the demo scene was not set up')
    return demo.scene
  }
  await stage('triage', o, () => benchTriage(services, o.quick ? 2 : 5))
  await stage('kb', o, () => benchKb(services, { minChunks: o.kbChunks, questions: o.quick ? 100 : 300 }))
  await stage('pipeline', o, () =>
    benchPipeline(scene(), {
      seconds: o.seconds,
      window: 32,
      latencySeconds: o.latencySeconds,
      offeredPerSecond: 100,
    }),
  )
  await stage('echo', o, () => benchEchoBot({ seconds: o.seconds, window: 32 }))
  await stage('api', o, async () =>
    benchApi(services, {
      personId: await busiestReporter(demo?.seed.grids[0]?.primaryWorker.id ?? ''),
      seconds: o.apiSeconds,
      connections: 10,
      uploadsDir: path.join(b.tmp, 'uploads'),
    }),
  )
  rss.reset()
  await stage('city', o, () =>
    benchCity(services, b.service.config, { households: o.households, importRows: o.importRows }),
  )
  await stage('broadcast', o, () => benchBroadcast(services))
  await stage('outbox', o, async () => {
    // The service's own sender would poll the same lane indexes meanwhile: paused for the stage.
    await b.service.bot?.sender.stop()
    try {
      return await benchOutbox(services, b.service.config, {
        recipients: o.recipients,
        seconds: o.outboxSeconds,
        scale: o.outboxScale,
      })
    } finally {
      await b.service.bot?.sender.start()
    }
  })
  if (o.only.has('city') || o.only.has('broadcast'))
    print(
      {
        metric: 'rss_mb',
        value: round(rss.peakMb()),
        unit: 'MiB',
        note: `peak of the service process during the city stages; baseline ${round(idleMb)} MiB just after start`,
      },
      o.json,
    )
  rss.stop()
  await closeBenchService(b)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
