import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CONSOLE = path.join(ROOT, 'console')
const INDEX = path.join(CONSOLE, 'dist', 'index.html')
const SOURCES = [
  path.join(CONSOLE, 'src'),
  path.join(CONSOLE, 'index.html'),
  path.join(CONSOLE, 'vite.config.ts'),
]

/** Newest modification time under the given files and folders (0 when none exist). */
function newest(paths: string[]): number {
  let max = 0
  for (const p of paths) {
    if (!existsSync(p)) continue
    const s = statSync(p)
    max = Math.max(max, s.mtimeMs)
    if (s.isDirectory()) max = Math.max(max, newest(readdirSync(p).map((n) => path.join(p, n))))
  }
  return max
}

/** True when console/dist is missing or older than a console source file. */
export function consoleIsStale(): boolean {
  return !existsSync(INDEX) || statSync(INDEX).mtimeMs < newest(SOURCES)
}

/**
 * Builds the staff console (Vite) into console/dist when it is missing or stale, or always with
 * `force`. Returns true when it built.
 */
export async function ensureConsoleBuilt(options: { force?: boolean; log?: (line: string) => void } = {}) {
  if (!options.force && !consoleIsStale()) return false
  options.log?.('正在构建社区工作台（console/）…')
  const { build } = await import('vite')
  await build({ configFile: path.join(CONSOLE, 'vite.config.ts'), logLevel: 'warn' })
  return true
}

// `tsx scripts/console-build.ts [--if-stale]`: the `predemo` step (and a manual rebuild).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const force = !process.argv.includes('--if-stale')
  ensureConsoleBuilt({ force, log: (l) => process.stdout.write(`${l}\n`) }).catch((err: unknown) => {
    process.stderr.write(`社区工作台构建失败：${String(err)}\n`)
    process.exit(1)
  })
}
