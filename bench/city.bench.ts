import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Types } from 'mongoose'
import type { Config } from '../src/lib/config.js'
import type { Services } from '../src/main.js'
import { CommunityModel, GridModel } from '../src/models/registry.model.js'
import { RoomBindingModel } from '../src/models/room-binding.model.js'
import { idCheckChar } from '../src/services/registry/registry.validation.js'
import { seedCity } from '../src/services/registry/seed-city.js'
import { type Metric, round } from './measure.js'

const execFileAsync = promisify(execFile)

const pad = (n: number, w: number) => String(n).padStart(w, '0')

/** Row `i` of a household sheet (one resident each, 116 a grid, 15 grids a community). */
function householdLine(i: number): string {
  const perGrid = 116
  const g = Math.floor(i / perGrid)
  const c = Math.floor(g / 15)
  const k = i % perGrid
  const building = (g % 15) * 4 + (k % 4) + 1
  const slot = Math.floor(k / 4)
  const room = (Math.floor(slot / 2) + 1) * 100 + (slot % 2) + 1
  const birth = `${1940 + (i % 60)}${pad(1 + (Math.floor(i / 60) % 12), 2)}${pad(1 + (Math.floor(i / 720) % 28), 2)}`
  const first17 = `150602${birth}${pad(Math.floor(i / 20160) % 1000, 3)}`
  return [
    `I${pad(c + 1, 4)}`,
    `导入社区${c + 1}`,
    `I${pad(c + 1, 4)}-${pad((g % 15) + 1, 2)}`,
    `第${(g % 15) + 1}网格`,
    `${building}号楼`,
    `${(slot % 2) + 1}单元`,
    String(room),
    `居民${i}`,
    `139${pad(i, 8)}`,
    first17 + idCheckChar(first17),
  ].join(',')
}

const SHEET_HEADER = '社区编号,社区,网格编号,网格名称,楼栋,单元,房号,姓名,手机号,身份证号'

/** A household sheet of `rows` rows as bytes (small sheets for tests). */
export function householdSheet(rows: number): Buffer {
  const lines = [SHEET_HEADER]
  for (let i = 0; i < rows; i++) lines.push(householdLine(i))
  return Buffer.from(lines.join('\n'), 'utf8')
}

/** Writes a household sheet of `rows` rows to `file` a thousand lines at a time; returns its size. */
export async function writeHouseholdSheet(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file)
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve())))
  await write(`${SHEET_HEADER}\n`)
  for (let i = 0; i < rows; i += 1000) {
    const lines: string[] = []
    for (let j = i; j < Math.min(rows, i + 1000); j++) lines.push(householdLine(j))
    await write(`${lines.join('\n')}\n`)
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  )
  return (await stat(file)).size
}

interface ChildImport {
  startMb: number
  peakMb: number
  heapMb: number
  durationMs: number
  households: { created: number; updated: number; skipped: number }
  residents: number
  errors: number
}

/** Node flags for the import's process (`BENCH_IMPORT_NODE_FLAGS`, e.g. a heap cap); none by default. */
const importFlags = process.env.BENCH_IMPORT_NODE_FLAGS?.split(' ').filter(Boolean) ?? []

/** Runs bench/import-child.ts on the benchmark's database: the import alone in a process of its own. */
async function importInChild(uri: string, file: string): Promise<ChildImport> {
  const script = fileURLToPath(new URL('./import-child.ts', import.meta.url))
  const { stdout } = await execFileAsync(
    process.execPath,
    [...importFlags, '--import', 'tsx', script, uri, file],
    {
      maxBuffer: 1 << 20,
      timeout: 60 * 60 * 1000,
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildImport
}

/**
 * City seed time; the sheet import (streamed from a file, as `linli import` does) next to the seed's
 * own raw household insert rate, and the import's peak RSS next to the RSS just after start.
 */
export async function benchCity(
  services: Services,
  config: Config,
  o: { households: number; importRows: number; tmp: string; startRssMb: number },
): Promise<Metric[]> {
  const seed = await seedCity({ clock: services.clock }, { households: o.households })
  const seedS = seed.durationMs / 1000
  const file = path.join(o.tmp, `households-${o.importRows}.csv`)
  const bytes = await writeHouseholdSheet(file, o.importRows)
  const child = await importInChild(config.database.uri ?? '', file)
  await rm(file, { force: true })
  const summary = { ...child, residents: { created: child.residents }, errors: { length: child.errors } }
  const imported = summary.households.created + summary.households.updated
  const importRate = (imported * 1000) / summary.durationMs
  const rawRate = (seed.inserted.households * 1000) / seed.durationMs
  return [
    {
      metric: 'seed_city_s',
      value: round(seedS),
      unit: 's',
      note: `${seed.communities} communities, ${seed.grids} grids, ${seed.gridWorkers} workers, ${seed.households} households (bulk insertMany)`,
    },
    {
      metric: 'import_households_per_s',
      value: round(importRate),
      unit: 'rows/s',
      note: `${o.importRows}-row CSV file (${round(bytes / 2 ** 20)} MiB, streamed), ${imported} households + ${summary.residents.created} residents in ${round(summary.durationMs / 1000)} s, ${summary.errors.length} bad rows`,
    },
    {
      metric: 'seed_households_per_s',
      value: round(rawRate),
      unit: 'docs/s',
      note: 'baseline: the city seed’s bulk insert of bare household documents',
    },
    {
      metric: 'import_peak_rss_mb',
      value: round(child.peakMb),
      unit: 'MiB',
      note: `peak RSS (kernel high-water mark) of the import in its own process, as \`linli import\` runs it${importFlags.length ? ` (node ${importFlags.join(' ')})` : ''}; live heap peak ${round(child.heapMb)} MiB; baseline ${round(child.startMb)} MiB in that process just after connecting (the service process: ${round(o.startRssMb)} MiB just after start)`,
    },
  ]
}

/** A notice to every grid group of the city (one per community), planned and enqueued. */
/** How many community offices send their notices at the same moment in the second broadcast run. */
const BROADCAST_OFFICES_AT_ONCE = 8

export async function benchBroadcast(services: Services): Promise<Metric[]> {
  const grids = await GridModel.find({ code: /^C\d{4}-/ }, { code: 1, communityId: 1 }).lean()
  const communities = await CommunityModel.find({ code: /^C\d{4}$/ }, { code: 1 }).lean()
  const codeOf = new Map(communities.map((c) => [String(c._id), c.code]))
  await RoomBindingModel.insertMany(
    grids.map((g) => ({
      roomId: `city-${g.code}@chatroom`,
      topic: `${g.code}网格群`,
      scope: 'grid',
      gridId: g._id,
      gridCode: g.code,
      communityId: g.communityId,
      communityCode: codeOf.get(String(g.communityId)) ?? 'C0000',
    })),
    { ordered: false },
  )
  const actor = {
    personId: String(new Types.ObjectId()),
    roles: ['admin' as const],
    communityIds: [],
    gridIds: [],
  }
  const notify = async (c: (typeof communities)[number], title: string) => {
    const n = await services.notices.create(
      { communityId: String(c._id), title, body: '明天上午9点至12点因管网检修停水，请提前储水。' },
      actor,
    )
    return (await services.notices.send(n.id, { confirm: true }, actor)).enqueued
  }
  // One office after another.
  const started = performance.now()
  let enqueued = 0
  for (const c of communities) enqueued += await notify(c, '停水通知')
  const planMs = performance.now() - started
  // The same 163 notices again, eight offices sending at once (as on a morning when every
  // community posts the same water cut): each still planned and sent on its own.
  const together = performance.now()
  let enqueuedTogether = 0
  const queue = [...communities]
  await Promise.all(
    Array.from({ length: BROADCAST_OFFICES_AT_ONCE }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const n = await notify(c, '停水通知（第二天）')
        enqueuedTogether += n
      }
    }),
  )
  const togetherMs = performance.now() - together
  // The same water cut as one city notice (街道、城市通知): one request for all 163 communities.
  const batchStarted = performance.now()
  const batch = await services.notices.sendBatch(
    { title: '停水通知（全市）', body: '明天上午9点至12点因管网检修停水，请提前储水。', confirm: true },
    actor,
    `bench-city-${Date.now()}`,
  )
  const batchMs = performance.now() - batchStarted
  const t = performance.now()
  const raw = await services.outbox.enqueueMany(
    grids.map((g) => ({
      key: `bench-raw:${g.code}`,
      to: { type: 'room' as const, id: `city-${g.code}@chatroom` },
      text: '明天上午9点至12点因管网检修停水，请提前储水。',
      kind: 'notice',
    })),
  )
  const rawMs = performance.now() - t
  return [
    {
      metric: 'broadcast_plan_ms',
      value: round(planMs),
      unit: 'ms',
      note: `${communities.length} notices (one per community), ${enqueued} group messages enqueued for ${grids.length} grids`,
    },
    {
      metric: 'broadcast_plan_together_ms',
      value: round(togetherMs),
      unit: 'ms',
      note: `the same ${communities.length} notices, ${BROADCAST_OFFICES_AT_ONCE} offices sending at once; ${enqueuedTogether} group messages`,
    },
    {
      metric: 'broadcast_city_notice_ms',
      value: round(batchMs),
      unit: 'ms',
      note: `one city notice (POST /notices/batch) to ${batch.notices.length} communities: ${batch.enqueued} group messages enqueued`,
    },
    {
      metric: 'outbox_bulk_enqueue_ms',
      value: round(rawMs),
      unit: 'ms',
      note: `baseline: one enqueueMany of ${raw} messages`,
    },
  ]
}
