import Router from '@koa/router'
import { z } from 'zod'
import { ForbiddenError } from '../../lib/errors.js'
import { isCommunityStaffFor } from '../../services/cases/case.access.js'
import type { CommunityMapService } from '../../services/map/community-map.service.js'
import { requireRole } from '../middleware/auth.js'
import { parseParams } from '../validate.js'

export const CommunityMapParams = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, '社区编号格式不正确') })

/**
 * `GET /api/v1/communities/:id/map`: the community's grids and buildings laid out for drawing, with
 * open cases by building, for the staff of that community, street staff of it and admins.
 */
export function mapRoutes(deps: { map: CommunityMapService }): Router {
  const router = new Router({ prefix: '/api/v1' })

  router.get('/communities/:id/map', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const { id } = parseParams(ctx, CommunityMapParams)
    if (!isCommunityStaffFor(actor, id)) throw new ForbiddenError('只能查看本社区的地图')
    ctx.body = await deps.map.communityMap(id)
  })

  return router
}
