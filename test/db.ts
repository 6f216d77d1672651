import { randomBytes } from 'node:crypto'
import mongoose from 'mongoose'
import { afterAll, beforeAll, beforeEach, inject } from 'vitest'
import { connectMongoose, initModels } from '../src/lib/database.js'
import { silentLogger } from '../src/lib/logger.js'
import { forgetCaseNumberHints } from '../src/services/cases/case.number.js'

/** The URI of a fresh database of this test file's own on the run's real server. */
export function testDatabaseUri(prefix = 't'): string {
  const base = new URL(inject('mongoUri'))
  base.pathname = `/${prefix}_${randomBytes(5).toString('hex')}`
  return base.toString()
}

/**
 * Connects mongoose (the default connection the models use) to a database of this file's own,
 * builds the registered models' indexes, empties every collection before each test and drops the
 * database at the end. Import the models a test uses before calling this. `monitorCommands` turns on
 * the driver's command events on the connection's client.
 */
export function useTestDatabase(options: { monitorCommands?: boolean } = {}): { uri: () => string } {
  let uri = ''
  beforeAll(async () => {
    uri = testDatabaseUri()
    // The driver's command events (commandStarted…), for tests that count what a path costs.
    if (options.monitorCommands) {
      const u = new URL(uri)
      u.searchParams.set('monitorCommands', 'true')
      uri = u.toString()
    }
    await connectMongoose(uri)
    await initModels(silentLogger)
  })
  beforeEach(async () => {
    await clearDatabase()
  })
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined)
    await mongoose.disconnect()
  })
  return { uri: () => uri }
}

/** Deletes every document of every collection (indexes stay). */
export async function clearDatabase(): Promise<void> {
  const db = mongoose.connection.db
  if (!db) throw new Error('test database is not connected')
  const collections = await db.collections()
  await Promise.all(collections.map((c) => c.deleteMany({})))
  // What this process learnt of the data is forgotten with it.
  forgetCaseNumberHints()
}
