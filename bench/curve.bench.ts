import { spawn } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensurePgIndexesLogged } from '../src/lib/database.js'
import { silentLogger } from '../src/lib/logger.js'
import { seedCity } from '../src/services/registry/seed-city.js'
import { busiestReporter, cannon, casesMineServer, close } from './api.bench.js'
import { closeBenchService, demoChatScene, openBenchService } from './bench-service.js'
import { percentile, round, sleep, waitFor } from './measure.js'
import { fixedLoad, speak } from './pipeline.bench.js'

// `npm run bench -- --curve [--curve-sizes 1000,10000,50000,283000] [--curve-backends postgresql,sqlite]
// [--curve-cap-s 900] [--json]`: the capacity curve. Each point (backend × households) runs in a
// process of its own on a fresh embedded server, killed at the cap; what it reached is reported.

export const CURVE_SIZES = [1000, 10_000, 50_000, 283_000]
export const CURVE_BACKENDS = ['postgresql', 'sqlite'] as const

/** The fixed offered chat load at every point: 2 messages a second for 15 s (30 messages). */
const CHAT = { rate: 2, seconds: 15, waitMs: 60_000 }
/** The `cases/mine` run: 5 s, 4 connections. */
const API = { seconds: 5, connections: 4 }

/** What one point reports, stage by stage (the parent keeps the last line a point printed). */
export interface CurvePoint {
  backend: string
  households: number
  stage: 'start' | 'seed' | 'warm' | 'chat' | 'api' | 'done'
  seedS?: number
  /** Of the residents' first messages, how many were handled within the wait. */
  warmed?: number
  chat?: { p50: number; p95: number; answered: number; offered: number }
  mine?: { p50: number; p97_5: number; rps: number; non2xx: number; cases: number }
  /** Proportional set size (MiB) of the service process and of its database servers. */
  memory?: { serviceMb: number; databaseMb: number }
  error?: string
}

/** PSS (shared pages split between their sharers) of a process, in MiB; 0 when it is gone. */
function pssMb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** Every process descending from `root` (the embedded FerretDB and PostgreSQL it started). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(name), Number(fields[1]))
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = []
  const walk = (pid: number) => {
    for (const [child, p] of parent) {
      if (p === pid) {
        out.push(child)
        walk(child)
      }
    }
  }
  walk(root)
  return out
}

function memory(): NonNullable<CurvePoint['memory']> {
  const databaseMb = descendants(process.pid).reduce((sum, pid) => sum + pssMb(pid), 0)
  return { serviceMb: round(pssMb(process.pid)), databaseMb: round(databaseMb) }
}

/** One point of the curve, in this process: prints a JSON line after each stage. */
export async function curvePoint(backend: string, households: number): Promise<void> {
  const point: CurvePoint = { backend, households, stage: 'start' }
  const started = Date.now()
  const report = () =>
    process.stdout.write(`${JSON.stringify({ ...point, elapsedS: round((Date.now() - started) / 1000) })}\n`)
  process.env.LINLI_EMBEDDED_BACKEND = backend
  const b = await openBenchService()
  try {
    const { seed, scene } = await demoChatScene(b)
    const { services } = b.service
    // CURVE_NO_CITY=1: the demo community alone (no city structure), to tell its cost apart.
    const bare = process.env.CURVE_NO_CITY ? { households: 0, grids: 0, gridWorkers: 0 } : { households }
    const city = await seedCity({ clock: services.clock }, bare)
    // As at a service start on existing data: the GIN indexes of collections the seeds created.
    if (b.embedded?.pg) await ensurePgIndexesLogged(silentLogger, b.embedded.pg, b.dbName)
    Object.assign(point, { stage: 'seed', seedS: round(city.durationMs / 1000), memory: memory() })
    report()
    // Every resident speaks once: their first message creates their record (a one-time cost).
    const warm = scene.handled()
    for (const _ of scene.residentIds) speak(scene)
    await waitFor(async () => scene.handled() - warm >= scene.residentIds.length, CHAT.waitMs)
    point.warmed = scene.handled() - warm
    point.stage = 'warm'
    report()
    const lat = await fixedLoad(scene, CHAT.rate, CHAT.seconds, CHAT.waitMs)
    point.chat = {
      p50: round(percentile(lat.latencies, 50)),
      p95: round(percentile(lat.latencies, 95)),
      answered: lat.latencies.length,
      offered: lat.total,
    }
    Object.assign(point, { stage: 'chat', memory: memory() })
    report()
    const personId = await busiestReporter(seed.grids[0]?.primaryWorker.id ?? '')
    // After an overloaded chat stage the driver has been seen to hand out an ended implicit session
    // (MongoExpiredSessionError) once: the session is issued again rather than the point lost.
    const server = () => casesMineServer(services, { personId, uploadsDir: path.join(b.tmp, 'uploads') })
    const { token, api } = await server().catch(async () => {
      await sleep(1000)
      return server()
    })
    const probe = await fetch(`${api.url}/api/v1/cases/mine`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const body = (await probe.json()) as { items?: unknown[] }
    const mine = await cannon(`${api.url}/api/v1/cases/mine`, { ...API, token })
    await close(api.server)
    point.mine = {
      p50: mine.latency.p50,
      p97_5: mine.latency.p97_5,
      rps: round(mine.requests.average),
      non2xx: mine.non2xx,
      cases: body.items?.length ?? 0,
    }
    Object.assign(point, { stage: 'done', memory: memory() })
    report()
  } catch (err) {
    point.error = `failed after stage «${point.stage}»: ${err instanceof Error ? err.message : String(err)}`
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    report()
  } finally {
    await closeBenchService(b).catch(() => undefined)
  }
}

/** Runs one point in a child process, killed after `capS` seconds; returns the last thing it said. */
function runPoint(backend: string, households: number, capS: number): Promise<CurvePoint> {
  const script = fileURLToPath(new URL('./run.ts', import.meta.url))
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, '--curve-point', `${backend}:${households}`],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    )
    let last: CurvePoint = { backend, households, stage: 'start' }
    let buffer = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        try {
          last = JSON.parse(line) as CurvePoint
        } catch {
          // not a point line
        }
      }
    })
    // The point's own log, for when it fails: os.tmpdir()/linli-curve-<backend>-<size>.log.
    const log = createWriteStream(path.join(os.tmpdir(), `linli-curve-${backend}-${households}.log`))
    child.stderr.on('data', (d: Buffer) => {
      log.write(d)
      stderr = (stderr + d.toString()).slice(-2000)
    })
    // The whole group: the point's embedded FerretDB and PostgreSQL go with it.
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    }, capS * 1000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      log.end()
      if (timedOut) last.error = `stopped at the ${capS} s cap after stage «${last.stage}»`
      else if (code !== 0) last.error = `exit ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`
      resolve(last)
    })
  })
}

const cell = (v: string | number | undefined) => (v === undefined ? '—' : String(v))

/** One table row of a point, as docs/benchmarks.md shows it. */
function row(p: CurvePoint): string {
  const chat = p.chat
    ? p.chat.answered < p.chat.offered
      ? `p95 > ${CHAT.waitMs / 1000} s (${p.chat.answered} of ${p.chat.offered} answered${p.chat.answered ? `; p95 of those ${p.chat.p95} ms` : ''})`
      : `${p.chat.p95} ms (p50 ${p.chat.p50})`
    : undefined
  const mine = p.mine
    ? `${p.mine.p97_5} ms (p50 ${p.mine.p50}; ${p.mine.rps} req/s, ${p.mine.cases} cases${p.mine.non2xx ? `, ${p.mine.non2xx} non-2xx` : ''})`
    : undefined
  const mem = p.memory ? `${p.memory.serviceMb} + ${p.memory.databaseMb}` : undefined
  return `| ${p.backend} | ${p.households.toLocaleString('en')} | ${cell(p.seedS)} | ${cell(chat)} | ${cell(mine)} | ${cell(mem)} | ${p.error ?? 'complete'} |`
}

/** The curve: every backend × size, one fresh process and server each, bounded by `capS`. */
export async function runCurve(o: {
  sizes: number[]
  backends: string[]
  capS: number
  json: boolean
}): Promise<void> {
  const out = (s: string) => process.stdout.write(s)
  if (!o.json) {
    out(
      `Capacity curve, ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${round(os.totalmem() / 2 ** 30)} GiB; chat: ${CHAT.rate} msg/s offered for ${CHAT.seconds} s through the whole pipeline (mock puppet), answers awaited ${CHAT.waitMs / 1000} s; cases/mine: autocannon ${API.connections} connections × ${API.seconds} s; cap ${o.capS} s a point\n\n`,
    )
    out(
      '| backend | households | seed (s) | chat reply p95 | `cases/mine` p97.5 | memory MiB (service + database, PSS) | run |\n',
    )
    out('|---|---|---|---|---|---|---|\n')
  }
  for (const backend of o.backends) {
    for (const size of o.sizes) {
      const p = await runPoint(backend, size, o.capS)
      out(o.json ? `${JSON.stringify(p)}\n` : `${row(p)}\n`)
    }
  }
}
