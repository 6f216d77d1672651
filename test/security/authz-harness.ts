import mongoose from 'mongoose'
import type { Test } from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { expect } from 'vitest'
import { type ApiApp, type ApiWorld, makeApiApp, makeApiWorld, type Who } from '../api/api-world.js'
import { makeTargets, type Targets } from '../api/case-targets.js'
import { createPerson } from '../factories.js'

/** Every kind of caller the matrix tries: residents, workers, departments, staff of both communities, a city admin, nobody. */
export const ROLES: Who[] = [
  'reporter',
  'neighbour',
  'worker',
  'worker2',
  'dept',
  'deptB',
  'staff',
  'otherStaff',
  'admin',
  'outsider',
  'merchant',
  'anonymous',
]

/** Everyone who is signed in. */
export const SIGNED_IN: Who[] = ROLES.filter((r) => r !== 'anonymous')

export type Kind = 'assigned' | 'posted' | 'other' | 'resolved'
export type Outcome = number | 'ok'

export interface Ctx {
  api: ApiApp
  w: ApiWorld
  /** The shared case targets (made on first use: most platform rows need none). */
  targets(): Promise<Targets>
  /** A fresh case for a role that is allowed (state-changing routes). */
  freshCase(kind: Kind): Promise<string>
  freshResident(): Promise<string>
  /** Values a row prepared once for all roles (events, notices, keys). */
  memo<T>(key: string, make: () => Promise<T>): Promise<T>
}

export interface Row {
  /** `METHOD /path` as served (the first two words), then a note on the target. */
  route: string
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  /** The concrete path; `allowed` is true when the role is expected to succeed. */
  path(c: Ctx, allowed: boolean): Promise<string> | string
  body?: (c: Ctx, allowed: boolean) => Promise<Record<string, unknown>> | Record<string, unknown>
  /** A raw body instead of JSON: content type and bytes. */
  raw?: (c: Ctx) => { type: string; data: Buffer | string }
  /** Request headers the route requires besides the credentials (e.g. Idempotency-Key). */
  headers?: () => Record<string, string>
  /** Roles expected to get a 2xx. Everyone else: 403; anonymous: 401. */
  ok: Who[]
  /** Status for the signed-in roles that are refused when it is not 403 (e.g. 404 that hides an id). */
  deny?: Partial<Record<Who, number>>
  /** Checks the reply of a role beyond its status (e.g. an import that refuses rows of another community). */
  verify?: (who: Who, body: unknown) => void
  /** How to compare data before and after the refused calls (default: every collection). */
  snapshot?: () => Promise<string>
}

/** `METHOD /path` of a row: the served route it covers. */
export function routeKey(row: Row): string {
  const [method = '', path = ''] = row.route.split(/\s+/)
  return `${method.toLowerCase()} ${path.split('?')[0]}`
}

/** Every document of every collection, so a refused call that changed anything shows up. */
export async function snapshotAll(): Promise<string> {
  const db = mongoose.connection.db
  if (!db) throw new Error('test database is not connected')
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort()
  const out: Record<string, unknown> = {}
  for (const name of names) {
    // api_keys record lastUsedAt on a valid key even when the route then refuses: not a change by the caller.
    if (name === 'api_keys') continue
    out[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray()
  }
  return JSON.stringify(out)
}

function send(
  agent: TestAgent<Test>,
  row: Row,
  c: Ctx,
  path: string,
  body: Record<string, unknown> | undefined,
) {
  const req = agent[row.method](path).set(row.headers?.() ?? {})
  if (row.raw) {
    const raw = row.raw(c)
    return req.set('content-type', raw.type).send(raw.data)
  }
  return row.method === 'get' || row.method === 'delete' ? req : req.send(body ?? {})
}

/**
 * Calls the row's route as every role: refused roles first (against shared targets, and nothing may
 * change), then the allowed ones; the statuses must match the row's expectation exactly.
 */
export async function runRow(row: Row, defaultSnapshot: () => Promise<string> = snapshotAll): Promise<void> {
  const api = makeApiApp()
  const w = await makeApiWorld(api)
  let targets: Promise<Targets> | undefined
  const memos = new Map<string, Promise<unknown>>()
  let residents = 0
  const c: Ctx = {
    api,
    w,
    targets: () => {
      targets ??= makeTargets(api, w)
      return targets
    },
    freshCase: async (kind) => (await c.targets()).fresh(kind),
    freshResident: async () => {
      residents += 1
      const p = await createPerson(`待注销${residents}`, ['resident'], {
        communityId: w.community._id,
        gridId: w.grid._id,
      })
      return String(p._id)
    },
    memo: <T>(key: string, make: () => Promise<T>) => {
      if (!memos.has(key)) memos.set(key, make())
      return memos.get(key) as Promise<T>
    },
  }
  const expected = (who: Who): Outcome =>
    who === 'anonymous' ? 401 : row.ok.includes(who) ? 'ok' : (row.deny?.[who] ?? 403)
  const snapshot = row.snapshot ?? defaultSnapshot
  const got: Record<string, Outcome> = {}
  const want: Record<string, Outcome> = {}
  const order = [...ROLES].sort((a, b) => Number(expected(a) === 'ok') - Number(expected(b) === 'ok'))
  // Sessions and the targets the refused roles aim at are made before the snapshot.
  for (const who of ROLES) await w.headers(who)
  await row.path(c, false)
  if (row.body) await row.body(c, false)
  const before = await snapshot()
  let changed: string[] | undefined
  for (const who of order) {
    const allowed = expected(who) === 'ok'
    if (allowed && !changed) changed = differences(before, await snapshot())
    const path = await row.path(c, allowed)
    const body = row.body ? await row.body(c, allowed) : undefined
    const res = await send(api.http, row, c, path, body).set(await w.headers(who))
    got[who] = res.status >= 200 && res.status < 300 ? 'ok' : res.status
    want[who] = expected(who)
    if (res.status >= 400) expect(res.body.error?.code, `${who}: ${JSON.stringify(res.body)}`).toBeTruthy()
    row.verify?.(who, res.body)
  }
  changed ??= differences(before, await snapshot())
  expect(got).toEqual(want)
  expect(changed, `refused calls changed data on ${row.route}`).toEqual([])
}

/** The collections (top-level keys) whose content differs between two snapshots. */
function differences(before: string, after: string): string[] {
  if (before === after) return []
  const a = JSON.parse(before) as Record<string, unknown>
  const b = JSON.parse(after) as Record<string, unknown>
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  const out = [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
  return out.length > 0 ? out : ['(order)']
}
