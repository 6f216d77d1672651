import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mongoose from 'mongoose'
import { linkStaffContacts } from '../scripts/demo-setup.js'
import type { BotRuntime } from '../src/bot/runtime.js'
import { loadConfig } from '../src/lib/config.js'
import { ensurePgIndexesLogged } from '../src/lib/database.js'
import { type EmbeddedDb, startEmbeddedDb } from '../src/lib/embedded-db.js'
import { silentLogger } from '../src/lib/logger.js'
import { type RunningService, startService } from '../src/main.js'
import { type DemoSeed, seedDemo } from '../src/services/registry/seed.js'
import type { ChatScene } from './pipeline.bench.js'

/** A running service on a database of its own, for a benchmark or a profile. */
export interface BenchService {
  service: RunningService
  embedded?: EmbeddedDb
  tmp: string
  dbName: string
}

/**
 * A fresh database — MONGODB_URI under a new name, or a new embedded server in a temporary folder —
 * and the service on it, jobs off, silent. `monitorCommands` turns on the driver's command events.
 */
export async function openBenchService(options: { monitorCommands?: boolean } = {}): Promise<BenchService> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'linli-bench-'))
  const dbName = `linli_bench_${Date.now().toString(36)}`
  const base = loadConfig(process.env)
  let embedded: EmbeddedDb | undefined
  let uri = base.database.uri
  if (!uri) {
    embedded = await startEmbeddedDb({ ...base.database.embedded, dataDir: tmp, port: 0 })
    uri = embedded.uri
  }
  const u = new URL(uri)
  u.pathname = `/${dbName}`
  if (options.monitorCommands) u.searchParams.set('monitorCommands', 'true')
  const config = loadConfig(
    {},
    {
      overrides: {
        database: { uri: u.toString(), embedded: { dataDir: tmp } },
        http: { host: '127.0.0.1', port: 0 },
        jobs: { enabled: false },
        log: { level: 'silent' },
      },
    },
  )
  const service = await startService(config, silentLogger)
  // The service sees the embedded server as an external URI: the PostgreSQL backend's GIN indexes
  // are made here, as openDatabase makes them for the embedded server.
  if (embedded?.pg) await ensurePgIndexesLogged(silentLogger, embedded.pg, dbName)
  return { service, embedded, tmp, dbName }
}

/** Drops the benchmark database, stops the service and the embedded server, removes the folder. */
export async function closeBenchService(b: BenchService): Promise<void> {
  await mongoose.connection.db?.dropDatabase().catch(() => undefined)
  await b.service.stop('benchmark finished')
  await b.embedded?.stop()
  rmSync(b.tmp, { recursive: true, force: true })
}

/** One bound group per demo grid, with the grid's workers in it; returns the room ids. */
async function bindGridRooms(bot: BotRuntime, seed: DemoSeed): Promise<string[]> {
  const world = bot.mock
  if (!world) return []
  const ids: string[] = []
  for (const g of seed.grids) {
    const id = `bench-${g.code}@chatroom`
    const topic = `${g.name}居民群`
    world.mocker.createRoom({
      id,
      topic,
      memberIdList: [world.botUser.id, g.primaryWorker.contactId, g.partTimeWorker.contactId],
      adminIdList: [],
    })
    await bot.rooms.bindAsSystem({ roomId: id, topic, target: { scope: 'grid', code: g.code } })
    ids.push(id)
  }
  return ids
}

/**
 * The demo community seeded, its staff linked to mock contacts, one bound group per grid and forty
 * residents who will speak in them: where the pipeline benchmark and the profiler talk.
 */
export async function demoChatScene(b: BenchService): Promise<{ seed: DemoSeed; scene: ChatScene }> {
  const seed = await seedDemo(b.service.services.registry)
  const bot = b.service.bot
  if (!bot?.mock) throw new Error('the bot did not start on the mock puppet')
  linkStaffContacts(bot, seed)
  const world = bot.mock
  const scene: ChatScene = {
    world,
    roomIds: await bindGridRooms(bot, seed),
    residentIds: Array.from({ length: 40 }, (_, i) => world.createContact(`压测居民${i}`).id),
    handled: () => {
      const c = bot.bot.counts()
      return c.processed + c.failed
    },
  }
  return { seed, scene }
}
