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
import { alignColumns } from './lib/text-width.js'
import { buildServices, type Services } from './main.js'

/** `linli help` itself, listed last (it needs no database and runs no command module). */
const HELP = { name: 'help', usage: [], summary: '显示本帮助' }

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

/** `linli help`: every command with what it does, then its command lines, in columns that line up. */
export function usage(): string {
  const rows: string[][] = []
  for (const c of [...COMMANDS, HELP]) {
    rows.push([c.name, c.summary])
    for (const form of c.usage) rows.push(['', `  ${form}`])
  }
  return [
    '邻里 Linli 命令行',
    '',
    '用法：npm run --silent linli -- <命令> [选项]',
    '',
    '命令：',
    ...alignColumns(rows).map((line) => `  ${line}`),
    '',
  ].join('\n')
}

/** Runs one command line; returns the process exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...args] = argv
  const command = COMMANDS.find((c) => c.name === name)
  const asksHelp = name === undefined || name === 'help' || name === '--help' || name === '-h'
  if (!command) {
    if (!asksHelp) process.stderr.write(`没有「${name}」这个命令。可用的命令如下：\n\n`)
    ;(asksHelp ? process.stdout : process.stderr).write(usage())
    return asksHelp ? 0 : 2
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
      process.stderr.write(`出错了：${err.message}\n`)
      return 1
    }
    process.stderr.write(`linli ${name} 运行失败：${err instanceof Error ? err.message : String(err)}\n`)
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
