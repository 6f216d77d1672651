import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Router from '@koa/router'
import type { Context } from 'koa'
import send from 'koa-send'
import { NotFoundError, UnavailableError } from '../../lib/errors.js'
import { ResidentModel } from '../../models/registry.model.js'
import type { AuthService } from '../../services/auth/auth.service.js'
import { peopleWithRoles } from '../../services/registry/registry.staff-queries.js'
import { requireActor } from '../middleware/auth.js'

/** Where `npm run build:console` writes the staff console (console/dist at the repository root). */
export const CONSOLE_DIST = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../console/dist',
)

/** Roles that sign in to the console (everyone else uses the mini-program). */
const STAFF_ROLES = [
  'grid_worker',
  'community_staff',
  'department_staff',
  'street_staff',
  'intake_desk',
  'admin',
  'merchant',
] as const

/** Vite names built assets `name-<hash>.ext`: they never change, so browsers may keep them a year. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/

async function serveConsole(ctx: Context, dist: string): Promise<void> {
  const index = path.join(dist, 'index.html')
  if (!existsSync(index)) throw new UnavailableError('工作台尚未构建，请先运行 npm run build:console')
  // `/console` itself is the app too (assets are linked by absolute /console/assets/… paths).
  const rel = ctx.path.slice('/console/'.length)
  // A client-side page (no file extension) gets the app; a missing file with an extension is a 404.
  const isPage = rel === '' || !path.posix.basename(rel).includes('.')
  const file = isPage ? 'index.html' : rel
  try {
    await send(ctx, file, {
      root: dist,
      hidden: false,
      index: false,
      setHeaders: (res) => {
        res.setHeader(
          'cache-control',
          HASHED_ASSET.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
        )
        res.setHeader('x-content-type-options', 'nosniff')
      },
    })
  } catch (err) {
    const status = (err as { status?: number }).status
    if (status === 404 || status === 400 || status === 403) throw new NotFoundError('页面')
    throw err
  }
  if (ctx.body === undefined) throw new NotFoundError('页面')
}

/**
 * The staff console's static files at `/console/` (a single-page app: paths without a file get
 * index.html), `GET /api/v1/me` for the signed-in actor, and, with dev login only, the list of staff
 * to pick from on the sign-in page.
 */
export function consoleRoutes(deps: { auth: Pick<AuthService, 'devLoginEnabled'>; dist?: string }): Router {
  const dist = deps.dist ?? CONSOLE_DIST
  const router = new Router()
  router.get('/console', (ctx) => serveConsole(ctx, dist))
  router.get('/console/*path', (ctx) => serveConsole(ctx, dist))
  router.get('/api/v1/me', async (ctx) => {
    const actor = requireActor(ctx)
    const person = await ResidentModel.findById(actor.personId).select('name').lean()
    ctx.body = {
      personId: actor.personId,
      name: person?.name ?? '',
      roles: actor.roles,
      communityIds: actor.communityIds,
      gridIds: actor.gridIds,
      ...(actor.departmentId ? { departmentId: actor.departmentId } : {}),
    }
  })
  if (deps.auth.devLoginEnabled) {
    router.get('/api/v1/auth/dev-staff', async (ctx) => {
      const staff = await peopleWithRoles(STAFF_ROLES)
      ctx.body = {
        items: staff.map((p) => ({ personId: p.id, name: p.name, roles: p.roles })),
      }
    })
  }
  return router
}
