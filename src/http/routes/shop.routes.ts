import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { describeIssues, ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { POINTS_KINDS } from '../../models/points.model.js'
import {
  assertMayAward,
  gridLeaderboard,
  homeCommunityOf,
  setLeaderboardOptOut,
} from '../../services/points/points.leaderboard.js'
import { KIND_LABELS, Month, type PointsService } from '../../services/points/points.service.js'
import {
  type ShopActor,
  ShopItemInput,
  ShopItemPatch,
  type ShopService,
} from '../../services/shop/shop.service.js'
import { type Actor, isCityAdmin, requireActor, requireCommunity, requireRole } from '../middleware/auth.js'
import { parseBody as parseBodyRaw, parseParams, parseQuery as parseQueryRaw } from '../validate.js'
import { requestKey } from './cases.routes.js'

const Id = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
export const ShopIdParams = z.object({ id: Id })
export const ShopItemsQuery = z.object({ communityId: Id.optional() }).strict()
export const ShopItemBody = ShopItemInput.strict()
export const ShopItemPatchBody = ShopItemPatch.strict()
export const RedemptionsQuery = z
  .object({ communityId: Id.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) })
  .strict()
/** A redemption has no body: the item is in the path, the retry key in the Idempotency-Key header. */
export const RedeemBody = z.object({}).strict()
export const VerifyBody = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, '取货码是 6 位数字'),
  })
  .strict()
/** A login for a local merchant's staff (商户核销员): who, and which merchant's items they verify. */
export const MerchantStaffBody = z
  .object({
    communityId: Id,
    merchantName: z
      .string({ error: '请填写商户名称' })
      .trim()
      .min(1, '请填写商户名称')
      .max(40, '商户名称最多 40 字'),
    name: z.string({ error: '请填写核销员姓名' }).trim().min(1, '请填写核销员姓名').max(30, '姓名最多 30 字'),
  })
  .strict()
export const CancelRedemptionBody = z.object({ reason: z.string().trim().max(200).default('') }).strict()
export const AwardBody = z
  .object({
    personId: Id,
    kind: z.enum(POINTS_KINDS, { error: '积分种类只能是 activity（活动积分）或 conduct（品德积分）' }),
    rule: z.string().trim().min(1, '请选择积分规则').max(30),
    note: z.string().trim().max(500).default(''),
  })
  .strict()
export const StatementQuery = z.object({ month: Month.optional() }).strict()
export const LeaderboardQuery = z
  .object({
    gridId: Id,
    month: Month.optional(),
    kind: z.enum(POINTS_KINDS, { error: '积分种类只能是 activity 或 conduct' }).default('activity'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict()
export const PreferencesBody = z
  .object({ leaderboardOptOut: z.boolean({ error: '请填写 true 或 false' }) })
  .strict()

/** A zod refusal as a 400 whose message is the first issue's own Chinese sentence, when it has one. */
function readable<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (!(err instanceof z.ZodError)) throw err
    const first = err.issues.find((i) => /[\u4e00-\u9fff]/.test(i.message))
    throw new InvalidInputError(first?.message ?? '输入不符合要求', describeIssues(err.issues))
  }
}
const parseBody = <S extends z.ZodType>(ctx: Context, schema: S) => readable(() => parseBodyRaw(ctx, schema))
const parseQuery = <S extends z.ZodType>(ctx: Context, schema: S) =>
  readable(() => parseQueryRaw(ctx, schema))

const SHOP_STAFF = ['community_staff', 'admin'] as const

/** Staff who may act for a community's shop: its community staff, or a city-wide admin. */
function mayActFor(actor: Actor, communityId: string): boolean {
  if (isCityAdmin(actor)) return true
  return (
    actor.roles.some((r) => r === 'community_staff' || r === 'admin') &&
    actor.communityIds.includes(communityId)
  )
}

function shopActor(actor: Actor): ShopActor {
  return { personId: actor.personId, mayActFor: (c) => mayActFor(actor, c), ...merchantOf(actor) }
}

/** A merchant login's merchant (its name, its communities); nothing for anyone else. */
function merchantOf(actor: Actor): Pick<ShopActor, 'merchant'> {
  return actor.roles.includes('merchant') && actor.merchant ? { merchant: actor.merchant } : {}
}

/** Creates merchant logins and their invite codes (absent: the route answers 404). */
export interface MerchantLogins {
  create(input: z.output<typeof MerchantStaffBody>): Promise<{ id: string; name: string }>
  invite(personId: string, by: Actor): Promise<{ code: string; expiresAt: Date }>
}

/**
 * The points shop (积分商城) and the points routes that came with it: `/api/v1/shop/…` (items, redeem,
 * pickups), `/api/v1/points/{rules,awards,statement,leaderboard}`, `/api/v1/me/preferences`.
 */
export function shopRoutes(deps: {
  shop: ShopService
  points: PointsService
  config: Pick<Config, 'points'>
  clock: Clock
  merchants?: MerchantLogins
}): Router {
  const { shop, points } = deps
  const router = new Router({ prefix: '/api/v1' })

  async function staffItem(ctx: Context) {
    const actor = requireRole(ctx, ...SHOP_STAFF)
    const { id } = parseParams(ctx, ShopIdParams)
    const item = await shop.getItem(id)
    if (!mayActFor(actor, item.communityId)) throw new NotFoundError('商品')
    return { actor, item }
  }

  router.get('/shop/items', async (ctx) => {
    const actor = requireActor(ctx)
    const { communityId } = parseQuery(ctx, ShopItemsQuery)
    if (communityId && mayActFor(actor, communityId)) {
      ctx.body = { items: await shop.listItems(communityId, { includeInactive: true }) }
      return
    }
    const home = await homeCommunityOf(actor.personId)
    if (communityId && communityId !== home) throw new ForbiddenError('只能查看本社区的积分商城')
    ctx.body = { items: home ? await shop.listItems(home) : [] }
  })
  router.post('/shop/items', async (ctx) => {
    const actor = requireRole(ctx, ...SHOP_STAFF)
    const body = parseBody(ctx, ShopItemBody)
    requireCommunity(actor, body.communityId)
    if (!mayActFor(actor, body.communityId)) throw new ForbiddenError('只能管理本社区的积分商城')
    ctx.status = 201
    ctx.body = await shop.createItem(body, actor.personId)
  })
  router.patch('/shop/items/:id', async (ctx) => {
    const { item } = await staffItem(ctx)
    ctx.body = await shop.updateItem(item.id, parseBody(ctx, ShopItemPatchBody))
  })
  router.post('/shop/items/:id/redeem', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, ShopIdParams)
    parseBody(ctx, RedeemBody)
    const key = requestKey(ctx)
    const r = await shop.redeem({ itemId: id, personId: actor.personId, key, channel: 'api' })
    ctx.status = r.already ? 200 : 201
    ctx.body = r
  })
  router.get('/shop/redemptions', async (ctx) => {
    const actor = requireActor(ctx)
    const { communityId, limit } = parseQuery(ctx, RedemptionsQuery)
    const merchant = merchantOf(actor).merchant
    const staffHere = communityId !== undefined && mayActFor(actor, communityId)
    if (communityId && !staffHere && !merchant?.communityIds.includes(communityId))
      throw new ForbiddenError('只能查看本社区的兑换记录')
    // The community's staff see its redemptions, a merchant login its own items' only, anyone else theirs.
    const filter = staffHere ? { communityId } : merchant ? { merchant } : { personId: actor.personId }
    ctx.body = { items: await shop.listRedemptions(filter, limit) }
  })
  router.post('/shop/redemptions/verify', async (ctx) => {
    const actor = requireRole(ctx, ...SHOP_STAFF, 'merchant')
    const { code } = parseBody(ctx, VerifyBody)
    ctx.body = await shop.verify(code, shopActor(actor))
  })
  /** Community staff create a merchant's verifier login and get its invite code (bind WeChat with it). */
  router.post('/shop/merchant-staff', async (ctx) => {
    const actor = requireRole(ctx, ...SHOP_STAFF)
    const body = parseBody(ctx, MerchantStaffBody)
    if (!mayActFor(actor, body.communityId)) throw new ForbiddenError('只能为本社区的商户开通核销账号')
    if (!deps.merchants) throw new NotFoundError('商户核销账号')
    const person = await deps.merchants.create(body)
    const invite = await deps.merchants.invite(person.id, actor)
    ctx.status = 201
    ctx.body = { personId: person.id, name: person.name, merchantName: body.merchantName, invite }
  })
  router.post('/shop/redemptions/:id/cancel', async (ctx) => {
    const actor = requireActor(ctx)
    const { id } = parseParams(ctx, ShopIdParams)
    const { reason } = parseBody(ctx, CancelRedemptionBody)
    ctx.body = await shop.cancel(id, shopActor(actor), reason)
  })

  router.get('/points/rules', async (ctx) => {
    requireActor(ctx)
    const kinds = deps.config.points.kinds
    ctx.body = {
      kinds: POINTS_KINDS.map((k) => ({
        kind: k,
        label: KIND_LABELS[k],
        awardedBy: kinds[k].awardedBy,
        reasonRequired: kinds[k].reasonRequired,
        rules: Object.entries(kinds[k].rules).map(([name, pts]) => ({ name, points: pts })),
      })),
    }
  })
  router.post('/points/awards', async (ctx) => {
    const actor = requireActor(ctx)
    const body = parseBody(ctx, AwardBody)
    await assertMayAward(actor, body.personId, deps.config.points.kinds[body.kind].awardedBy)
    const key = requestKey(ctx)
    const r = await points.award({ ...body, refKey: `award:${actor.personId}:${key}`, byId: actor.personId })
    ctx.status = r.applied ? 201 : 200
    ctx.body = { ...r, label: KIND_LABELS[r.kind] }
  })
  router.get('/points/statement', async (ctx) => {
    const actor = requireActor(ctx)
    const { month } = parseQuery(ctx, StatementQuery)
    ctx.body = await points.statement(actor.personId, month ?? points.monthOf(deps.clock.now()))
  })
  router.get('/points/leaderboard', async (ctx) => {
    const actor = requireActor(ctx)
    const q = parseQuery(ctx, LeaderboardQuery)
    ctx.body = await gridLeaderboard(actor, { ...q, month: q.month ?? points.monthOf(deps.clock.now()) })
  })
  router.patch('/me/preferences', async (ctx) => {
    const actor = requireActor(ctx)
    const { leaderboardOptOut } = parseBody(ctx, PreferencesBody)
    ctx.body = await setLeaderboardOptOut(actor.personId, leaderboardOptOut)
  })
  return router
}
