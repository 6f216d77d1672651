import type supertest from 'supertest'
import { expect } from 'vitest'
import type { Who } from '../api/api-world.js'
import type { Probe } from './attacks.js'
import { type Allowed, type DbSnapshot, diffSnapshots, snapshotDatabase } from './db-snapshot.js'
import type { PlannedRoute } from './route-plan.js'

/** A request must be answered within this time (a hang or a pathological parse is a failure). */
export const PER_REQUEST_MS = 5_000
const CHINESE = /[\u3400-\u9fff]/

/**
 * `{error:{code,message}}` with a Chinese message; Open311 routes answer in GeoReport's own error shape
 * `[{code, description}]` (the spec's; `<errors><error>…` on `.xml` routes), which gets the same check.
 */
function expectErrorBody(route: PlannedRoute, raw: unknown, label: string, text = ''): void {
  if (route.path.startsWith('/open311/') && route.path.endsWith('.xml')) {
    // GeoReport's XML error shape.
    expect(text, label).toMatch(/<errors><error><code>\d{3}<\/code><description>[^<]*[\u3400-\u9fff]/)
    return
  }
  if (route.path.startsWith('/open311/') && Array.isArray(raw)) {
    const first = raw[0] as { code?: unknown; description?: unknown } | undefined
    expect(typeof first?.code, label).toBe('number')
    expect(String(first?.description), label).toMatch(CHINESE)
    return
  }
  const body = raw as { error?: { code?: unknown; message?: unknown } }
  expect(typeof body?.error?.code, label).toBe('string')
  expect(String(body?.error?.message), label).toMatch(CHINESE)
}

/** Running totals the suite prints at the end. */
export interface Totals {
  requests: number
  byKind: Record<string, number>
  msByRoute: Record<string, number>
  byStatus: Record<string, number>
  acceptedCount: number
  /** The first few accepted requests (for reading, not asserting). */
  accepted: string[]
  refusedVerified: number
  refusedUnverified: number
  /** Answered GETs in checked segments (a GET must leave the data as it was). */
  getsVerified: number
  snapshots: number
  snapshotMs: number
  requestMs: number
  slowestMs: number
  slowest: string
}

export function newTotals(): Totals {
  return {
    requests: 0,
    byKind: {},
    msByRoute: {},
    byStatus: {},
    acceptedCount: 0,
    accepted: [],
    refusedVerified: 0,
    refusedUnverified: 0,
    getsVerified: 0,
    snapshots: 0,
    snapshotMs: 0,
    requestMs: 0,
    slowestMs: 0,
    slowest: '',
  }
}

export type Caller = 'as-role' | 'anonymous'

/**
 * Sends probes and checks each answer: no 5xx, a `{error:{code,message}}` with a Chinese message on
 * every refusal, no 2xx for anonymous callers of secured routes, an answer within PER_REQUEST_MS.
 * Requests run in segments; a segment with no 2xx must leave every collection exactly as it was.
 */
export function createProbeRunner(opts: {
  /** supertest over the app's callback, or over a running server's URL. */
  http: ReturnType<typeof supertest>
  /** The Authorization header of a caller. */
  headersOf(who: Who): Promise<Record<string, string>>
  /** The route's URL with good ids, or with one parameter replaced. */
  pathOf(route: PlannedRoute, override?: { param: string; value: string }): string
  apiKey: string
  allowed: Allowed
  totals: Totals
  /** Waits for background work (a bot handling accepted messages) before a baseline is taken. */
  settle?: () => Promise<void>
}) {
  const { http, headersOf, pathOf, apiKey, allowed, totals, settle } = opts
  let baseline: DbSnapshot | undefined
  let refusedInSegment = 0
  let acceptedInSegment = false
  let safeAccepted = 0

  async function snap(): Promise<DbSnapshot> {
    totals.snapshots += 1
    const started = performance.now()
    const snapshot = await snapshotDatabase(allowed)
    totals.snapshotMs += performance.now() - started
    return snapshot
  }

  async function send(route: PlannedRoute, probe: Probe, caller: Caller): Promise<number> {
    let url = pathOf(route, probe.path)
    const query = [
      probe.query,
      caller === 'as-role' && route.who === 'apiKey' ? `api_key=${apiKey}` : undefined,
    ]
      .filter(Boolean)
      .join('&')
    if (query) url += `?${query}`
    const method = (probe.method ?? route.method) as 'get'
    let req = http[method](url).timeout({ response: PER_REQUEST_MS, deadline: PER_REQUEST_MS * 2 })
    if (caller === 'as-role' && route.who !== 'apiKey') req = req.set(await headersOf(route.who))
    if (probe.body) {
      if (probe.body.type) req = req.set('content-type', probe.body.type)
      for (const [k, v] of Object.entries(probe.body.headers ?? {})) req = req.set(k, v)
      req = req.send(probe.body.data)
    }
    const label = `${method.toUpperCase()} ${url.slice(0, 160)} [${probe.kind}, ${caller}]`
    const started = performance.now()
    const res = await req.catch((err: Error & { response?: { status: number } }) => {
      if (err.response) return err.response as typeof err.response & { body: unknown; text: string }
      throw new Error(`${label}: no answer (${err.message})`)
    })
    const ms = performance.now() - started
    totals.requests += 1
    totals.requestMs += ms
    const key = `${route.method} ${route.path}`
    totals.msByRoute[key] = (totals.msByRoute[key] ?? 0) + ms
    totals.byKind[probe.kind] = (totals.byKind[probe.kind] ?? 0) + 1
    totals.byStatus[res.status] = (totals.byStatus[res.status] ?? 0) + 1
    if (ms > totals.slowestMs) {
      totals.slowestMs = Math.round(ms)
      totals.slowest = label
    }
    expect(ms, `${label} took ${Math.round(ms)} ms`).toBeLessThan(PER_REQUEST_MS)
    expect(res.status, `${label}: ${String(res.text).slice(0, 300)}`).toBeLessThan(500)
    if (res.status >= 200 && res.status < 300) {
      if (caller === 'anonymous') expect(route.secured, `${label}: anonymous got ${res.status}`).toBe(false)
      // A GET must not write even when it answers, so it keeps the segment checkable.
      if (route.method === 'get') safeAccepted += 1
      else acceptedInSegment = true
      totals.acceptedCount += 1
      if (totals.accepted.length < 400) totals.accepted.push(`${res.status} ${label}`)
      return res.status
    }
    expectErrorBody(
      route,
      res.body,
      `${label}: ${res.status} ${String(res.text).slice(0, 200)}`,
      String(res.text),
    )
    refusedInSegment += 1
    return res.status
  }

  /** Starts a segment (takes the baseline if the last one was not clean). */
  async function begin(): Promise<void> {
    if (!baseline) {
      await settle?.()
      baseline = await snap()
    }
    refusedInSegment = 0
    safeAccepted = 0
    acceptedInSegment = false
  }

  /** Ends a segment: with no 2xx in it, the database must be exactly as at its start. */
  async function end(what: string): Promise<void> {
    if (acceptedInSegment) {
      totals.refusedUnverified += refusedInSegment
      baseline = undefined
      return
    }
    const after = await snap()
    const changed = diffSnapshots(baseline as DbSnapshot, after)
    expect(changed, `refused requests or GETs changed data (${what})`).toEqual([])
    totals.refusedVerified += refusedInSegment
    totals.getsVerified += safeAccepted
    baseline = after
  }

  return { send, begin, end }
}

/** The totals as printed lines. */
export function formatTotals(title: string, t: Totals): string {
  const kinds = Object.entries(t.byKind)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ')
  const statuses = Object.entries(t.byStatus)
    .sort()
    .map(([k, n]) => `${k}:${n}`)
    .join(' ')
  return [
    `[bad-input] ${title}: ${t.requests} requests, refused ${t.refusedVerified + t.refusedUnverified} ` +
      `(${t.refusedVerified} with the database checked unchanged), accepted ${t.acceptedCount} ` +
      `(${t.getsVerified} GETs checked unchanged); ` +
      `${Math.round(t.requestMs)} ms in requests, ${t.snapshots} snapshots in ${Math.round(t.snapshotMs)} ms`,
    `[bad-input]   by kind: ${kinds}`,
    `[bad-input]   by status: ${statuses}`,
    `[bad-input]   slowest: ${t.slowestMs} ms ${t.slowest}`,
    `[bad-input]   most time: ${Object.entries(t.msByRoute)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, ms]) => `${k} ${Math.round(ms)} ms`)
      .join(', ')}`,
  ].join('\n')
}
