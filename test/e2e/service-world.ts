import mongoose from 'mongoose'
import { bindDemoRooms, linkStaffContacts } from '../../scripts/demo-setup.js'
import { loadConfig } from '../../src/lib/config.js'
import { type Logger, silentLogger } from '../../src/lib/logger.js'
import { type RunningService, startService } from '../../src/main.js'
import { type DemoSeed, seedDemo } from '../../src/services/registry/seed.js'

export interface ServiceWorld {
  service: RunningService
  seed: DemoSeed
  rooms: Awaited<ReturnType<typeof bindDemoRooms>>
  /** Stops the service; drops the database unless told not to. */
  stop(options?: { drop: boolean }): Promise<void>
}

/** Configuration overrides laid over the world's own (nested objects merge, values replace). */
export type ConfigOverrides = { [key: string]: unknown }

function mergeOverrides(base: ConfigOverrides, extra: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = { ...base }
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k]
    const isTree = (x: unknown): x is ConfigOverrides =>
      typeof x === 'object' && x !== null && !Array.isArray(x)
    out[k] = isTree(b) && isTree(v) ? mergeOverrides(b, v) : v
  }
  return out
}

/**
 * The real service in this process on a fresh database of the test run's FerretDB, with the mock
 * puppet, a fast outbox pace, no scheduled jobs, and the demo community seeded and bound as
 * `npm run demo` does it. Plain module (no vitest), so a child process can run it too. `extra`
 * overrides the configuration (the fault suite turns jobs on or points the LLM at a stand-in).
 */
export async function startServiceWorld(
  uri: string,
  extra: ConfigOverrides = {},
  logger: Logger = silentLogger,
): Promise<ServiceWorld> {
  const base: ConfigOverrides = {
    database: { uri },
    http: { host: '127.0.0.1', port: 0 },
    jobs: { enabled: false },
    outbox: { perMinute: 1200, jitterMs: 0 },
  }
  const config = loadConfig({}, { overrides: mergeOverrides(base, extra) })
  const service = await startService(config, logger)
  const seed = await seedDemo(service.services.registry)
  if (!service.bot) throw new Error('the bot did not start')
  linkStaffContacts(service.bot, seed)
  const rooms = await bindDemoRooms(service.bot, seed)
  return {
    service,
    seed,
    rooms,
    async stop(options = { drop: true }) {
      if (options.drop) await mongoose.connection.db?.dropDatabase().catch(() => undefined)
      await service.stop('test finished')
    },
  }
}
