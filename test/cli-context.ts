import path from 'node:path'
import type { CommandContext } from '../src/cli/command.js'
import { loadConfig } from '../src/lib/config.js'
import type { Database } from '../src/lib/database.js'
import { silentLogger } from '../src/lib/logger.js'
import { buildServices, type Services } from '../src/main.js'

/** The database handle a command sees in tests: the connection `useTestDatabase` already opened. */
const connectedDatabase: Database = {
  safeUri: 'test',
  source: 'external',
  crashed: new Promise(() => undefined),
  ping: async () => undefined,
  lastProgressAt: () => Date.now(),
  reconnect: async () => undefined,
  close: async () => undefined,
}

/**
 * A command context that records what the command prints. By default it uses the test database
 * already connected; pass `database` to change that (e.g. a command that must not open one).
 */
export function commandContext(options: { database?: () => Promise<Database> } = {}): {
  ctx: CommandContext
  out: string[]
  err: string[]
} {
  const out: string[] = []
  const err: string[] = []
  const config = loadConfig(
    { LINLI_ENV: 'test' },
    { configDir: path.resolve(import.meta.dirname, '../config') },
  )
  let services: Services | undefined
  const ctx: CommandContext = {
    config,
    logger: silentLogger,
    services: () => {
      services ??= buildServices(config, silentLogger)
      return services
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    database: options.database ?? (async () => connectedDatabase),
  }
  return { ctx, out, err }
}
