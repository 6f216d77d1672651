import supertest from 'supertest'
import { createApp } from '../src/http/app.js'
import type { createMetrics } from '../src/http/metrics.js'
import { authenticate } from '../src/http/middleware/auth.js'
import { silentLogger } from '../src/lib/logger.js'
import { testAuth } from './auth.js'
import { createPerson } from './factories.js'

/** `GET /metrics` through the real authentication as a fresh admin; the response as supertest gives it. */
export async function scrapeMetrics(metrics: ReturnType<typeof createMetrics>, now?: Date) {
  const { auth, bearer } = testAuth(now)
  const admin = await createPerson('管理员', ['admin'])
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: 64,
    middleware: [authenticate(auth)],
    routers: [metrics.routes()],
  }).callback()
  return supertest(app)
    .get('/metrics')
    .set('authorization', await bearer(String(admin._id)))
}
