import Router from '@koa/router'
import { z } from 'zod'
import { ForbiddenError, NotFoundError } from '../../lib/errors.js'
import type { GridSummaryView, HouseholdSummaryView } from '../../services/registry/registry.browse.js'
import type { RegistryService } from '../../services/registry/registry.service.js'
import type { HouseholdView } from '../../services/registry/registry.views.js'
import { type Actor, isCityAdmin, requireActor, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

const ObjectId = z.string().regex(/^[a-f0-9]{24}$/, '编号格式不正确')
export const GridListQuery = z.object({ communityId: ObjectId.optional() }).strict()
export const GridHouseholdsQuery = z
  .object({
    building: z.string().min(1).max(20).optional(),
    /** Part of an address or a resident's name (the console's search box). */
    q: z.string().trim().min(1, '请输入要查找的地址或姓名').max(40, '查找内容太长了（40字以内）').optional(),
    /** Without a limit every household of the grid is listed (the mini-program's use). */
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()
export const PartyMemberBody = z.object({ memberId: ObjectId }).strict()
export const MissingPartyQuery = z
  .object({
    communityId: ObjectId.optional(),
    gridId: ObjectId.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()
const IdParams = z.object({ id: ObjectId })

/** Codes stay out of lists: a household's token binds a phone to the home, so only printed sheets carry it. */
function gridRow(g: GridSummaryView) {
  return {
    id: g.id,
    code: g.code,
    name: g.name,
    communityId: g.communityId,
    buildings: g.buildings,
    primaryWorkerId: g.primaryWorkerId ?? null,
    primaryWorkerName: g.primaryWorkerName ?? null,
    partTimeWorkerIds: g.partTimeWorkerIds,
    householdCount: g.householdCount,
  }
}

function householdRow(h: HouseholdView) {
  return {
    id: h.id,
    gridId: h.gridId,
    address: h.address,
    building: h.building,
    unit: h.unit,
    room: h.room,
    partyMemberId: h.partyMemberId ?? null,
  }
}

/** A listed household also says how many live there, their tags and the party member's name. */
function householdSummaryRow(h: HouseholdSummaryView) {
  return {
    ...householdRow(h),
    residentCount: h.residentCount,
    tags: h.tags,
    partyMemberName: h.partyMemberName ?? null,
  }
}

function isCommunityStaff(actor: Actor, communityId: string): boolean {
  if (isCityAdmin(actor)) return true
  const staff = actor.roles.some((r) => r === 'community_staff' || r === 'admin' || r === 'street_staff')
  return staff && actor.communityIds.includes(communityId)
}

/** Staff of the grid's community, or a grid worker of that grid. */
function assertGridAccess(actor: Actor, grid: { id: string; communityId: string }): void {
  if (isCommunityStaff(actor, grid.communityId)) return
  if (actor.roles.includes('grid_worker') && actor.gridIds.includes(grid.id)) return
  throw new ForbiddenError('只能查看本社区或本网格的数据')
}

/**
 * Grids, households and party-member links (党员联系户) for staff, and "my household" for residents.
 * Phone and ID numbers never appear here; lists carry no household codes.
 */
export function gridsRoutes(deps: { registry: RegistryService }): Router {
  const { registry } = deps
  const router = new Router({ prefix: '/api/v1' })

  router.get('/grids', async (ctx) => {
    const actor = requireRole(ctx, 'grid_worker', 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, GridListQuery)
    const communityId = q.communityId ?? actor.communityIds[0]
    if (!communityId) {
      const own = await Promise.all(actor.gridIds.map((id) => registry.getGrid(id)))
      ctx.body = { items: (await registry.summarizeGrids(own)).map(gridRow) }
      return
    }
    const grids = await registry.listGrids(communityId)
    const visible = isCommunityStaff(actor, communityId)
      ? grids
      : grids.filter((g) => actor.gridIds.includes(g.id))
    if (visible.length === 0 && grids.length > 0) throw new ForbiddenError('只能查看本社区或本网格的数据')
    ctx.body = { items: (await registry.summarizeGrids(visible)).map(gridRow) }
  })

  router.get('/grids/:id/households', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, IdParams)
    const q = parseQuery(ctx, GridHouseholdsQuery)
    assertGridAccess(actor, await registry.getGrid(id))
    const page = await registry.pageGridHouseholds(id, q)
    ctx.body = { total: page.total, items: page.items.map(householdSummaryRow) }
  })

  router.get('/households/mine', async (ctx) => {
    const actor = requireActor(ctx)
    const me = await registry.getResident(actor.personId)
    if (!me.householdId) throw new NotFoundError('您绑定的住户（请扫描家门口的门牌码绑定）')
    const household = await registry.getHousehold(me.householdId)
    const grid = await registry.getGrid(household.gridId)
    const member = await registry.getHouseholdPartyMember(household.id)
    ctx.body = {
      household: householdRow(household),
      grid: { id: grid.id, code: grid.code, name: grid.name },
      partyMember: member ? { id: member.id, name: member.name } : null,
    }
  })

  router.get('/households/:id/party-member', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, IdParams)
    const household = await registry.getHousehold(id)
    const me = await registry.getResident(actor.personId)
    if (me.householdId !== household.id)
      assertGridAccess(actor, { id: household.gridId, communityId: household.communityId })
    const member = await registry.getHouseholdPartyMember(id)
    ctx.body = { partyMember: member ? { id: member.id, name: member.name } : null }
  })

  router.put('/households/:id/party-member', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'admin')
    const { id } = parseParams(ctx, IdParams)
    const body = parseBody(ctx, PartyMemberBody)
    const household = await registry.getHousehold(id)
    if (!isCommunityStaff(actor, household.communityId))
      throw new ForbiddenError('只能管理本社区的党员联系户')
    await registry.linkPartyMember(body.memberId, [id])
    const member = await registry.getHouseholdPartyMember(id)
    ctx.body = { partyMember: member ? { id: member.id, name: member.name } : null }
  })

  router.get('/party-links/missing', async (ctx) => {
    const actor = requireRole(ctx, 'grid_worker', 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, MissingPartyQuery)
    if (q.gridId) assertGridAccess(actor, await registry.getGrid(q.gridId))
    else {
      const communityId = q.communityId ?? actor.communityIds[0]
      if (!communityId || !isCommunityStaff(actor, communityId))
        throw new ForbiddenError('只能查看本社区的数据')
      q.communityId = communityId
    }
    const result = await registry.listHouseholdsWithoutPartyMember({
      communityId: q.gridId ? undefined : q.communityId,
      gridId: q.gridId,
      limit: q.limit,
    })
    ctx.body = { total: result.total, items: result.households.map(householdRow) }
  })

  return router
}
