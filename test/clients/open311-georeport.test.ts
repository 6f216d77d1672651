import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { makeApiApp, makeApiWorld } from '../api/api-world.js'
import { useTestDatabase } from '../db.js'
import { PLACES, placeGrids } from '../places-fixtures.js'

const run = promisify(execFile)
const GEOREPORT = 'georeport==0.3.1'
const CACHE = process.env.LINLI_CACHE_DIR ?? path.resolve(import.meta.dirname, '../../.cache')
const VENV = path.join(CACHE, 'py', 'georeport-0.3.1')
const PY = path.join(VENV, 'bin', 'python')

/**
 * The PyPI GeoReport v2 client in a virtualenv under LINLI_CACHE_DIR/py, installed on first use
 * (bounded to two minutes). Undefined, with the reason, when Python or the package index is missing.
 */
async function georeportPython(): Promise<{ python?: string; reason?: string }> {
  if (existsSync(PY)) {
    const ok = await run(PY, ['-c', 'import georeport'], { timeout: 20_000 }).then(
      () => true,
      () => false,
    )
    if (ok) return { python: PY }
  }
  try {
    mkdirSync(path.dirname(VENV), { recursive: true })
    await run('python3', ['-m', 'venv', VENV], { timeout: 60_000 })
    await run(PY, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', GEOREPORT], {
      timeout: 120_000,
    })
    return { python: PY }
  } catch (err) {
    return { reason: `GeoReport client not available: ${(err as Error).message.split('\n')[0]}` }
  }
}

const client = await georeportPython()
if (client.reason) console.warn(client.reason)

describe.skipIf(!client.python)('Open311 read by the PyPI GeoReport v2 client (georeport 0.3.1)', () => {
  useTestDatabase()

  it('lists services, a definition and requests in JSON and XML as the client parses them', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await placeGrids(w.grid, w.grid2)
    const { key } = await api.services.auth.createApiKey(String(w.admin._id), 'GeoReport client')
    const filed = await api.http.post('/open311/v2/requests.json').set('x-api-key', key).send({
      service_code: 'facility_repair',
      description: '井盖松动',
      lat: PLACES.near3.lat,
      long: PLACES.near3.lng,
    })
    expect(filed.status).toBe(201)
    const number = filed.body[0].service_request_id as string
    const server = api.app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const script = path.resolve(import.meta.dirname, 'georeport_check.py')
      const { stdout } = await run(
        client.python as string,
        [script, `http://127.0.0.1:${port}/open311/v2`, number],
        {
          timeout: 60_000,
        },
      )
      const seen = JSON.parse(stdout) as Record<'json' | 'xml', Record<string, unknown>>
      for (const fmt of ['json', 'xml'] as const) {
        expect(seen[fmt].service_codes).toContain('facility_repair')
        expect(seen[fmt].service_names).toContain('设施报修')
        expect(seen[fmt].request_ids).toEqual([number])
        expect(seen[fmt].one).toMatchObject({
          service_request_id: number,
          status: 'open',
          address: 'KH社区3号楼',
        })
      }
      // JSON keeps numbers; XML gives text (the client does not type it).
      expect(seen.json.one).toMatchObject({ lat: PLACES.near3.lat, long: PLACES.near3.lng })
      expect(seen.xml.one).toMatchObject({ lat: String(PLACES.near3.lat), long: String(PLACES.near3.lng) })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  }, 120_000)
})
