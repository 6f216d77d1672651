import mongoose from 'mongoose'
import type { Config } from './config.js'
import { type EmbeddedDb, startEmbeddedDb } from './embedded-db.js'
import type { Logger } from './logger.js'
import { guardModelsAgainstNul } from './nul.js'
import { ensurePgIndexes } from './storage/index.js'

export interface Database {
  /** The URI in use, without credentials (safe to log). */
  safeUri: string
  /** 'external' when MONGODB_URI was given, else the embedded server's kind. */
  source: 'external' | 'ferretdb' | 'mongod'
  /** FerretDB's storage when the embedded FerretDB is used. */
  backend?: 'postgresql' | 'sqlite'
  /** Where the embedded server keeps its files, when there is one. */
  dataDir?: string
  /** Resolves with a reason when the embedded server dies on its own. */
  crashed: Promise<string>
  ping(): Promise<void>
  /** When the driver last got a connection back from a finished operation (ms since the epoch). */
  lastProgressAt(): number
  /** Drops the connection pool and connects again (after a long outage the driver can stay stuck). */
  reconnect(): Promise<void>
  close(): Promise<void>
}

/** Strips user:password from a MongoDB URI so it can be shown and logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]+@/, '//***@')
}

function withDbName(uri: string, dbName: string): string {
  const u = new URL(uri)
  if (u.pathname === '' || u.pathname === '/') u.pathname = `/${dbName}`
  return u.toString()
}

export interface OpenDatabaseOptions {
  dbName?: string
  onProgress?: (line: string) => void
}

/**
 * Connects mongoose to MONGODB_URI or, when it is not set, to an embedded server it starts.
 * Registered models are initialised (indexes built); an index the server rejects is reported,
 * not thrown, so one unsupported index never takes the service down.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let embedded: EmbeddedDb | undefined
  let uri = config.database.uri
  if (!uri) {
    embedded = await startEmbeddedDb({ ...config.database.embedded, onProgress: options.onProgress })
    uri = embedded.uri
  }
  const dbName = options.dbName ?? 'linli'
  const full = withDbName(uri, dbName)
  await connectMongoose(full)
  await initModels(logger)
  if (embedded) logBackend(logger, embedded)
  if (embedded?.pg)
    await ensurePgIndexesLogged(logger, embedded.pg, new URL(full).pathname.slice(1) || dbName)
  return {
    safeUri: redactUri(full),
    source: embedded ? embedded.kind : 'external',
    backend: embedded?.backend,
    dataDir: embedded?.dataDir,
    crashed: embedded?.crashed ?? new Promise(() => undefined),
    lastProgressAt: () => lastProgressAt,
    ping: async () => {
      const db = mongoose.connection.db
      if (!db || mongoose.connection.readyState !== 1) throw new Error('database not connected')
      await db.command({ ping: 1 })
    },
    reconnect: async () => {
      await mongoose.disconnect().catch(() => undefined)
      await connectMongoose(full)
    },
    close: async () => {
      await mongoose.disconnect()
      await embedded?.stop()
    },
  }
}

/** When the driver last got a connection back from a finished operation: the watch's sign of life. */
let lastProgressAt = Date.now()

export async function connectMongoose(uri: string): Promise<void> {
  mongoose.set('strictQuery', true)
  guardModelsAgainstNul()
  await mongoose.connect(uri, {
    // An unreachable server fails a query within 3 s (the API answers 503, the bot retries).
    serverSelectionTimeoutMS: 3000,
    // A dead socket is dropped after 5 minutes. Not shorter: on FerretDB's SQLite backend a filter
    // other than `_id` reads the whole collection, and a city-sized registry import legitimately
    // waits longer than 30 s for such a read (the 283,000-row benchmark import did).
    socketTimeoutMS: 300_000,
    autoIndex: false,
    maxPoolSize: 20,
  })
  lastProgressAt = Date.now()
  mongoose.connection.getClient().on('connectionCheckedIn', () => {
    lastProgressAt = Date.now()
  })
}

export interface ModelInitFailure {
  model: string
  message: string
}

/** Builds the indexes of every registered model; returns (and logs) the ones the server refused. */
export async function initModels(logger: Logger): Promise<ModelInitFailure[]> {
  const failures: ModelInitFailure[] = []
  guardModelsAgainstNul()
  for (const name of mongoose.modelNames()) {
    const model = mongoose.model(name)
    try {
      await model.createCollection().catch(() => undefined)
      await model.createIndexes()
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      failures.push({ model: name, message })
      logger.error({ model: name, err: message }, 'index not accepted by the database; continuing without it')
    }
  }
  return failures
}

function logBackend(logger: Logger, embedded: EmbeddedDb): void {
  const where = { backend: embedded.backend ?? embedded.kind, dataDir: embedded.dataDir }
  if (embedded.backend === 'postgresql')
    logger.info(where, '数据库：内置 FerretDB + PostgreSQL / database: embedded FerretDB on PostgreSQL')
  else if (embedded.backend === 'sqlite')
    logger.warn(
      where,
      '数据库：内置 FerretDB + SQLite（较慢）/ database: embedded FerretDB on SQLite (slower)',
    )
  else logger.info(where, '数据库：内置 mongod / database: embedded mongod')
}

/**
 * The GIN expression indexes the PostgreSQL backend needs for Linli's equality filters
 * (src/lib/storage/pg-indexes.ts), made at every start; a failure is logged, never fatal (only slower).
 */
export async function ensurePgIndexesLogged(
  logger: Logger,
  pg: EmbeddedDb['pg'],
  dbName: string,
): Promise<void> {
  if (!pg) return
  try {
    const r = await ensurePgIndexes(pg, dbName)
    logger.info(
      { indexes: r.indexes.length, created: r.created.length, dropped: r.dropped.length },
      'PostgreSQL GIN indexes in place',
    )
  } catch (err) {
    logger.error(
      { err: err instanceof Error ? err.message : String(err) },
      'PostgreSQL GIN indexes not created',
    )
  }
}
