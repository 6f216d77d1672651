import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const TOOL = path.resolve(import.meta.dirname, '../tools/promlint')

/**
 * Builds tools/promlint (Prometheus' own metric linter, client_golang's promlint) once into the
 * cache, under a hash of its sources, the way the embedded database builds FerretDB; returns the
 * binary's path. Go comes from PATH, the modules from the Go module proxy, pinned by go.sum.
 */
export async function ensurePromlint(cacheDir = process.env.LINLI_CACHE_DIR ?? '.cache'): Promise<string> {
  const hash = createHash('sha256')
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(TOOL, f)))
  const dir = path.resolve(cacheDir, 'promlint', hash.digest('hex').slice(0, 16))
  const bin = path.join(dir, 'promlint')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  // Each builder writes its own file and renames it into place: concurrent builds cannot clash.
  const tmp = `${bin}.${process.pid}.tmp`
  await run('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: TOOL,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly -buildvcs=false' },
    timeout: 600_000,
  })
  renameSync(tmp, bin)
  return bin
}

/** Runs promlint on a scrape; returns its problems ("metric: text" lines), none when clean. */
export async function promlintProblems(bin: string, scrape: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [], { maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: number } | null)?.code ?? 0
      if (code === 0 || code === 1) resolve(stdout.split('\n').filter(Boolean))
      else reject(new Error(`promlint failed (${code}): ${stderr}`))
    })
    child.stdin?.end(scrape)
  })
}
