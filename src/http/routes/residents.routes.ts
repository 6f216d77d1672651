import Router from '@koa/router'
import { z } from 'zod'
import { ForbiddenError, InvalidInputError } from '../../lib/errors.js'
import {
  canAccessResident,
  ERASE_REASON_MESSAGE,
  isRealEraseReason,
} from '../../services/registry/registry.privacy.js'
import type { RegistryService } from '../../services/registry/registry.service.js'
import { WECOM_USERID_MESSAGE } from '../../services/registry/registry.validation.js'
import type { ResidentView } from '../../services/registry/registry.views.js'
import { type Actor, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

const Id = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
export const ResidentIdParams = z.object({ id: Id })
export const ResidentListQuery = z.object({ householdId: Id }).strict()
/** Letters and digits in a reason: zero-width marks or lone surrogates alone are not a reason. */
const meaningful = (s: string) => (s.match(/[\p{L}\p{N}]/gu) ?? []).length >= 2
export const RevealInput = z
  .object({
    reason: z.string().trim().min(2, '请填写查看理由').max(200).refine(meaningful, '请填写查看理由'),
  })
  .strict()
export const EraseInput = z
  .object({
    reason: z.string().max(200).describe('删除原因：至少两个不同的字（「00」之类会被拒绝，400）'),
  })
  .strict()
export const ResidentBody = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string().optional(),
  idNumber: z.string().optional(),
  wecomUserId: z.string().optional(),
  communityId: z.string().optional(),
  householdId: z.string().optional(),
  gridId: z.string().optional(),
  roles: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  erased: z.boolean().optional(),
})

/** What staff change of a person: the WeCom userid ('' or null clears it). */
export const ResidentPatchInput = z
  .object({
    wecomUserId: z
      .string(WECOM_USERID_MESSAGE)
      .trim()
      .regex(/^[A-Za-z0-9_.@-]{0,64}$/, WECOM_USERID_MESSAGE)
      .nullable(),
  })
  .strict()

const STAFF = ['grid_worker', 'community_staff', 'street_staff', 'admin'] as const

/** What staff see of a resident: masked numbers, no code token or WeChat ids; a staff WeCom userid. */
function present(r: ResidentView) {
  return {
    id: r.id,
    name: r.name,
    householdId: r.householdId,
    communityId: r.communityId,
    gridId: r.gridId,
    roles: r.roles,
    tags: r.tags,
    phone: r.phone,
    idNumber: r.idNumber,
    ...(r.wecomUserId ? { wecomUserId: r.wecomUserId } : {}),
    erased: r.erased,
  }
}

function assertSees(actor: Actor, r: { id: string; communityId?: string; gridId?: string }): void {
  if (!canAccessResident(actor, r)) throw new ForbiddenError('您无权查看这位居民的信息')
}

/** Export and erasure are for community staff of the resident's community and admins, not grid workers. */
function assertManages(
  actor: Actor,
  r: { id: string; communityId?: string; gridId?: string },
  refusal = '只有本社区的工作人员可以导出或注销居民信息',
): void {
  const manager = actor.roles.some((x) => x === 'community_staff' || x === 'street_staff' || x === 'admin')
  if (!manager || !canAccessResident({ ...actor, roles: actor.roles.filter((x) => x !== 'grid_worker') }, r))
    throw new ForbiddenError(refusal)
}

/**
 * `/api/v1/residents…` for staff: a household's residents and one resident with masked numbers, an
 * audited reveal of the full numbers, the PIPL export and erasure, and setting a staff member's WeCom
 * userid (audited, one person per id).
 */
export function residentsRoutes(deps: { registry: RegistryService }): Router {
  const { registry } = deps
  const router = new Router({ prefix: '/api/v1/residents' })
  router.get('/', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { householdId } = parseQuery(ctx, ResidentListQuery)
    const h = await registry.getHousehold(householdId)
    assertSees(actor, { id: '', communityId: h.communityId, gridId: h.gridId })
    ctx.body = { items: (await registry.listHouseholdResidents(householdId)).map(present) }
  })
  router.get('/:id', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const r = await registry.getResident(parseParams(ctx, ResidentIdParams).id)
    assertSees(actor, r)
    ctx.body = present(r)
  })
  router.patch('/:id', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const { id } = parseParams(ctx, ResidentIdParams)
    const { wecomUserId } = parseBody(ctx, ResidentPatchInput)
    assertManages(actor, await registry.getResident(id), '只有本社区的工作人员可以修改人员的企业微信账号')
    ctx.body = present(
      await registry.changeWeComUserId({
        actorId: actor.personId,
        residentId: id,
        wecomUserId: wecomUserId ?? '',
      }),
    )
  })
  router.post('/:id/reveal', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF)
    const { id } = parseParams(ctx, ResidentIdParams)
    const { reason } = parseBody(ctx, RevealInput)
    ctx.set('Cache-Control', 'no-store')
    ctx.body = await registry.revealPersonalData({ actor, residentId: id, reason })
  })
  router.post('/:id/export', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const { id } = parseParams(ctx, ResidentIdParams)
    const { reason } = parseBody(ctx, RevealInput)
    assertManages(actor, await registry.getResident(id))
    ctx.set('Cache-Control', 'no-store')
    ctx.body = await registry.exportResidentData({ actor, residentId: id, reason })
  })
  router.post('/:id/erase', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const { id } = parseParams(ctx, ResidentIdParams)
    const { reason } = parseBody(ctx, EraseInput)
    // Checked before anything else, so the Chinese sentence (not a validator's list) reaches the user.
    if (!isRealEraseReason(reason)) throw new InvalidInputError(ERASE_REASON_MESSAGE)
    assertManages(actor, await registry.getResident(id))
    await registry.eraseResident({ actor, residentId: id, reason })
    ctx.body = { erased: true }
  })
  return router
}
