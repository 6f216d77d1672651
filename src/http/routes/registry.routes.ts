import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { DomainError, ForbiddenError, InvalidInputError } from '../../lib/errors.js'
import { DATUMS } from '../../lib/geo.js'
import { importRegistrySheet } from '../../services/registry/import/import.service.js'
import {
  type CodeKind,
  codePayload,
  parseCodePayload,
  renderBuildingSheet,
  renderQrPng,
  renderQrSvg,
} from '../../services/registry/registry.codes.js'
import { canAccessResident } from '../../services/registry/registry.privacy.js'
import type { RegistryService } from '../../services/registry/registry.service.js'
import { type Actor, requireActor, requireRole } from '../middleware/auth.js'
import { readRawBody } from '../raw-body.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

export interface RegistryRouteDeps {
  registry: RegistryService
  /** Largest accepted import upload, in MiB (`http.uploadLimitMb`). */
  uploadLimitMb: number
}

export const IdParams = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, '编号格式不正确') })
export const BuildingParams = IdParams.extend({ building: z.string().min(1).max(20) })
export const BindInput = z.object({ token: z.string().min(1).max(100) })
export const ImportQuery = z.object({
  community: z.string().min(1).max(40).optional(),
  /** The datum of the sheet's 经度/纬度 and 网格边界 where a row has no 坐标系 (default WGS-84). */
  datum: z.enum(DATUMS, { error: '坐标系只能是 WGS-84 或 GCJ-02' }).optional(),
})

const SHEET_TYPES = [
  'text/csv',
  'text/plain',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/octet-stream',
]

/** Staff who act for a community (or grid) may print and manage its codes. */
function actsFor(actor: Actor, place: { communityId: string; gridId?: string }): boolean {
  const roles = new Set(actor.roles)
  if (roles.has('admin') && actor.communityIds.length === 0) return true
  const staff = roles.has('admin') || roles.has('community_staff') || roles.has('street_staff')
  if (staff && actor.communityIds.includes(place.communityId)) return true
  return roles.has('grid_worker') && place.gridId !== undefined && actor.gridIds.includes(place.gridId)
}

function requirePlace(actor: Actor, place: { communityId: string; gridId?: string }): void {
  if (!actsFor(actor, place)) throw new ForbiddenError('只有本社区的工作人员可以查看这个二维码')
}

async function sendQr(ctx: Context, kind: CodeKind, token: string, format: 'png' | 'svg'): Promise<void> {
  const payload = codePayload(kind, token)
  ctx.set('Cache-Control', 'private, no-store')
  if (format === 'png') {
    ctx.type = 'image/png'
    ctx.body = await renderQrPng(payload)
  } else {
    ctx.type = 'image/svg+xml'
    ctx.body = await renderQrSvg(payload)
  }
}

/** Reads a raw upload up to `limit` bytes; larger bodies are refused with 413 before reading on. */
async function readUpload(ctx: Context, limit: number): Promise<Buffer> {
  const type = (ctx.request.type || '').toLowerCase()
  if (!SHEET_TYPES.includes(type)) {
    throw new InvalidInputError('请以 text/csv 或 Excel（.xlsx）格式上传表格', { contentType: type || null })
  }
  return readRawBody(ctx, limit, '文件')
}

/**
 * Registry endpoints: QR codes of grids, households and residents (一格一码/一户一码/一人一码), the
 * printable code sheet of a building, sheet import, and a resident binding themself to a household.
 */
export function registryRoutes(deps: RegistryRouteDeps): Router {
  const { registry } = deps
  const router = new Router({ prefix: '/api/v1' })

  for (const format of ['png', 'svg'] as const) {
    router.get(`/households/:id/qrcode.${format}`, async (ctx) => {
      const actor = requireActor(ctx)
      const household = await registry.getHousehold(parseParams(ctx, IdParams).id)
      const me = await registry.getResident(actor.personId).catch(() => undefined)
      if (me?.householdId !== household.id) requirePlace(actor, household)
      await sendQr(ctx, 'household', household.token, format)
    })
    router.get(`/grids/:id/qrcode.${format}`, async (ctx) => {
      const actor = requireActor(ctx)
      const grid = await registry.getGrid(parseParams(ctx, IdParams).id)
      requirePlace(actor, { communityId: grid.communityId, gridId: grid.id })
      await sendQr(ctx, 'grid', grid.token, format)
    })
  }

  router.get('/residents/:id/qrcode.svg', async (ctx) => {
    const actor = requireActor(ctx)
    const resident = await registry.getResident(parseParams(ctx, IdParams).id)
    if (!canAccessResident(actor, resident)) throw new ForbiddenError('只能查看自己的二维码')
    await sendQr(ctx, 'resident', resident.token, 'svg')
  })

  router.get('/grids/:id/buildings/:building/codes.html', async (ctx) => {
    const actor = requireRole(ctx, 'admin', 'community_staff', 'street_staff', 'grid_worker')
    const params = parseParams(ctx, BuildingParams)
    const grid = await registry.getGrid(params.id)
    requirePlace(actor, { communityId: grid.communityId, gridId: grid.id })
    const households = await registry.listBuildingHouseholds(grid.id, params.building)
    if (households.length === 0)
      throw new DomainError('NOT_FOUND', `网格 ${grid.code} 中没有 ${params.building} 号楼的住户`)
    const community = await registry.getCommunity(grid.communityId)
    ctx.type = 'text/html; charset=utf-8'
    ctx.set('Cache-Control', 'private, no-store')
    ctx.body = await renderBuildingSheet({
      community,
      grid,
      building: households[0]?.building ?? '',
      households,
    })
  })

  router.post('/admin/import', async (ctx) => {
    const actor = requireRole(ctx, 'admin', 'community_staff')
    const query = parseQuery(ctx, ImportQuery)
    const unrestricted = actor.roles.includes('admin') && actor.communityIds.length === 0
    const bytes = await readUpload(ctx, deps.uploadLimitMb * 1024 * 1024)
    // Staff of one community import into it when neither the address nor the sheet names one.
    const own = actor.communityIds.length === 1 ? actor.communityIds[0] : undefined
    const ownCode = own
      ? await registry.getCommunity(own).then(
          (c) => c.code,
          () => undefined,
        )
      : undefined
    const communityCode = query.community ?? ownCode
    ctx.body = await importRegistrySheet({ crypto: registry.crypto, clock: registry.clock }, bytes, {
      communityCode,
      allowedCommunityIds: unrestricted ? undefined : actor.communityIds,
      datum: query.datum,
    })
  })

  router.post('/households/bind', async (ctx) => {
    const actor = requireActor(ctx)
    const code = parseCodePayload(parseBody(ctx, BindInput).token)
    if (code?.kind !== 'household') throw new InvalidInputError('这不是门牌码，请扫描家门口张贴的二维码')
    const { household } = await registry.bindHouseholdByToken(actor.personId, code.token)
    ctx.body = { household: { id: household.id, address: household.address, gridId: household.gridId } }
  })

  return router
}
