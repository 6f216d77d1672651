import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mongoose from 'mongoose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedTestOptions } from '../../../test/embedded-options.js'
import { connectMongoose, initModels } from '../database.js'
import { type EmbeddedDb, startEmbeddedDb } from '../embedded-db.js'
import { findPgBinDir, psql } from '../embedded-pg.js'
import { silentLogger } from '../logger.js'
import { ensurePgIndexes, ferretTables, indexName, PG_INDEXED_FIELDS } from './pg-indexes.js'

// Real servers: an own FerretDB on an own PostgreSQL cluster whose auto_explain writes the plan of
// every statement FerretDB sends into postgresql.log. The plans must use the GIN indexes, so a
// FerretDB that changes its metadata layout or the SQL shape of its pushdown fails here.
// Without PostgreSQL binaries this file is skipped on a developer machine, never in CI.
const hasPg = findPgBinDir() !== undefined
const DB = 'gin_plans'
const N = 4000

const modelsDir = path.resolve(import.meta.dirname, '../../models')

describe.skipIf(!hasPg && !process.env.CI)('PostgreSQL backend: GIN indexes under FerretDB', () => {
  let dataDir = ''
  let db: EmbeddedDb
  beforeAll(async () => {
    for (const f of readdirSync(modelsDir)) if (f.endsWith('.model.ts')) await import(path.join(modelsDir, f))
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'linli-gin-'))
    db = await startEmbeddedDb(
      embeddedTestOptions(dataDir, {
        backend: 'postgresql',
        pgSettings: ['session_preload_libraries=auto_explain', 'auto_explain.log_min_duration=0'],
      }),
    )
    await connectMongoose(`${db.uri}${DB}`)
    await initModels(silentLogger)
  }, 180_000)
  afterAll(async () => {
    await mongoose.disconnect().catch(() => undefined)
    await db?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('runs FerretDB on PostgreSQL and lists only collections the models have', () => {
    expect(db.backend).toBe('postgresql')
    const collections = new Set(mongoose.modelNames().map((n) => mongoose.model(n).collection.collectionName))
    expect(Object.keys(PG_INDEXED_FIELDS).filter((c) => !collections.has(c))).toEqual([])
    expect(
      Object.values(PG_INDEXED_FIELDS)
        .flat()
        .filter((f) => f.includes('.')),
    ).toEqual([])
  })

  it('creates the declared indexes once, keeps them at the next start, drops one no longer declared', async () => {
    const pg = db.pg
    if (!pg) throw new Error('no PostgreSQL connection')
    const tables = await ferretTables(pg, DB)
    await psql(pg, `CREATE INDEX lgin_stale ON "${DB}"."${tables.get('cases')}" ((_jsonb->'gone'))`)
    const first = await ensurePgIndexes(pg, DB)
    expect(first.dropped).toEqual(['lgin_stale'])
    const cases = tables.get('cases') ?? ''
    for (const field of ['_id', 'number', 'status'])
      expect(first.indexes.map((i) => i.name)).toContain(indexName(cases, field))
    const again = await ensurePgIndexes(pg, DB)
    expect(again.created).toEqual([])
    expect(again.indexes.length).toBe(first.indexes.length)
  })

  it("answers finds by _id, gridId, a staff key (in an array), a case number and an outbox lane from the GIN indexes (FerretDB's own SQL)", async () => {
    const pg = db.pg
    if (!pg) throw new Error('no PostgreSQL connection')
    const residents = mongoose.connection.collection('residents')
    const cases = mongoose.connection.collection('cases')
    await residents.insertMany(
      Array.from({ length: N }, (_, i) => ({
        name: `居民${i}`,
        gridId: `g${i % 200}`,
        communityId: 'c1',
        staffKeys: [`grid_worker@grid:g${i % 200}`, 'grid_worker'],
      })),
    )
    await cases.insertMany(
      Array.from({ length: N }, (_, i) => ({
        _id: `case-${i}` as never,
        number: `KH-${i}`,
        status: 'assigned',
        location: { gridId: `g${i % 200}`, communityId: 'c1' },
        gridId: `g${i % 200}`,
        communityId: `c${i % 20}`,
      })),
    )
    // The outbox: mostly sent messages, a few waiting in their lanes (the sender reads a lane).
    const outbox = mongoose.connection.collection('outbox')
    await outbox.insertMany(
      Array.from({ length: N }, (_, i) => ({
        key: `m-${i}`,
        account: 'default',
        status: i % 100 === 0 ? 'queued' : 'sent',
        ...(i % 100 === 0 ? { pendingLane: i % 200 === 0 ? 'reply' : 'bulk' } : {}),
        notBefore: new Date(i),
      })),
    )
    await ensurePgIndexes(pg, DB)
    await psql(pg, 'ANALYZE')
    const tables = await ferretTables(pg, DB)
    const logFile = path.join(dataDir, 'postgresql.log')
    const before = readFileSync(logFile, 'utf8').length

    const one = await residents.findOne({}, { skip: 17 })
    expect(await residents.findOne({ _id: one?._id })).toMatchObject({ name: one?.name })
    expect(await residents.countDocuments({ gridId: 'g7' })).toBe(N / 200)
    expect(await residents.find({ gridId: 'g7' }).toArray()).toHaveLength(N / 200)
    expect(await cases.findOne({ number: 'KH-321' })).toMatchObject({ _id: 'case-321' })
    // An equality on an array field matches the documents whose array holds the value.
    expect(await residents.find({ staffKeys: 'grid_worker@grid:g9' }).toArray()).toHaveLength(N / 200)
    expect(await cases.find({ gridId: 'g11' }).toArray()).toHaveLength(N / 200)
    expect(await cases.countDocuments({ communityId: 'c3', status: 'assigned' })).toBe(N / 20)
    expect(await cases.findOne({ _id: 'case-3999' as never })).toMatchObject({ number: 'KH-3999' })
    const lane = await outbox
      .find({ pendingLane: 'reply', account: 'default' })
      .sort({ notBefore: 1 })
      .toArray()
    expect(lane.map((m) => m.key)).toEqual(Array.from({ length: N / 200 }, (_, i) => `m-${i * 200}`))

    const r = tables.get('residents') ?? ''
    const c = tables.get('cases') ?? ''
    const o = tables.get('outbox') ?? ''
    const wanted = [
      [o, 'pendingLane'],
      [r, '_id'],
      [r, 'gridId'],
      [r, 'staffKeys'],
      [c, 'number'],
      [c, 'gridId'],
      [c, 'communityId'],
      [c, '_id'],
    ] as const
    // The server writes its log through a collector: on a busy machine the plans land a moment later.
    let plans: string[] = []
    const planOf = (table: string, field: string) =>
      plans.filter((p) => p.includes(`"${table}"`) && p.includes('@>') && p.includes(indexName(table, field)))
    for (let waited = 0; waited < 10_000; waited += 200) {
      plans = explainedPlans(readFileSync(logFile, 'utf8').slice(before))
      if (wanted.every(([table, field]) => planOf(table, field).length > 0)) break
      await new Promise((r) => setTimeout(r, 200))
    }
    for (const [table, field] of wanted) {
      const found = planOf(table, field)
      const msg = `no plan of ${table} uses ${indexName(table, field)}:\n${plans.join('\n---\n')}`
      expect(found.length, msg).toBeGreaterThan(0)
      expect(found[0]).toContain(`Bitmap Index Scan on ${indexName(table, field)}`)
    }
  }, 120_000)
})

/** The auto_explain entries of a PostgreSQL log: "plan:" line plus its tab-indented continuation. */
function explainedPlans(log: string): string[] {
  const plans: string[] = []
  let current: string[] | undefined
  for (const line of log.split('\n')) {
    if (line.startsWith('\t') && current) current.push(line)
    else {
      if (current) plans.push(current.join('\n'))
      current = /LOG: {2}duration: .* plan:/.test(line) ? [line] : undefined
    }
  }
  if (current) plans.push(current.join('\n'))
  return plans
}
