import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type EmbeddedBackend, startEmbeddedDb } from '../src/lib/embedded-db.js'

/** A fresh embedded server in a temporary folder, for a bench script; `stop` also removes the folder. */
export async function startScratchDb(prefix: string, backend: EmbeddedBackend) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `linli-${prefix}-`))
  const db = await startEmbeddedDb({
    dataDir,
    cacheDir: path.resolve(process.env.LINLI_CACHE_DIR ?? '.cache'),
    port: 0,
    startTimeoutMs: 60_000,
    backend,
  })
  return {
    ...db,
    async stop() {
      await db.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
