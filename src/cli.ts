import { pathToFileURL } from 'node:url'
import { caseCommand } from './cli/case.command.js'
import type { Command, CommandContext } from './cli/command.js'
import { dbCommand } from './cli/db.command.js'
import { importCommand } from './cli/import.command.js'
import { jobsCommand } from './cli/jobs.command.js'
import { kbCommand } from './cli/kb.command.js'
import { seedCommand } from './cli/seed.command.js'
import { statsCommand } from './cli/stats.command.js'
import { triageCommand } from './cli/triage.command.js'
import { type Config, ConfigError, loadConfig } from './lib/config.js'
import { type Database, openDatabase } from './lib/database.js'
import { DomainError } from './lib/errors.js'
import { createLogger } from './lib/logger.js'
import { buildServices, type Services } from './main.js'

/** Every `linli` command. A feature adds its command module here. */
export const COMMANDS: Command[] = [
  dbCommand,
  statsCommand,
  importCommand,
  seedCommand,
  kbCommand,
  triageCommand,
  caseCommand,
  jobsCommand,
]

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(44)} ${c.summary}`)
  return `Usage: npm run --silent linli -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n`
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...args] = argv
  const command = COMMANDS.find((c) => c.name === name)
  if (!command || name === 'help' || name === '--help') {
    process.stdout.write(usage())
    return command || name === 'help' || name === '--help' ? 0 : 2
  }
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      return 2
    }
    throw err
  }
  // Commands print their own results on stdout; logs go to stderr so `--json` output stays clean.
  const logger = createLogger({ level: env.LINLI_LOG_LEVEL ?? 'warn', destination: process.stderr })
  let database: Database | undefined
  let services: Services | undefined
  const ctx: CommandContext = {
    config,
    logger,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    database: async () => {
      database ??= await openDatabase(config, logger, { onProgress: (l) => process.stderr.write(`${l}\n`) })
      return database
    },
    services: () => {
      services ??= buildServices(config, logger)
      return services
    },
  }
  try {
    return await command.run(ctx, args)
  } catch (err) {
    if (err instanceof DomainError) {
      process.stderr.write(`错误（${err.code}）：${err.message}\n`)
      return 1
    }
    process.stderr.write(`linli ${name} failed: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  } finally {
    await database?.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(1)
    },
  )
}
