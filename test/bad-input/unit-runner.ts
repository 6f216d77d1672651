import fc from 'fast-check'
import { expect } from 'vitest'
import type { AttackKind, Probe } from './attacks.js'
import type { Caller, createProbeRunner } from './probe-runner.js'
import type { PlannedRoute } from './route-plan.js'

/** Runs per route, caller and attack kind (fixed, so the totals are the same every run). */
export const RUNS: Record<AttackKind, number> = {
  'malformed-json': 2,
  oversized: 1,
  'wrong-types': 2,
  'extra-fields': 2,
  'deep-nesting': 2,
  'huge-strings': 1,
  'odd-unicode': 3,
  operators: 2,
  'content-type': 2,
  query: 4,
  'path-id': 5,
  method: 1,
}

export const CALLERS: Caller[] = ['as-role', 'anonymous']

/** Anonymous callers are stopped at the door (401) on most routes: half the runs suffice. */
export function runsFor(kind: AttackKind, caller: Caller): number {
  return caller === 'anonymous' ? Math.ceil(RUNS[kind] / 2) : RUNS[kind]
}

export type Attack = [AttackKind, fc.Arbitrary<Probe>]

/** A unit of work: one route, one caller, some attack kinds. */
export interface Unit {
  route: PlannedRoute
  caller: Caller
  attacks: Attack[]
}

/** Kinds no route may accept from anyone (so their segments are always checked). */
const MUST_REFUSE = new Set<AttackKind>([
  'malformed-json',
  'oversized',
  'wrong-types',
  'deep-nesting',
  'operators',
  'path-id',
  'method',
])

/** A DELETE's body is not read at all (only POST, PUT and PATCH bodies are parsed), so it may pass. */
export function mustBeRefused(route: PlannedRoute, kind: AttackKind): boolean {
  const bodyKind = kind !== 'path-id' && kind !== 'method' && kind !== 'query'
  return MUST_REFUSE.has(kind) && !(route.method === 'delete' && bodyKind)
}

/** Every route with every caller, the given attacks split by whether they could ever be accepted. */
export function unitsOf(routes: PlannedRoute[], attacksOf: (r: PlannedRoute) => Attack[]): Unit[] {
  const out: Unit[] = []
  for (const caller of CALLERS) {
    for (const route of routes) {
      const attacks = attacksOf(route)
      if (attacks.length === 0) continue
      const mustRefuse = attacks.filter(([k]) => mustBeRefused(route, k))
      const mayAccept = attacks.filter(([k]) => !mustBeRefused(route, k))
      if (caller === 'anonymous' || route.method === 'get') out.push({ route, caller, attacks })
      else {
        if (mustRefuse.length > 0) out.push({ route, caller, attacks: mustRefuse })
        if (mayAccept.length > 0) out.push({ route, caller, attacks: mayAccept })
      }
    }
  }
  return out
}

/** Counterexamples print as a short summary (a 250 KiB body would drown the report). */
function shortPrinted(probe: Probe): Probe {
  const text = JSON.stringify({
    ...probe,
    body: probe.body && { ...probe.body, data: String(probe.body.data).slice(0, 200) },
  })
  return Object.assign(probe, { [fc.toStringMethod]: () => text.slice(0, 600) })
}

/** Up to this many units share one before/after snapshot when none of them may write. */
const CHUNK = 20

/**
 * Runs the units in segments: units that must not write at all (anonymous callers of secured routes,
 * GETs, attacks every route must refuse) share a snapshot pair by CHUNK; a unit that may
 * legitimately write (odd but well-formed input to a mutating route, with its role) is a segment of
 * its own, checked only when nothing in it was accepted.
 */
export async function runUnits(runner: ReturnType<typeof createProbeRunner>, units: Unit[]): Promise<void> {
  let open: string[] = []
  const close = async () => {
    if (open.length > 0) await runner.end(open.join('; '))
    open = []
  }
  for (const { route, caller, attacks } of units) {
    const what = `${route.method.toUpperCase()} ${route.path} ${caller}`
    const mustRefuse = attacks.every(([k]) => mustBeRefused(route, k))
    const shared = route.method === 'get' || (caller === 'anonymous' && route.secured) || mustRefuse
    if (!shared || open.length >= CHUNK) await close()
    if (open.length === 0) await runner.begin()
    open.push(what)
    for (const [kind, arb] of attacks) {
      await fc.assert(
        fc.asyncProperty(arb.map(shortPrinted), async (probe) => {
          const status = await runner.send(route, probe, caller)
          if (mustBeRefused(route, kind))
            expect(status, `${what} accepted a ${kind} request`).toBeGreaterThanOrEqual(400)
        }),
        { numRuns: runsFor(kind, caller), endOnFailure: true },
      )
    }
    if (!shared) await close()
  }
  await close()
}
