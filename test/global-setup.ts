import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { ensureConsoleBuilt } from '../scripts/console-build.js'
import { type EmbeddedDb, startEmbeddedDb } from '../src/lib/embedded-db.js'
import { embeddedTestOptions } from './embedded-options.js'

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string
  }
}

/**
 * Builds the staff console when needed, then starts one real database server for the whole run
 * (FerretDB, on PostgreSQL when installed, in a fresh temporary folder, or MONGODB_URI when set); each test file then uses a database of its own on it. The server is stopped
 * and its folder removed at the end, also when tests fail.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The console tests (and /console/ in every service world) serve console/dist: build it once when
  // it is missing or older than its sources (a fresh clone in CI has none).
  await ensureConsoleBuilt({ log: (line) => process.stderr.write(`${line}\n`) })
  const external = process.env.MONGODB_URI
  if (external) {
    project.provide('mongoUri', external)
    return async () => undefined
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'linli-test-db-'))
  let db: EmbeddedDb
  try {
    // FerretDB on PostgreSQL when it is installed (LINLI_EMBEDDED_BACKEND=sqlite|postgresql to choose);
    // the throw-away cluster runs without fsync.
    db = await startEmbeddedDb(
      embeddedTestOptions(dataDir, { onProgress: (line) => process.stderr.write(`${line}\n`) }),
    )
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
  project.provide('mongoUri', db.uri)
  return async () => {
    await db.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
