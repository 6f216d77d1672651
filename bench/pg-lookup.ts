import { MongoClient } from 'mongodb'
import type { EmbeddedBackend } from '../src/lib/embedded-db.js'
import { ensurePgIndexes } from '../src/lib/storage/index.js'
import { medianP95, round, timeRuns } from './measure.js'
import { startScratchDb } from './scratch-db.js'

// `npx tsx bench/pg-lookup.ts [documents] [backends]`: findOne by _id and find by gridId on a
// `residents` collection of N documents (200 per grid), on each embedded backend (default both),
// median and p95 of repeated reads. PostgreSQL gets the GIN indexes of src/lib/storage/pg-indexes.ts.

const N = Number(process.argv[2] ?? 100_000)
const backends = (process.argv[3] ?? 'postgresql,sqlite').split(',') as EmbeddedBackend[]

for (const backend of backends) {
  const db = await startScratchDb('pglookup', backend)
  const client = await MongoClient.connect(`${db.uri}lookup`)
  const residents = client.db().collection<{ _id: string; gridId: string; name: string }>('residents')
  await client.db().createCollection('residents')
  if (db.pg) await ensurePgIndexes(db.pg, 'lookup')
  const t0 = performance.now()
  for (let i = 0; i < N; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, N - i) }, (_, k) => ({
      _id: `r${i + k}`,
      gridId: `g${(i + k) % Math.ceil(N / 200)}`,
      name: `居民${i + k}`,
      phoneHash: `h${i + k}`,
    }))
    await residents.insertMany(batch, { ordered: false })
  }
  const insertS = (performance.now() - t0) / 1000
  const byId = await timeRuns(50, (i) => residents.findOne({ _id: `r${(i * 7919) % N}` }))
  const byGrid = await timeRuns(20, async (i) =>
    residents.find({ gridId: `g${(i * 31) % Math.ceil(N / 200)}` }).toArray(),
  )
  console.log(
    `${backend}: ${N} residents inserted in ${round(insertS)} s; findOne {_id}: ${medianP95(byId)}; find {gridId} (200 docs): ${medianP95(byGrid)}`,
  )
  await client.close()
  await db.stop()
}
