import { z } from 'zod'
import type { RouteDoc } from '../openapi.js'

const Rect = { x: z.number(), y: z.number(), w: z.number(), h: z.number() }

/** The reply of `GET /api/v1/communities/:id/map` (metres, x east, y south, origin top-left). */
export const CommunityMapReply = z.object({
  community: z.object({ id: z.string(), code: z.string(), name: z.string() }),
  layout: z.enum(['geo', 'schematic']),
  unit: z.literal('m'),
  width: z.number(),
  height: z.number(),
  grids: z.array(
    z.object({
      id: z.string(),
      code: z.string(),
      name: z.string(),
      workerName: z.string().nullable(),
      block: z.object(Rect),
      outline: z.array(z.tuple([z.number(), z.number()])).optional(),
    }),
  ),
  buildings: z.array(
    z.object({
      building: z.string(),
      gridId: z.string(),
      gridCode: z.string(),
      ...Rect,
      households: z.number().int(),
      openCases: z.number().int(),
      overdueCases: z.number().int(),
      urgentOpen: z.number().int(),
    }),
  ),
  cases: z.array(
    z.object({
      number: z.string(),
      building: z.string().nullable(),
      placed: z.boolean(),
      category: z.string(),
      urgency: z.string(),
      status: z.string(),
      overdue: z.boolean(),
    }),
  ),
  generatedAt: z.string(),
})

/** The community map (issue 14, the console's map view). */
export const mapDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/communities/:id/map',
    summary:
      '社区地图：网格与楼栋的平面布局（米；网格都有边界时按坐标投影，否则生成示意图），各楼栋住户数、在办/超期/紧急工单数，及在办工单列表',
    tags: ['registry'],
    auth: 'token_or_api_key',
    roles: ['community_staff', 'street_staff', 'admin'],
    response: CommunityMapReply,
  },
]
