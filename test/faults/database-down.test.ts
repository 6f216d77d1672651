import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mongoose from 'mongoose'
import { afterAll, describe, expect, it } from 'vitest'
import { TEXT } from '../../src/handlers/chat-texts.js'
import { systemClock } from '../../src/lib/clock.js'
import { loadConfig } from '../../src/lib/config.js'
import { connectMongoose, initModels } from '../../src/lib/database.js'
import { type EmbeddedDb, freePort, startEmbeddedDb } from '../../src/lib/embedded-db.js'
import { silentLogger } from '../../src/lib/logger.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { createAuthService } from '../../src/services/auth/auth.service.js'
import {
  envInt,
  exactlyOnceReport,
  type FaultChild,
  inboundStates,
  outboxStates,
  request,
  startFaultChild,
  stopChild,
  until,
} from './fault-world.js'

const DOWN_S = envInt('LINLI_FAULT_DB_DOWN_S', 30)
/** No request may take this long, database or not: "does not hang", not a speed target. */
const ANSWER_BOUND_MS = 5000

interface Sample {
  at: number
  what: 'api' | 'ready'
  status: number
  code?: string
  message?: string
  ms: number
}

/** The service's own database server for this test, which it stops and starts again. */
async function startDb(dataDir: string, port: number): Promise<EmbeddedDb> {
  return startEmbeddedDb({
    dataDir,
    cacheDir: path.resolve(process.env.LINLI_CACHE_DIR ?? '.cache'),
    port,
    startTimeoutMs: 60_000,
  })
}

/** Every 250 ms an API call and a readiness probe; every 400 ms a resident writes in the group. */
function startLoad(child: FaultChild, bearer: string) {
  const samples: Sample[] = []
  const texts: string[] = []
  let running = true
  let n = 0
  async function probe(what: Sample['what'], url: string, headers: Record<string, string> = {}) {
    const at = Date.now()
    try {
      const res = await request(url, { headers, timeoutMs: 30_000 })
      const err = (res.body as { error?: { code?: string; message?: string } }).error
      samples.push({ at, what, status: res.status, code: err?.code, message: err?.message, ms: res.ms })
    } catch {
      samples.push({ at, what, status: 0, ms: Date.now() - at })
    }
  }
  const api = (async () => {
    while (running) {
      void probe('api', `${child.url}/api/v1/cases/mine`, { authorization: bearer })
      void probe('ready', `${child.url}/readyz`)
      await new Promise((r) => setTimeout(r, 250))
    }
  })()
  const chat = (async () => {
    while (running) {
      n += 1
      const text = `${(n % 9) + 1}号楼门口路灯不亮了（停库-${n}）`
      texts.push(text)
      await request(`${child.control}/burst`, {
        body: {
          roomId: child.rooms[0],
          from: [`down-resident-${(n % 6) + 1}`],
          texts: [text],
          perSecond: 50,
        },
      })
      await new Promise((r) => setTimeout(r, 400))
    }
  })()
  return {
    samples,
    texts,
    async stop() {
      running = false
      await Promise.all([api, chat])
      await new Promise((r) => setTimeout(r, ANSWER_BOUND_MS + 1000)) // let the last probes answer
    },
  }
}

describe(`the database stops for ${DOWN_S} s under load`, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'linli-fault-db-'))
  let db: EmbeddedDb | undefined
  let child: FaultChild | undefined
  afterAll(async () => {
    await stopChild(child)
    await mongoose.disconnect()
    await db?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers 503 quickly, keeps every chat message, and resumes by itself', async () => {
    const port = await freePort()
    db = await startDb(dataDir, port)
    const uri = `mongodb://127.0.0.1:${port}/linli_dbdown`
    await connectMongoose(uri)
    await initModels(silentLogger)
    child = await startFaultChild(uri)
    const resident = await ResidentModel.findOne({ roles: 'resident', 'wechat.contactId': { $exists: true } })
    if (!resident) throw new Error('no demo resident')
    const auth = createAuthService({ config: loadConfig({}), clock: systemClock, logger: silentLogger })
    const bearer = `Bearer ${(await auth.issueSession(String(resident._id))).accessToken}`
    expect(
      (await request(`${child.url}/api/v1/cases/mine`, { headers: { authorization: bearer } })).status,
    ).toBe(200)

    const load = startLoad(child, bearer)
    await new Promise((r) => setTimeout(r, 3000))
    await db.stop() // returns once the server process has exited
    const downAt = Date.now()
    await new Promise((r) => setTimeout(r, DOWN_S * 1000))
    const upAt = Date.now() // from here on it may answer again
    db = await startDb(dataDir, port)
    await new Promise((r) => setTimeout(r, 5000))
    await load.stop()
    console.info(
      `[database-down] down ${upAt - downAt} ms; ${load.samples.length} probes, ${load.texts.length} chat messages sent`,
    )

    // Everything resumes without a person: all messages stored once and handled, replies sent, ready.
    const t1 = Date.now()
    await until(
      async () => {
        if (child?.proc.exitCode !== null || child.proc.signalCode !== null) return true // fails below
        const stored = await ChatMessageModel.countDocuments({ direction: 'in' })
        const s = await inboundStates()
        const o = await outboxStates()
        return stored >= load.texts.length && !s.received && !s.processing && !o.queued && !o.sending
      },
      180_000 + load.texts.length * 1000,
      'the messages of the outage to be stored, handled and answered',
      async () => ({ inbound: await inboundStates(), outbox: await outboxStates() }),
    )
    console.info(`[database-down] drained ${Date.now() - t1} ms after the load stopped`)
    expect(child.proc.exitCode, 'the service process is still running').toBeNull()
    expect((await request(`${child.url}/readyz`)).status).toBe(200)
    expect(
      (await request(`${child.url}/api/v1/cases/mine`, { headers: { authorization: bearer } })).status,
    ).toBe(200)
    const stored = await ChatMessageModel.find({ direction: 'in' }, { text: 1 }).lean()
    for (const text of load.texts) expect(stored.filter((m) => m.text.includes(text)).length, text).toBe(1)
    // A report handled at the moment the database went away may get the apology (请稍后再试)
    // instead of a case: told, not lost. Every other report owns exactly one case slot.
    const replies = await OutboxModel.find({ kind: 'reply' }).lean()
    const apologised = new Set(
      replies.filter((r) => r.text === TEXT.apology).map((r) => /^reply:(.+):\d+$/.exec(r.key)?.[1]),
    )
    const inbound = await ChatMessageModel.find({ direction: 'in' }).lean()
    const toldToRetry = new Set(inbound.filter((m) => apologised.has(m.messageId)).map((m) => m.text))
    console.info(`[database-down] ${toldToRetry.size} of ${inbound.length} reports answered with the apology`)
    expect(toldToRetry.size).toBeLessThanOrEqual(Math.ceil(inbound.length / 5))
    const report = await exactlyOnceReport({ casesExpected: true, opensCase: (t) => !toldToRetry.has(t) })
    expect(report.unprocessed).toEqual([])
    expect(report.caseOwners).toEqual([])
    expect(report.replies).toEqual([])
    expect(Object.keys(await inboundStates())).toEqual(['processed'])

    // While it was down: the API said 503 UNAVAILABLE in Chinese, readiness 503; nothing hung or 500ed.
    const during = load.samples.filter((s) => s.at > downAt + 2000 && s.at + s.ms < upAt)
    const summary = (xs: Sample[]) =>
      JSON.stringify(
        xs.reduce<Record<string, number>>((acc, s) => {
          const k = `${s.what}:${s.status}`
          acc[k] = (acc[k] ?? 0) + 1
          return acc
        }, {}),
      )
    console.info(
      `[database-down] during the outage ${summary(during)}; slowest ${Math.max(...load.samples.map((s) => s.ms))} ms`,
    )
    expect(during.filter((s) => s.what === 'api').length).toBeGreaterThan(DOWN_S)
    for (const s of during.filter((x) => x.what === 'api')) {
      expect(s.status).toBe(503)
      expect(s.code).toBe('UNAVAILABLE')
      expect(s.message).toMatch(/[\u4e00-\u9fa5]/)
    }
    for (const s of during.filter((x) => x.what === 'ready')) expect(s.status).toBe(503)
    for (const s of load.samples) {
      expect(s.ms, `${s.what} at +${s.at - downAt} ms`).toBeLessThan(ANSWER_BOUND_MS)
      expect([200, 503], `${s.what} at +${s.at - downAt} ms`).toContain(s.status)
    }
  }, 600_000)
})
