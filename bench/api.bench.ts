import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import path from 'node:path'
import Koa from 'koa'
import { Types } from 'mongoose'
import { createApp } from '../src/http/app.js'
import { authenticate } from '../src/http/middleware/auth.js'
import { casesRoutes } from '../src/http/routes/cases.routes.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Services } from '../src/main.js'
import { CaseModel } from '../src/models/case.model.js'
import { CaseFollowModel } from '../src/models/case-follow.model.js'
import { ResidentModel } from '../src/models/registry.model.js'
import { type Metric, round } from './measure.js'

interface CannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p90: number; p97_5: number; p99: number }
  non2xx: number
  errors: number
}

/** Runs autocannon in its own process (so it does not share the server's event loop). */
export function cannon(
  url: string,
  o: { seconds: number; connections: number; token?: string },
): Promise<CannonResult> {
  const bin = path.resolve('node_modules', '.bin', 'autocannon')
  const args = ['-j', '-c', String(o.connections), '-d', String(o.seconds)]
  if (o.token) args.push('-H', `Authorization=Bearer ${o.token}`)
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, url], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 30) * 1000)
    child.once('error', reject)
    child.once('exit', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(out) as CannonResult)
      } catch {
        reject(new Error(`autocannon gave no result: ${out.slice(0, 200)}`))
      }
    })
  })
}

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = createServer(handler)
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` })
    })
  })
}

export const close = (s: Server) => new Promise<void>((r) => s.close(() => r()))

/** The resident with the most reported cases (the pipeline's), so `cases/mine` has rows to read. */
export async function busiestReporter(fallback: string): Promise<string> {
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

/** The case routes behind the real authentication on a loopback port, and a session of `personId`. */
export async function casesMineServer(services: Services, o: { personId: string; uploadsDir: string }) {
  const token = (await services.auth.issueSession(o.personId)).accessToken
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: 256,
    middleware: [authenticate(services.auth)],
    routers: [casesRoutes({ cases: services.cases, uploadsDir: o.uploadsDir, registry: services.registry })],
  })
  return { token, api: await listen(app.callback()) }
}

const PROBLEMS = ['楼道灯坏了', '电梯门关不上', '下水道堵了', '暖气不热', '门禁刷不开', '垃圾没人清']

/**
 * A resident's list as the mini-program shows it: a full page. Reports cases (through the case
 * service, as the mini-program does) until the person follows at least `n`.
 */
async function ensureCases(services: Services, personId: string, n: number): Promise<number> {
  const have = await CaseFollowModel.countDocuments({ personId: new Types.ObjectId(personId) })
  for (let i = have; i < n; i++) {
    const problem = PROBLEMS[i % PROBLEMS.length]
    await services.cases.open({
      channel: 'miniprogram',
      sourceKey: `bench-api:${personId}:${i}`,
      reporter: { personId },
      text: `${(i % 30) + 1}号楼${(i % 4) + 1}单元${problem}（第${i + 1}次反映）`,
      location: {},
    })
  }
  return CaseFollowModel.countDocuments({ personId: new Types.ObjectId(personId) })
}

/**
 * `GET /api/v1/cases/mine` through the real authentication and case routes (without the per-user
 * rate limit, which would answer 429 after 240 calls a minute), next to a bare Koa "hello".
 */
export async function benchApi(
  services: Services,
  o: { personId: string; seconds: number; connections: number; uploadsDir: string },
): Promise<Metric[]> {
  const follows = await ensureCases(services, o.personId, 25)
  const { token, api } = await casesMineServer(services, o)
  const probe = await fetch(`${api.url}/api/v1/cases/mine`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await probe.json()) as { items?: unknown[] } | unknown[]
  const items = Array.isArray(body) ? body.length : (body.items?.length ?? 0)
  const mine = await cannon(`${api.url}/api/v1/cases/mine`, { ...o, token })
  await close(api.server)
  const hello = new Koa()
  hello.use((ctx) => {
    ctx.body = 'hello'
  })
  const bare = await listen(hello.callback())
  const base = await cannon(bare.url, o)
  await close(bare.server)
  const shape = `${o.connections} connections, ${o.seconds} s, autocannon in a separate process on loopback`
  return [
    {
      metric: 'api_cases_mine_rps',
      value: round(mine.requests.average),
      unit: 'req/s',
      note: `status ${probe.status}, ${items} cases in the answer (the person follows ${follows}); ${mine.non2xx} non-2xx, ${mine.errors} errors; ${shape}`,
    },
    { metric: 'api_cases_mine_p99_ms', value: round(mine.latency.p99), unit: 'ms' },
    {
      metric: 'koa_hello_rps',
      value: round(base.requests.average),
      unit: 'req/s',
      note: `bare Koa, same load; p99 ${base.latency.p99} ms`,
    },
    {
      metric: 'api_vs_koa_ratio',
      value: round(mine.requests.average / base.requests.average),
      unit: 'ratio',
    },
  ]
}
