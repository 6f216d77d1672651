import path from 'node:path'
import type { Context, Next } from 'koa'
import '../src/models/kb.model.js'
import '../src/models/lock.model.js'
import { createApp } from '../src/http/app.js'
import type { Actor } from '../src/http/middleware/auth.js'
import { kbRoutes } from '../src/http/routes/kb.routes.js'
import type { Clock } from '../src/lib/clock.js'
import { silentLogger } from '../src/lib/logger.js'
import { createKbService } from '../src/services/kb/kb.service.js'
import { loadVocabulary } from '../src/services/kb/kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '..')

/** Stands in for the real token authentication: the test names the actor in a header. */
async function testActor(ctx: Context, next: Next) {
  const header = ctx.get('x-test-actor')
  if (header) ctx.state.actor = JSON.parse(header) as Actor
  await next()
}

/** The `x-test-actor` header value for a person with these roles. */
export const actorHeader = (personId: string, roles: string[]) =>
  JSON.stringify({ personId, roles, communityIds: [], gridIds: [], via: 'dev' })

/**
 * The knowledge-base routes over real Koa with a real knowledge base service (the shipped vocabulary,
 * the given clock and upload limit), and the staff and resident actors the route tests use.
 */
export function kbTestApp(options: { clock: Clock; maxDocumentKb: number }) {
  const kb = createKbService({
    logger: silentLogger,
    clock: options.clock,
    vocabulary: loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml')),
  })
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: 64,
    middleware: [testActor],
    routers: [kbRoutes({ kb, maxDocumentKb: options.maxDocumentKb })],
  }).callback()
  return {
    kb,
    app,
    staff: actorHeader('staff-1', ['community_staff']),
    resident: actorHeader('res-1', ['resident']),
  }
}
