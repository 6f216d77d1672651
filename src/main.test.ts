import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

// The service as an operator runs it: a real process, the embedded database it starts itself,
// real HTTP, and a clean stop on SIGTERM.

const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function startProcess(env: Record<string, string>): {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', LINLI_JOBS_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString()
  })
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString()
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return { child, output: () => out, exited }
}

async function waitFor<T>(fn: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the service process', () => {
  it('starts its embedded database, serves /readyz, and stops both on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'linli-main-'))
    dirs.push(dataDir)
    const { child, output, exited } = startProcess({
      LINLI_DATA_DIR: dataDir,
      LINLI_CACHE_DIR: path.resolve('.cache'),
    })
    const url = await waitFor(() => /Linli listening on (http:\/\/[\d.:]+)/.exec(output())?.[1], 60_000)
    expect(output()).toMatch(/using embedded ferretdb at mongodb:\/\/127\.0\.0\.1:\d+\/linli/)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(200)
    const dbPid = (JSON.parse(readFileSync(path.join(dataDir, 'linli-db.json'), 'utf8')) as { pid: number })
      .pid
    expect(isAlive(dbPid)).toBe(true)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output()).toMatch(/stopped/)
    await waitFor(() => (isAlive(dbPid) ? undefined : true), 10_000)
    // The first start on PostgreSQL creates its cluster (initdb) before FerretDB starts.
  }, 90_000)

  it('exits non-zero with a clear message when the configured database cannot be reached', async () => {
    const { output, exited } = startProcess({ MONGODB_URI: 'mongodb://127.0.0.1:9/linli' })
    expect(await exited).not.toBe(0)
    expect(output()).toMatch(/could not start/)
  })

  it('exits with code 2 and names the bad key when the configuration is wrong', async () => {
    const { output, exited } = startProcess({ PORT: 'abc' })
    expect(await exited).toBe(2)
    expect(output()).toMatch(/http\.port \(env PORT\)/)
  })
})
