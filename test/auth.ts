import { fixedClock } from '../src/lib/clock.js'
import { loadConfig } from '../src/lib/config.js'
import { silentLogger } from '../src/lib/logger.js'
import { createAuthService } from '../src/services/auth/auth.service.js'

/**
 * A real auth service for route tests: `bearer(personId)` gives the Authorization header value of a
 * freshly issued session for that person, so routes are tested through the real authentication.
 */
export function testAuth(now = new Date()) {
  const config = loadConfig({ LINLI_ENV: 'test', LINLI_TOKEN_SECRET: 'route-tests' }, {})
  const auth = createAuthService({ config, clock: fixedClock(now), logger: silentLogger })
  return {
    auth,
    bearer: async (personId: string): Promise<string> =>
      `Bearer ${(await auth.issueSession(personId)).accessToken}`,
  }
}
