import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MongoClient } from 'mongodb'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { embeddedTestOptions } from '../../test/embedded-options.js'
import { type EmbeddedDbOptions, startEmbeddedDb } from './embedded-db.js'
import { findPgBinDir } from './embedded-pg.js'

// Real servers: the embedded FerretDB with its own PostgreSQL cluster in a temporary data folder.
const hasPg = findPgBinDir() !== undefined

describe.skipIf(!hasPg && !process.env.CI)('the embedded PostgreSQL cluster', () => {
  const folders: string[] = []
  afterEach(() => {
    for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true })
  })
  function options(backend: EmbeddedDbOptions['backend'], progress: string[] = []): EmbeddedDbOptions {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'linli-pgc-'))
    folders.push(dataDir)
    return embeddedTestOptions(dataDir, { backend, onProgress: (l) => progress.push(l) })
  }

  it('keeps its data across a restart and after a stale postmaster.pid, created once, run by a non-root user', async () => {
    const progress: string[] = []
    const o = options('postgresql', progress)
    const first = await startEmbeddedDb(o)
    expect(first.backend).toBe('postgresql')
    const pgDir = path.join(o.dataDir, 'pg')
    expect(statSync(pgDir).uid).not.toBe(0)
    let client = await MongoClient.connect(`${first.uri}keep`)
    await client
      .db()
      .collection('notes')
      .insertOne({ _id: 'n1' as never, text: '停水通知' })
    await client.close()
    await first.stop()
    // A postmaster.pid naming a process that is gone (a machine crash) does not stop the next start.
    writeFileSync(path.join(pgDir, 'postmaster.pid'), `999999\n${pgDir}\n`)
    const second = await startEmbeddedDb(o)
    client = await MongoClient.connect(`${second.uri}keep`)
    expect(
      await client
        .db()
        .collection('notes')
        .findOne({ _id: 'n1' as never }),
    ).toMatchObject({ text: '停水通知' })
    await client.close()
    await second.stop()
    expect(progress.filter((l) => l.includes('Creating the PostgreSQL cluster'))).toHaveLength(1)
    expect(readFileSync(path.join(o.dataDir, 'postgresql.log'), 'utf8')).toContain(
      'database system is shut down',
    )
  }, 120_000)

  it('stays on SQLite by itself when the data folder already holds SQLite data', async () => {
    // LINLI_EMBEDDED_BACKEND wins over the option (CI sets it to postgresql); this test is about the
    // choice `auto` makes by itself.
    const pinned = process.env.LINLI_EMBEDDED_BACKEND
    delete process.env.LINLI_EMBEDDED_BACKEND
    onTestFinished(() => {
      if (pinned !== undefined) process.env.LINLI_EMBEDDED_BACKEND = pinned
    })
    const progress: string[] = []
    const o = options('sqlite', progress)
    const before = await startEmbeddedDb(o)
    const client = await MongoClient.connect(`${before.uri}linli`)
    await client.db().collection('notes').insertOne({ text: '旧数据' })
    await client.close()
    await before.stop()
    const db = await startEmbeddedDb({ ...o, backend: 'auto' })
    try {
      expect(db.backend).toBe('sqlite')
      expect(progress.join('\n')).toContain('继续使用 SQLite')
    } finally {
      await db.stop()
    }
  }, 60_000)
})
