import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import '../../src/models/outbox.model.js'
import { recordCommands } from '../command-recorder.js'
import { useTestDatabase } from '../db.js'
import { type ApiApp, makeApiApp, makeApiWorld } from './api-world.js'

const run = promisify(execFile)

/** Runs test/other-process.ts: a second Linli process writing to the same database. */
async function otherProcess(uri: string, ...args: string[]): Promise<void> {
  const tsx = path.resolve('node_modules', '.bin', 'tsx')
  await run(tsx, [path.resolve('test', 'other-process.ts'), uri, ...args], { timeout: 60_000 })
}

async function report(api: ApiApp, auth: Record<string, string>, i: number): Promise<string> {
  const res = await api.http
    .post('/api/v1/cases')
    .set(auth)
    .set('idempotency-key', `mine-${i}-000000`)
    .send({ text: `${i + 1}号楼${i + 1}单元楼道灯坏了` })
  expect(res.status).toBe(201)
  return res.body.case.number as string
}

/**
 * What a busy `GET /api/v1/cases/mine` costs once nothing changed: no command of its own, only the
 * versions that say whether what this process remembers still holds (one read each, shared by the
 * requests that arrive together) — and what another process changes is seen on the very next request.
 */
describe('per-request paths served from memory, never stale', () => {
  const db = useTestDatabase({ monitorCommands: true })
  const mine = (api: ApiApp, auth: Record<string, string>) => api.http.get('/api/v1/cases/mine').set(auth)

  it('cases/mine after a change reads the follows and each case; the next requests only versions', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const numbers = [await report(api, auth, 0), await report(api, auth, 1)]
    const first = await recordCommands(() => mine(api, auth))
    expect(first.result.status).toBe(200)
    expect(first.result.body.items.map((c: { number: string }) => c.number)).toEqual(numbers.reverse())
    expect(first.commands.map((c) => c.line).sort()).toEqual(
      // The person is remembered from the reports; the reports changed cases, which shares its version
      // with sessions: the session is read again by `_id`.
      [
        'find auth_sessions {"_id":"String"}',
        'find case_follows {"personId":"ObjectId"}',
        'find cases {"_id":"ObjectId"}',
        'find cases {"_id":"ObjectId"}',
        'find registry_versions {"set":"String"}',
      ].sort(),
    )
    const again = await recordCommands(() => Promise.all([mine(api, auth), mine(api, auth), mine(api, auth)]))
    expect(again.result.map((r) => r.body.items.length)).toEqual([2, 2, 2])
    const versionReads = again.commands.filter((c) =>
      /^find registry_versions \{"set":"String"\}$/.test(c.line),
    )
    expect(versionReads).toEqual(again.commands)
    // At most one version read (both documents in one command) a request; requests at once share
    // them (src/lib/coalesced.test.ts).
    expect(again.commands.length).toBeLessThanOrEqual(3)
  })

  it('a logout in another process is refused on the next request here', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const session = await api.services.auth.issueSession(String(w.people.reporter))
    const auth = { authorization: `Bearer ${session.accessToken}` }
    expect((await mine(api, auth)).status).toBe(200)
    expect((await mine(api, auth)).status).toBe(200)
    await otherProcess(db.uri(), 'logout', session.refreshToken)
    const after = await mine(api, auth)
    expect(after.status).toBe(401)
    expect(after.body.error.code).toBe('UNAUTHENTICATED')
  })

  it('a role withdrawn in another process is refused on the next request here', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('worker')
    const inbox = () => api.http.get('/api/v1/worker/cases').set(auth)
    expect((await inbox()).status).toBe(200)
    expect((await inbox()).status).toBe(200)
    await otherProcess(db.uri(), 'drop-role', String(w.people.worker), 'grid_worker')
    expect((await inbox()).status).toBe(403)
  })

  it('a case changed in another process shows in cases/mine on the next request here', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const auth = await w.headers('reporter')
    const number = await report(api, auth, 0)
    expect((await mine(api, auth)).body.items[0]).toMatchObject({ number, status: 'assigned' })
    await otherProcess(db.uri(), 'case-status', number, 'in_progress')
    expect((await mine(api, auth)).body.items[0]).toMatchObject({ number, status: 'in_progress' })
  })
})
