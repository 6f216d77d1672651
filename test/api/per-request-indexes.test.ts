import { describe, expect, it } from 'vitest'
import { PG_INDEXED_FIELDS } from '../../src/lib/storage/index.js'
import '../../src/models/outbox.model.js'
import { notCheap, type RecordedCommand, recordCommands, servingIndex } from '../command-recorder.js'
import { useTestDatabase } from '../db.js'
import { type ApiApp, type ApiWorld, makeApiApp, makeApiWorld, type Who } from './api-world.js'

/**
 * Why a command of a per-request path is not answered from an index on both backends, or undefined:
 * a top-level equality (or `_id`) with a limit (notCheap), a declared mongoose index of its model
 * that serves it (what MongoDB uses), and each equality field in the GIN list of the PostgreSQL
 * backend (src/lib/storage/pg-indexes.ts; FerretDB reads the whole table for any other field).
 */
function whyNotIndexed(c: RecordedCommand): string | undefined {
  const cheap = notCheap(c)
  if (cheap) return cheap
  const index = servingIndex(c)
  if (!index) return 'no declared index serves it'
  const filter = (c.filter ?? {}) as Record<string, unknown>
  const equalities = Object.entries(filter)
    .filter(([, v]) => !(v && typeof v === 'object' && v.constructor?.name === 'Object'))
    .map(([k]) => k)
  const gin = PG_INDEXED_FIELDS[c.collection] ?? []
  const missing = equalities.filter((k) => k !== '_id' && !gin.includes(k))
  return missing.length ? `not in the GIN list: ${c.collection}.${missing.join(', ')}` : undefined
}

/**
 * The per-request paths over real HTTP: every command each sends, checked against the indexes
 * declared for MongoDB and for FerretDB on PostgreSQL. Dropping one of those indexes, or widening a
 * filter to a dotted path or `$in`, fails here.
 */
describe('per-request paths read by indexed keys', () => {
  useTestDatabase({ monitorCommands: true })

  async function world(): Promise<{ api: ApiApp; w: ApiWorld }> {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const reports = [
      { text: '3号楼2单元楼道灯坏了，晚上很黑' },
      { text: '5号楼暖气不热，家里只有十几度', category: 'heating_utilities' },
    ]
    for (const [i, body] of reports.entries()) {
      const res = await api.http
        .post('/api/v1/cases')
        .set(auth)
        .set('idempotency-key', `idx-${i}-0000000`)
        .send(body)
      expect(res.status).toBe(201)
    }
    return { api, w }
  }

  /** The commands one GET sends, as `line → why not indexed` for those that are not. */
  async function plan(api: ApiApp, w: ApiWorld, who: Who, url: string) {
    const headers = await w.headers(who)
    // Once to warm what the process remembers, then the request that is measured.
    await api.http.get(url).set(headers)
    const { result, commands } = await recordCommands(() => api.http.get(url).set(headers))
    expect(result.status).toBe(200)
    const bad = commands.flatMap((c) => {
      const why = whyNotIndexed(c)
      return why ? [`${c.line} → ${why}`] : []
    })
    return { body: result.body, commands, bad }
  }

  it("a resident's cases (cases/mine)", async () => {
    const { api, w } = await world()
    const { body, bad } = await plan(api, w, 'reporter', '/api/v1/cases/mine')
    expect(body.items).toHaveLength(2)
    expect(bad).toEqual([])
  })

  it("a grid worker's inbox and history", async () => {
    const { api, w } = await world()
    const inbox = await plan(api, w, 'worker', '/api/v1/worker/cases')
    expect(inbox.body.items.length).toBeGreaterThan(0)
    expect(inbox.bad).toEqual([])
    expect((await plan(api, w, 'worker', '/api/v1/worker/cases?status=resolved,closed')).bad).toEqual([])
  })

  it("a department's marketplace", async () => {
    const { api, w } = await world()
    const { body, bad } = await plan(api, w, 'dept', '/api/v1/marketplace')
    expect(body.items).toHaveLength(1)
    expect(bad).toEqual([])
  })

  // These filter on the cases' top-level `communityId` / `gridId` (mirrors of the location's ids), one
  // equality per status: never the dotted paths or `$in` FerretDB does not push down.
  it("community staff's case list (staff board)", async () => {
    const { api, w } = await world()
    const { body, bad } = await plan(api, w, 'staff', '/api/v1/community/cases')
    expect(body.items.length).toBeGreaterThan(0)
    expect(bad).toEqual([])
  })

  it("community staff's board filtered by several statuses and a grid, with counts", async () => {
    const { api, w } = await world()
    const url = `/api/v1/community/cases?status=received,assigned&grid=${String(w.grid._id)}&count=true`
    const { body, bad } = await plan(api, w, 'staff', url)
    expect(body.total).toBe(body.items.length)
    expect(body.items.length).toBeGreaterThan(0)
    expect(bad).toEqual([])
  })

  it("one grid's open cases", async () => {
    const { api, w } = await world()
    const url = `/api/v1/worker/cases?gridId=${String(w.grid._id)}`
    const { body, bad } = await plan(api, w, 'worker', url)
    expect(body.items).toHaveLength(2)
    expect(bad).toEqual([])
  })

  it("one community's statistics by grid", async () => {
    const { api, w } = await world()
    const { body, bad } = await plan(api, w, 'staff', '/api/v1/stats?by=grid&from=2026-11-01&to=2026-11-30')
    expect(body.totals.total).toBe(2)
    expect(bad).toEqual([])
  })
})
