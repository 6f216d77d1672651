import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { jobTable } from '../../src/jobs/schedule.js'
import { createLogger, silentLogger } from '../../src/lib/logger.js'
import { type ConfigOverrides, startServiceWorld } from '../e2e/service-world.js'

// A whole Linli process for the fault suite: the real service (test/e2e/service-world.ts) on the
// database in LINLI_TEST_DB_URI with the configuration overrides in LINLI_FAULT_OVERRIDES (JSON)
// and the policy documents of the folder LINLI_FAULT_KB_DIR imported,
// plus a loopback control port the test drives (the simulator API is rate-limited per IP, a
// thousand-message burst is not):
//   POST /burst {roomId, from[], texts[], perSecond}  the mock puppet delivers texts, round-robin
//                                                       over the senders, paced; answers at once
//   GET  /burst                                         {emitted, total}
//   GET  /delivered                                     what the bot said in this process
//   POST /tick                                          runs every scheduled job once, as cron would
// Prints one JSON line when ready; SIGTERM stops it gracefully, SIGKILL is a crash.

const uri = process.env.LINLI_TEST_DB_URI
if (!uri) throw new Error('LINLI_TEST_DB_URI is not set')
const overrides = JSON.parse(process.env.LINLI_FAULT_OVERRIDES ?? '{}') as ConfigOverrides
// LINLI_FAULT_LOG=warn (or info) shows the child's log on stderr while a scenario is developed.
const level = process.env.LINLI_FAULT_LOG
const world = await startServiceWorld(
  uri,
  overrides,
  level ? createLogger({ level, destination: process.stderr }) : silentLogger,
)
const mock = world.service.bot?.mock
if (!mock) throw new Error('the fault child needs the mock puppet')
const services = world.service.services
// Policy documents for the knowledge base, when the scenario asks policy questions.
if (process.env.LINLI_FAULT_KB_DIR) await services.kb.importFolder(process.env.LINLI_FAULT_KB_DIR)

interface BurstInput {
  roomId: string
  from: string[]
  texts: string[]
  perSecond: number
}

const burst = { emitted: 0, total: 0 }

async function runBurst(input: BurstInput): Promise<void> {
  burst.emitted = 0
  burst.total = input.texts.length
  const perTick = Math.max(1, Math.round(input.perSecond / 50))
  for (let i = 0; i < input.texts.length; i += 1) {
    const from = input.from[i % input.from.length] as string
    mock?.say({ from, roomId: input.roomId, text: input.texts[i] as string, mentionBot: true })
    burst.emitted = i + 1
    if ((i + 1) % perTick === 0) await new Promise((r) => setTimeout(r, 20))
  }
}

async function tick(): Promise<unknown[]> {
  const deps = {
    config: world.service.config,
    logger: silentLogger,
    outbox: services.outbox,
    cases: services.cases,
    stats: services.stats,
  }
  return Promise.all(jobTable(deps).map((entry) => entry.job(deps, services.clock.now())))
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let raw = ''
    req.on('data', (c: Buffer) => {
      raw += c.toString('utf8')
    })
    req.on('end', () => resolve(raw ? JSON.parse(raw) : {}))
    req.on('error', reject)
  })
}

async function control(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  if (req.method === 'POST' && req.url === '/burst') {
    const input = (await readBody(req)) as BurstInput
    for (const id of input.from) {
      if (!mock?.mocker.cacheContactPayload.has(id)) mock?.mocker.createContact({ id, name: id })
    }
    void runBurst(input)
    return { accepted: input.texts.length }
  }
  if (req.method === 'GET' && req.url === '/burst') return burst
  if (req.method === 'GET' && req.url === '/delivered') return mock?.delivered
  if (req.method === 'POST' && req.url === '/tick') return tick()
  res.statusCode = 404
  return { error: 'unknown control' }
}

const server = createServer((req, res) => {
  control(req, res).then(
    (body) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(body ?? null))
    },
    (err: unknown) => {
      res.statusCode = 500
      res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }))
    },
  )
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
const address = server.address()
const controlPort = typeof address === 'object' && address ? address.port : 0
process.stdout.write(
  `${JSON.stringify({
    url: world.service.url,
    control: `http://127.0.0.1:${controlPort}`,
    rooms: world.rooms.map((r) => r.id),
    pid: process.pid,
  })}\n`,
)
process.on('SIGTERM', () => {
  server.close()
  void world.stop({ drop: false }).then(() => process.exit(0))
})
