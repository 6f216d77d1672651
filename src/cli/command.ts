import type { Config } from '../lib/config.js'
import type { Database } from '../lib/database.js'
import type { Logger } from '../lib/logger.js'
import type { Services } from '../main.js'

export interface CommandContext {
  config: Config
  logger: Logger
  /** A line of the command's result (stdout). */
  out(line: string): void
  /** A line of progress or error (stderr). */
  err(line: string): void
  /** Opens the database on first use; the CLI closes it after the command. */
  database(): Promise<Database>
  /** The services, built once by `buildServices` (the same as the running service's). */
  services(): Services
}

/** One `linli` sub-command: parse its args, call services, print, return the exit code. */
export interface Command {
  name: string
  /** Each form of the command line, as `linli help` prints them. */
  usage: string[]
  /** One Chinese sentence: what the command does. */
  summary: string
  run(ctx: CommandContext, args: string[]): Promise<number>
}

/** Splits args into flags (`--json`, `--key value`, `--key=value`) and positionals. */
export function parseArgs(
  args: string[],
  booleanFlags: string[] = [],
): { flags: Map<string, string | true>; positionals: string[] } {
  const flags = new Map<string, string | true>()
  const positionals: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (!a.startsWith('--')) {
      positionals.push(a)
      continue
    }
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined]
    if (inline !== undefined) flags.set(key, inline)
    else if (booleanFlags.includes(key) || i + 1 >= args.length || (args[i + 1] as string).startsWith('--'))
      flags.set(key, true)
    else flags.set(key, args[++i] as string)
  }
  return { flags, positionals }
}
