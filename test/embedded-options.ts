import path from 'node:path'
import type { EmbeddedDbOptions } from '../src/lib/embedded-db.js'

/**
 * How tests start an embedded database in a throw-away folder: the FerretDB binary from
 * LINLI_CACHE_DIR, a free port, PostgreSQL when installed (`backend` to choose) without fsync.
 */
export function embeddedTestOptions(
  dataDir: string,
  extra: Partial<EmbeddedDbOptions> = {},
): EmbeddedDbOptions {
  return {
    dataDir,
    cacheDir: path.resolve(process.env.LINLI_CACHE_DIR ?? '.cache'),
    port: 0,
    startTimeoutMs: 60_000,
    backend: 'auto',
    fast: true,
    ...extra,
  }
}
