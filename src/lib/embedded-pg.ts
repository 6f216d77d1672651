import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The embedded PostgreSQL cluster's superuser and the database FerretDB keeps everything in. */
const PG_ROLE = 'linli'
const PG_DATABASE = 'ferretdb'
/** Only names the socket file: the cluster listens on no TCP port, only on a socket in the data folder. */
const PG_PORT = 5432
/** The system user the cluster runs as when Linli runs as root (PostgreSQL refuses to run as root). */
const PG_SYSTEM_USER = 'linli-pg'

/** How to reach the embedded cluster with psql (unix socket in the data folder, trust authentication). */
export interface PgConnection {
  binDir: string
  /** The socket folder (the cluster folder itself). */
  host: string
  port: number
  user: string
  database: string
}

export interface PgCluster extends PgConnection {
  pid: number
  /** Resolves when the postmaster exits on its own; never when stopped through stop(). */
  crashed: Promise<string>
  stop(): Promise<void>
}

export interface RunAs {
  name: string
  uid: number
  gid: number
  home: string
}

/**
 * The folder holding initdb, pg_ctl and postgres: `LINLI_PG_BIN_DIR`, else the newest
 * /usr/lib/postgresql/<n>/bin (Debian keeps them off PATH), else the folder of an `initdb` on PATH.
 */
export function findPgBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const has = (dir: string) =>
    fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))
  if (env.LINLI_PG_BIN_DIR) return has(env.LINLI_PG_BIN_DIR) ? env.LINLI_PG_BIN_DIR : undefined
  const debian = '/usr/lib/postgresql'
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    for (const v of versions) if (has(path.join(debian, v, 'bin'))) return path.join(debian, v, 'bin')
  }
  const r = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  const initdb = r.status === 0 ? r.stdout.trim() : ''
  return initdb && has(path.dirname(initdb)) ? path.dirname(initdb) : undefined
}

function passwdEntry(name: string): RunAs | undefined {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' })
  const f = r.status === 0 ? r.stdout.trim().split(':') : []
  return f.length >= 6 ? { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' } : undefined
}

/**
 * Who runs the cluster: nobody else when Linli is not root; as root, the `linli-pg` system user
 * (created when missing), or Debian's `postgres` when it cannot be created.
 */
export function pgRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined
  const own = passwdEntry(PG_SYSTEM_USER)
  if (own) return own
  spawnSync(
    'useradd',
    [
      '--system',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      PG_SYSTEM_USER,
    ],
    { stdio: 'ignore' },
  )
  return passwdEntry(PG_SYSTEM_USER) ?? passwdEntry('postgres')
}

function asUser(runAs: RunAs | undefined) {
  return runAs ? { uid: runAs.uid, gid: runAs.gid, env: { ...process.env, HOME: runAs.home } } : {}
}

/** Runs a psql script against the cluster; resolves with stdout (tuples only, `|` separated). */
export async function psql(c: PgConnection, sql: string, database = c.database): Promise<string> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', c.host, '-p', String(c.port)]
  const { stdout } = await run(
    path.join(c.binDir, 'psql'),
    [...args, '-U', c.user, '-d', database, '-c', sql],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  return stdout
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export interface StartPgOptions {
  dataDir: string
  binDir: string
  startTimeoutMs: number
  /** Tests only: no fsync (a machine crash may lose the cluster; the test run throws it away anyway). */
  fast?: boolean
  /** More `name=value` server settings (tests: auto_explain). */
  settings?: readonly string[]
  onProgress?: (line: string) => void
}

/**
 * Starts (creating it the first time) the PostgreSQL cluster in `<dataDir>/pg`, owned by and run as
 * an unprivileged user when Linli is root, listening only on a unix socket in that folder. An
 * existing cluster is reused; a postmaster left behind by a killed Linli is stopped and started
 * again as this process's child, a stale postmaster.pid is removed.
 */
export async function startPgCluster(o: StartPgOptions): Promise<PgCluster> {
  const runAs = pgRunAs()
  const dir = path.resolve(o.dataDir, 'pg')
  const conn: PgConnection = {
    binDir: o.binDir,
    host: dir,
    port: PG_PORT,
    user: PG_ROLE,
    database: PG_DATABASE,
  }
  if (runAs) openForTraversal(path.resolve(o.dataDir), runAs)
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await initCluster(dir, o, runAs)
  await stopLeftover(dir)
  const log = fs.createWriteStream(path.join(o.dataDir, 'postgresql.log'), { flags: 'a' })
  const settings = [
    'listen_addresses=',
    `unix_socket_directories=${dir}`,
    `port=${PG_PORT}`,
    'max_connections=200',
    ...(o.fast ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
    ...(o.settings ?? []),
  ]
  const child = spawn(path.join(o.binDir, 'postgres'), ['-D', dir, ...settings.flatMap((s) => ['-c', s])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...asUser(runAs),
  })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const cluster = superviseCluster(child, conn)
  const deadline = Date.now() + o.startTimeoutMs
  for (;;) {
    const ready = await run(path.join(o.binDir, 'pg_isready'), ['-q', '-h', dir, '-p', String(PG_PORT)]).then(
      () => true,
      () => false,
    )
    if (ready) break
    if (child.exitCode !== null || Date.now() > deadline) {
      await cluster.stop()
      throw new Error(`PostgreSQL did not start (log: ${path.join(o.dataDir, 'postgresql.log')})`)
    }
    await sleep(100)
  }
  const exists = await psql(conn, `SELECT 1 FROM pg_database WHERE datname = '${PG_DATABASE}'`, 'postgres')
  if (!exists.trim()) await psql(conn, `CREATE DATABASE ${PG_DATABASE}`, 'postgres')
  return cluster
}

function canReach(dir: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', dir], asUser(runAs)).status === 0
}

/**
 * The cluster's user must be able to pass through the data folder (a temporary folder is 0700): the
 * data folder gets search permission for others (not listing). A closed parent (/root) is not
 * changed: that is an error the caller reports.
 */
function openForTraversal(dataDir: string, runAs: RunAs): void {
  if (canReach(dataDir, runAs)) return
  fs.chmodSync(dataDir, (fs.statSync(dataDir).mode & 0o777) | 0o011)
  if (!canReach(dataDir, runAs))
    throw new Error(`user ${runAs.name} cannot reach ${dataDir}: a parent folder is closed to other users`)
}

async function initCluster(dir: string, o: StartPgOptions, runAs: RunAs | undefined): Promise<void> {
  o.onProgress?.(`Creating the PostgreSQL cluster in ${dir} (once)…`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid)
  await run(
    path.join(o.binDir, 'initdb'),
    [
      '-D',
      dir,
      '-U',
      PG_ROLE,
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      ...(o.fast ? ['--no-sync'] : []),
    ],
    { ...asUser(runAs), cwd: dir },
  ).catch((err: { stderr?: string }) => {
    throw new Error(
      `initdb failed: ${String(err.stderr ?? err)
        .trim()
        .split('\n')
        .slice(-2)
        .join(' ')}`,
    )
  })
}

/** A postmaster still running on this cluster (Linli was killed) is stopped; a stale pid file removed. */
async function stopLeftover(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid')
  let raw = ''
  try {
    raw = fs.readFileSync(pidFile, 'utf8')
  } catch {
    return
  }
  const pid = Number(raw.split('\n')[0])
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGINT')
    const deadline = Date.now() + 15_000
    while (alive(pid) && Date.now() < deadline) await sleep(100)
    if (alive(pid)) process.kill(pid, 'SIGQUIT')
    while (alive(pid)) await sleep(100)
  }
  fs.rmSync(pidFile, { force: true })
}

function superviseCluster(child: ChildProcess, conn: PgConnection): PgCluster {
  let stopping = false
  let exited = child.exitCode !== null
  const gone = new Promise<void>((r) => child.once('exit', () => r()))
  const crashed = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      if (!stopping)
        resolve(`PostgreSQL exited unexpectedly (code ${code}, signal ${signal}); see postgresql.log`)
    })
  })
  return {
    ...conn,
    pid: child.pid ?? 0,
    crashed,
    stop: async () => {
      stopping = true
      if (exited) return
      // SIGINT: "fast" shutdown (open sessions rolled back, a clean checkpoint, no recovery at next start).
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000)
      await gone
      clearTimeout(timer)
    },
  }
}

/** The URL FerretDB's PostgreSQL handler connects with (unix socket; pgx reads `host` as a folder). */
export function ferretPgUrl(c: PgConnection): string {
  return `postgres://${c.user}@/${c.database}?host=${encodeURIComponent(c.host)}&port=${c.port}`
}
