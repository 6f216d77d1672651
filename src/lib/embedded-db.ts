import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  alive,
  ferretPgUrl,
  findPgBinDir,
  type PgCluster,
  type PgConnection,
  sleep,
  startPgCluster,
} from './embedded-pg.js'

const run = promisify(execFile)

export const FERRETDB_VERSION = 'v1.24.2'
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB'

/** Why no embedded database could be had, with the one-line fix. */
export class EmbeddedDbError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EmbeddedDbError'
  }
}

export interface EmbeddedDbOptions {
  /** Folder for the database files and the server's state (git-ignored `.data/` by default). */
  dataDir: string
  /** Folder for the built FerretDB binary (git-ignored `.cache/` by default). */
  cacheDir: string
  /** 0 picks a free port on 127.0.0.1. */
  port: number
  startTimeoutMs: number
  /**
   * FerretDB's storage: 'postgresql' (an own cluster in the data folder), 'sqlite', or 'auto'
   * (default): PostgreSQL when its binaries are found and the cluster starts, else SQLite.
   */
  backend?: EmbeddedBackend | 'auto'
  /** Tests only: the PostgreSQL cluster runs without fsync. */
  fast?: boolean
  /** More PostgreSQL server settings, `name=value` (tests: auto_explain). */
  pgSettings?: readonly string[]
  /** Progress lines (building, starting); the caller decides where they go. */
  onProgress?: (line: string) => void
}

export type EmbeddedBackend = 'postgresql' | 'sqlite'

export interface EmbeddedDb {
  uri: string
  /** FerretDB's storage (undefined for mongod). */
  backend?: EmbeddedBackend
  /** How to reach the PostgreSQL cluster under FerretDB (its GIN indexes are made through it). */
  pg?: PgConnection
  /** 'ferretdb' or 'mongod', and where its files are. */
  kind: 'ferretdb' | 'mongod'
  dataDir: string
  /** False when an already running server of the same data folder was reused. */
  owned: boolean
  pid: number
  /** Resolves when the server exits on its own (a crash); never when stopped through stop(). */
  crashed: Promise<string>
  stop(): Promise<void>
}

interface StateFile {
  pid: number
  port: number
  kind: 'ferretdb' | 'mongod'
  backend?: EmbeddedBackend
  pg?: PgConnection
}

/** Runs fn while holding a folder lock, so two processes never build or start the same thing at once. */
async function withDirLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    try {
      mkdirSync(lockDir)
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid))
      break
    } catch {
      const holder = Number(safeRead(path.join(lockDir, 'pid')))
      if (holder && !alive(holder)) rmSync(lockDir, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new EmbeddedDbError(`timed out waiting for lock ${lockDir}`)
      else await sleep(200)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  const out = r.stdout.trim()
  return r.status === 0 && out ? out : undefined
}

async function goVersionOk(): Promise<boolean> {
  if (!which('go')) return false
  const { stdout } = await run('go', ['env', 'GOVERSION'])
  const m = /go(\d+)\.(\d+)/.exec(stdout)
  return m !== null && (Number(m[1]) > 1 || Number(m[2]) >= 24)
}

/**
 * Builds FerretDB once from the Go module proxy into the cache and returns the binary's path.
 * `go install …@v1.24.2` produces a binary that panics at start because the module's version file is
 * generated at release time; a throw-away wrapper module with a local copy of the module that carries
 * that file builds a working one.
 */
export async function ensureFerretDbBinary(
  cacheDir: string,
  onProgress?: (l: string) => void,
): Promise<string> {
  const root = path.resolve(cacheDir, 'ferretdb', FERRETDB_VERSION)
  const bin = path.join(root, 'ferretdb')
  if (existsSync(bin)) return bin
  if (!(await goVersionOk())) {
    throw new EmbeddedDbError(
      'No database: MONGODB_URI is not set, FerretDB is not built yet and Go >= 1.24 is not on PATH to build it. ' +
        'Fix one of: set MONGODB_URI=mongodb://…; install Go >= 1.24 (apt-get install golang or go.dev); or install MongoDB (mongod on PATH).',
    )
  }
  mkdirSync(root, { recursive: true })
  return withDirLock(path.join(root, '.lock'), async () => {
    if (existsSync(bin)) return bin
    onProgress?.(`Building FerretDB ${FERRETDB_VERSION} from the Go module proxy (once; about 2 minutes)…`)
    const work = path.join(root, 'build')
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work, { recursive: true })
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }
    await run('go', ['mod', 'init', 'ferretdb-build'], { cwd: work, env })
    await run('go', ['get', `${FERRETDB_MODULE}/cmd/ferretdb@${FERRETDB_VERSION}`], {
      cwd: work,
      env,
      timeout: 600_000,
    })
    const { stdout } = await run('go', ['list', '-m', '-f', '{{.Dir}}', FERRETDB_MODULE], { cwd: work, env })
    const src = path.join(work, 'ferretdb-src')
    cpSync(stdout.trim(), src, { recursive: true })
    makeWritable(src)
    writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`)
    await run('go', ['mod', 'edit', `-replace=${FERRETDB_MODULE}=./ferretdb-src`], { cwd: work, env })
    await run('go', ['mod', 'tidy'], { cwd: work, env, timeout: 600_000 }).catch(() => undefined)
    await run('go', ['build', '-trimpath', '-o', `${bin}.tmp`, `${FERRETDB_MODULE}/cmd/ferretdb`], {
      cwd: work,
      env,
      timeout: 900_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    await run(`${bin}.tmp`, ['--version'])
    cpSync(`${bin}.tmp`, bin)
    chmodSync(bin, 0o755)
    rmSync(`${bin}.tmp`, { force: true })
    rmSync(work, { recursive: true, force: true })
    onProgress?.(`FerretDB built: ${bin}`)
    return bin
  })
}

function makeWritable(dir: string): void {
  spawnSync('chmod', ['-R', 'u+w', dir])
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function canConnect(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      sock.destroy()
      resolve(ok)
    }
    sock.setTimeout(timeoutMs, () => done(false))
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}

/**
 * Starts the embedded database for a data folder, or reuses the one already serving it (another Linli
 * process, or a server left behind by a killed one). FerretDB on SQLite is preferred; a `mongod` on
 * PATH is the fallback.
 */
export async function startEmbeddedDb(options: EmbeddedDbOptions): Promise<EmbeddedDb> {
  const dataDir = path.resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true })
  return withDirLock(path.join(dataDir, '.start.lock'), async () => {
    const reused = await reuseRunning(dataDir)
    if (reused) return reused
    let bin: string | undefined
    let buildError: unknown
    try {
      bin = await ensureFerretDbBinary(options.cacheDir, options.onProgress)
    } catch (err) {
      buildError = err
    }
    const mongod = bin ? undefined : which('mongod')
    if (!bin && !mongod)
      throw buildError instanceof Error ? buildError : new EmbeddedDbError(String(buildError))
    const port = options.port || (await freePort())
    const kind = bin ? 'ferretdb' : 'mongod'
    const pg = bin ? await startPgBackend(dataDir, options) : undefined
    const backend: EmbeddedBackend | undefined = bin ? (pg ? 'postgresql' : 'sqlite') : undefined
    const args = bin
      ? ferretArgs(dataDir, port, pg)
      : [
          '--dbpath',
          ensureDir(path.join(dataDir, 'mongod')),
          '--bind_ip',
          '127.0.0.1',
          '--port',
          String(port),
        ]
    const child = spawn(bin ?? (mongod as string), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    })
    return await supervise(child, {
      dataDir,
      port,
      kind,
      backend,
      pg,
      startTimeoutMs: options.startTimeoutMs,
    })
  })
}

/** FerretDB's SQLite backend keeps one `<database>.sqlite` file per database in the data folder. */
function hasSqliteData(dataDir: string): boolean {
  try {
    return readdirSync(dataDir).some((f) => f.endsWith('.sqlite'))
  } catch {
    return false
  }
}

/** The backend asked for: LINLI_EMBEDDED_BACKEND wins over the option (config `LINLI_DB_BACKEND`). */
export function requestedBackend(option: EmbeddedDbOptions['backend']): EmbeddedBackend | 'auto' {
  const env = process.env.LINLI_EMBEDDED_BACKEND
  if (env === 'postgresql' || env === 'sqlite' || env === 'auto') return env
  return option ?? 'auto'
}

/**
 * Starts the PostgreSQL cluster FerretDB stores in, or returns undefined for SQLite: when SQLite is
 * asked for, or (auto) when PostgreSQL's binaries are missing or the cluster does not start, with a
 * warning saying why. Asked for explicitly, a PostgreSQL that cannot be had is an error.
 */
async function startPgBackend(dataDir: string, options: EmbeddedDbOptions): Promise<PgCluster | undefined> {
  const wanted = requestedBackend(options.backend)
  if (wanted === 'sqlite') return undefined
  if (wanted === 'auto' && hasSqliteData(dataDir) && !existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))) {
    // An existing installation keeps its data: PostgreSQL would start empty beside it.
    options.onProgress?.(
      '提示：数据目录里已有 SQLite 数据，继续使用 SQLite / note: the data folder holds SQLite data, staying on SQLite ' +
        '(to move: mongodump, then LINLI_EMBEDDED_BACKEND=postgresql and mongorestore)',
    )
    return undefined
  }
  const binDir = findPgBinDir()
  let why: string
  if (binDir) {
    try {
      return await startPgCluster({
        dataDir,
        binDir,
        startTimeoutMs: options.startTimeoutMs,
        fast: options.fast,
        settings: options.pgSettings,
        onProgress: options.onProgress,
      })
    } catch (err) {
      why = err instanceof Error ? err.message : String(err)
    }
  } else why = 'PostgreSQL binaries not found (apt-get install postgresql, or set LINLI_PG_BIN_DIR)'
  if (wanted === 'postgresql') throw new EmbeddedDbError(`LINLI_EMBEDDED_BACKEND=postgresql: ${why}`)
  options.onProgress?.(
    `警告：无法使用 PostgreSQL，嵌入式数据库改用 SQLite（较慢）/ warning: PostgreSQL unavailable, embedded FerretDB falls back to SQLite: ${why}`,
  )
  return undefined
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * SQLite settings for the embedded server (FerretDB adds WAL and a busy timeout itself). In WAL mode
 * `synchronous=NORMAL` stays consistent after any crash and keeps every commit through a process
 * crash (kill -9); only an operating-system crash or power cut may lose the last moments of commits,
 * in exchange for not waiting on the disk at every write. A 64 MiB page cache per connection keeps a
 * community's registry in memory.
 */
const SQLITE_PRAGMAS = ['synchronous(normal)', 'cache_size(-65536)']
  .map((p) => `_pragma=${encodeURIComponent(p)}`)
  .join('&')

function ferretArgs(dataDir: string, port: number, pg: PgConnection | undefined): string[] {
  return [
    ...(pg
      ? ['--handler=postgresql', `--postgresql-url=${ferretPgUrl(pg)}`]
      : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/?${SQLITE_PRAGMAS}`]),
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dataDir}`,
    '--telemetry=disable',
    '--debug-addr=-',
    '--log-level=error',
    '--log-format=json',
  ]
}

async function reuseRunning(dataDir: string): Promise<EmbeddedDb | undefined> {
  const stateFile = path.join(dataDir, 'linli-db.json')
  const raw = safeRead(stateFile)
  if (!raw) return undefined
  let state: StateFile
  try {
    state = JSON.parse(raw) as StateFile
  } catch {
    return undefined
  }
  if (!alive(state.pid) || !(await canConnect(state.port))) {
    rmSync(stateFile, { force: true })
    return undefined
  }
  return {
    uri: `mongodb://127.0.0.1:${state.port}/`,
    kind: state.kind,
    backend: state.backend,
    pg: state.pg,
    dataDir,
    owned: false,
    pid: state.pid,
    crashed: new Promise(() => undefined),
    stop: async () => undefined,
  }
}

interface SuperviseOptions {
  dataDir: string
  port: number
  kind: 'ferretdb' | 'mongod'
  backend?: EmbeddedBackend
  /** The cluster under FerretDB: stopped after it, and its death is a crash too. */
  pg?: PgCluster
  startTimeoutMs: number
}

async function supervise(child: ChildProcess, o: SuperviseOptions): Promise<EmbeddedDb> {
  const logFile = path.join(o.dataDir, `${o.kind}.log`)
  const log = createWriteStream(logFile, { flags: 'a' })
  const tail: string[] = []
  const keep = (chunk: Buffer) => {
    log.write(chunk)
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    tail.splice(0, Math.max(0, tail.length - 20))
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let stopping = false
  let exited = false
  const ownCrash = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      log.end()
      rmSync(path.join(o.dataDir, 'linli-db.json'), { force: true })
      if (!stopping) resolve(`${o.kind} exited unexpectedly (code ${code}, signal ${signal}); see ${logFile}`)
    })
  })
  const crashed = o.pg ? Promise.race([ownCrash, o.pg.crashed]) : ownCrash
  const deadline = Date.now() + o.startTimeoutMs
  while (!(await canConnect(o.port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL')
      await o.pg?.stop()
      throw new EmbeddedDbError(
        `${o.kind} did not start on 127.0.0.1:${o.port}: ${tail.slice(-5).join(' | ') || 'no output'} (log: ${logFile})`,
      )
    }
    await sleep(100)
  }
  const pid = child.pid ?? 0
  const pg: PgConnection | undefined = o.pg && {
    binDir: o.pg.binDir,
    host: o.pg.host,
    port: o.pg.port,
    user: o.pg.user,
    database: o.pg.database,
  }
  const state: StateFile = { pid, port: o.port, kind: o.kind, backend: o.backend, pg }
  writeFileSync(path.join(o.dataDir, 'linli-db.json'), JSON.stringify(state))
  return {
    uri: `mongodb://127.0.0.1:${o.port}/`,
    kind: o.kind,
    backend: o.backend,
    pg,
    dataDir: o.dataDir,
    owned: true,
    pid,
    crashed,
    stop: async () => {
      stopping = true
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await gone
        clearTimeout(timer)
      }
      await o.pg?.stop()
    },
  }
}
