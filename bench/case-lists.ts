import { MongoClient } from 'mongodb'
import { ensurePgIndexes } from '../src/lib/storage/index.js'
import { medianP95, timeRuns } from './measure.js'
import { startScratchDb } from './scratch-db.js'

// `npx tsx bench/case-lists.ts [cases]`: the staff board, one grid's open cases and a grid's workers,
// each in the query shape read before issue 17 (dotted `location.*` paths, `$in` over statuses, a
// role scan of residents) and in the one read now (top-level `communityId` / `gridId`, one equality
// per status, `staffKeys`), on the same embedded PostgreSQL backend with the GIN indexes of
// src/lib/storage/pg-indexes.ts, same data, same run. Median and p95 of repeated reads.

const N = Number(process.argv[2] ?? 50_000)
const COMMUNITIES = 20
const GRIDS = Math.ceil(N / 250)
const STATUSES = ['received', 'assigned', 'in_progress', 'resolved', 'closed', 'closed', 'closed', 'closed']
const OPEN = ['received', 'posted', 'assigned', 'in_progress']
const RESIDENTS = N

const timed = async (runs: number, fn: (i: number) => Promise<unknown>) => medianP95(await timeRuns(runs, fn))

const db = await startScratchDb('caselists', 'postgresql')
const client = await MongoClient.connect(`${db.uri}caselists`)
const cases = client.db().collection<Record<string, unknown>>('cases')
const residents = client.db().collection<Record<string, unknown>>('residents')
await client.db().createCollection('cases')
await client.db().createCollection('residents')
if (db.pg) await ensurePgIndexes(db.pg, 'caselists')
for (let i = 0; i < N; i += 5000) {
  await cases.insertMany(
    Array.from({ length: Math.min(5000, N - i) }, (_, k) => {
      const n = i + k
      const place = { communityId: `c${n % COMMUNITIES}`, gridId: `g${n % GRIDS}` }
      return { number: `n${n}`, status: STATUSES[n % STATUSES.length], location: place, ...place }
    }),
    { ordered: false },
  )
  await residents.insertMany(
    Array.from({ length: Math.min(5000, RESIDENTS - i) }, (_, k) => {
      const n = i + k
      const worker = n % 100 === 0
      const grid = `g${(n / 100) % GRIDS}`
      return {
        name: `居民${n}`,
        gridId: grid,
        roles: worker ? ['grid_worker'] : ['resident'],
        staff: { gridIds: worker ? [grid] : [] },
        staffKeys: worker ? ['grid_worker', `grid_worker@grid:${grid}`] : [],
      }
    }),
    { ordered: false },
  )
}
if (db.pg) await ensurePgIndexes(db.pg, 'caselists')
const page = (filter: Record<string, unknown>) => cases.find(filter).sort({ _id: -1 }).limit(21).toArray()
const each = (base: Record<string, unknown>) => Promise.all(OPEN.map((status) => page({ ...base, status })))
const c = (i: number) => `c${i % COMMUNITIES}`
const g = (i: number) => `g${(i * 7) % GRIDS}`
const rows: Array<[string, string]> = [
  [
    'staff board, before {location.communityId}',
    await timed(20, (i) => page({ 'location.communityId': c(i) })),
  ],
  ['staff board, now {communityId}', await timed(20, (i) => page({ communityId: c(i) }))],
  [
    "a grid's open cases, before {location.gridId, status: {$in}}",
    await timed(20, (i) => page({ 'location.gridId': g(i), status: { $in: OPEN } })),
  ],
  ["a grid's open cases, now {gridId, status} × 4", await timed(20, (i) => each({ gridId: g(i) }))],
  [
    "a grid's workers, before {roles, staff.gridIds, erasedAt: {$exists}}",
    await timed(20, (i) =>
      residents.find({ roles: 'grid_worker', 'staff.gridIds': g(i), erasedAt: { $exists: false } }).toArray(),
    ),
  ],
  [
    "a grid's workers, now {staffKeys}",
    await timed(20, (i) => residents.find({ staffKeys: `grid_worker@grid:${g(i)}` }).toArray()),
  ],
]
console.log(
  `PostgreSQL backend, ${N} cases (${COMMUNITIES} communities, ${GRIDS} grids), ${RESIDENTS} residents`,
)
for (const [what, figure] of rows) console.log(`${what}: ${figure}`)
await client.close()
await db.stop()
