import { describe, expect, it } from 'vitest'
import { servedRoutes } from '../../src/http/openapi.js'
import { authRoutes } from '../../src/http/routes/auth.routes.js'
import { botRoutes } from '../../src/http/routes/bot.routes.js'
import { consoleRoutes } from '../../src/http/routes/console.routes.js'
import { simRoutes } from '../../src/http/routes/sim.routes.js'
import { wecomRoutes } from '../../src/http/routes/wecom.routes.js'
import { makeApiApp } from '../api/api-world.js'
import { useTestDatabase } from '../db.js'
import { routeKey, runRow } from './authz-harness.js'
import { CASE_ROWS } from './case-rows.js'
import { PLATFORM_ROWS } from './platform-rows.js'
import { POLL_ROWS } from './poll-rows.js'
import { SHOP_ROWS } from './shop-rows.js'
import { VOLUNTEER_ROWS } from './volunteer-rows.js'

/**
 * Routes with no role matrix, each with the reason and the test that covers it instead. A new route
 * must get a matrix row (case-rows.ts or platform-rows.ts) or an entry here, or the coverage test fails.
 */
const OUTSIDE_MATRIX: Record<string, string> = {
  'get /healthz': 'public liveness probe, no data',
  'get /readyz': 'public readiness probe, no data',
  'get /api/v1/openapi.json': 'public API description',
  'get /api/v1/docs': 'public API description page',
  'post /api/v1/auth/wx-login': 'the login itself (test/security/tokens.test.ts, auth.routes.test.ts)',
  'post /api/v1/auth/refresh': 'takes a refresh token, not a role (test/security/tokens.test.ts)',
  'post /api/v1/auth/logout': 'takes a refresh token, not a role (test/security/tokens.test.ts)',
  'post /api/v1/auth/dev-login':
    'absent unless dev login is enabled outside production (auth.routes.test.ts)',
  ...Object.fromEntries(
    ['json', 'xml'].flatMap((f) => [
      [`get /open311/discovery.${f}`, 'GeoReport discovery document: public by the standard, no data'],
      [`get /open311/v2/services.${f}`, 'GeoReport: public by the standard'],
      [`get /open311/v2/services/:code.${f}`, 'GeoReport: public by the standard'],
      [
        `get /open311/v2/requests.${f}`,
        'GeoReport: public by the standard, no personal data (open311.test.ts)',
      ],
      [
        `get /open311/v2/requests/:id.${f}`,
        'GeoReport: public by the standard, no personal data (open311.test.ts)',
      ],
      [
        `post /open311/v2/requests.${f}`,
        'API key only, not tokens (test/security/tokens.test.ts, open311.test.ts)',
      ],
    ]),
  ),
  'get /api/v1/bot/status': 'admin only; mounted only with a running bot (test/security/tokens.test.ts)',
  'get /wecom/callback':
    'WeCom signs the call (msg_signature over token and ciphertext), no user token (test/api/wecom-callback.test.ts)',
  'post /wecom/callback':
    'WeCom signs and encrypts the call; the sender is mapped to a person by wecomUserId (test/api/wecom-callback.test.ts)',
  'get /simulator': 'mounted only when isSimulatorAllowed: never in production, mock puppet only',
  'post /api/v1/sim/rooms': 'simulator (see /simulator)',
  'post /api/v1/sim/contacts': 'simulator (see /simulator)',
  'post /api/v1/sim/rooms/:roomId/messages': 'simulator (see /simulator)',
  'post /api/v1/sim/contacts/:contactId/messages': 'simulator (see /simulator)',
  'get /api/v1/sim/rooms/:roomId/messages': 'simulator (see /simulator)',
  'get /api/v1/sim/contacts/:contactId/messages': 'simulator (see /simulator)',
  'get /console': 'static files of the staff console, no data (test/api/console.test.ts)',
  'get /console/*path': 'static files of the staff console, no data (test/api/console.test.ts)',
  'post /api/v1/auth/console-tickets':
    'the console asks for a sign-in QR before anyone is signed in (test/api/console-login.test.ts)',
  'get /api/v1/auth/console-tickets/:ticket':
    'the ticket is the credential of the poll, tokens handed out once (test/api/console-login.test.ts)',
  'get /api/v1/auth/dev-staff':
    'absent unless dev login is enabled outside production (test/api/console.test.ts)',
}

describe('authorization matrix: every served route × role × foreign id', () => {
  useTestDatabase()

  it('has a row (or a stated reason) for every route the service serves', () => {
    const api = makeApiApp()
    // Mounted only with a running bot, the simulator, or dev login: their route tables need none of it.
    const optional = [
      botRoutes({} as never),
      wecomRoutes({} as never),
      simRoutes({} as never),
      authRoutes({ auth: { devLoginEnabled: true } as never, consoleLogin: {} as never }),
      consoleRoutes({ auth: { devLoginEnabled: true } }),
    ]
    const served = servedRoutes([...api.routers, ...optional]).map((r) => `${r.method} ${r.path}`)
    const covered = new Set(
      [...CASE_ROWS, ...PLATFORM_ROWS, ...POLL_ROWS, ...SHOP_ROWS, ...VOLUNTEER_ROWS].map(routeKey),
    )
    const missing = served.filter((k) => !covered.has(k) && !(k in OUTSIDE_MATRIX))
    expect(missing, 'routes without an authorization matrix row').toEqual([])
    // Rows and reasons for routes that no longer exist are stale.
    const stale = [...covered, ...Object.keys(OUTSIDE_MATRIX)].filter((k) => !served.includes(k))
    expect(stale).toEqual([])
    expect(served.length).toBeGreaterThan(70)
  })

  it.each(PLATFORM_ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    await runRow(row)
  })

  it.each(POLL_ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    await runRow(row)
  })

  it.each(SHOP_ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    await runRow(row)
  })

  it.each(VOLUNTEER_ROWS.map((r) => [r.route, r] as const))('%s', async (_name, row) => {
    await runRow(row)
  })
})
