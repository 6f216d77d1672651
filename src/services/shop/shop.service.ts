import { randomInt } from 'node:crypto'
import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import {
  ConflictError,
  DomainError,
  describeIssues,
  ForbiddenError,
  InvalidInputError,
  isDuplicateKeyError,
  NotFoundError,
} from '../../lib/errors.js'
import { POINTS_KINDS, type PointsKind } from '../../models/points.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import {
  RedemptionModel,
  RedemptionSlotModel,
  type RedemptionStatus,
  ShopItemModel,
  ShopMenuModel,
} from '../../models/shop.model.js'
import { maskName } from '../cases/case.staff.js'
import type { PointsService } from '../points/points.service.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

export const ShopItemInput = z.object({
  communityId: ObjectIdString,
  title: z.string().trim().min(1, '请填写名称').max(60, '名称不超过 60 个字'),
  description: z.string().trim().max(500, '介绍不超过 500 个字').default(''),
  cost: z.number().int('所需积分要是整数').min(1, '所需积分至少 1 分').max(100_000),
  kind: z
    .enum(POINTS_KINDS, { error: '积分种类只能是 activity（活动积分）或 conduct（品德积分）' })
    .default('activity'),
  stock: z.number().int('库存要是整数').min(0, '库存不能小于 0').max(10_000, '库存不超过 10000'),
  perHouseholdLimit: z.number().int().min(1, '每户限兑至少 1 件').max(100).default(1),
  offeredBy: z
    .object({
      type: z.enum(['community', 'merchant'], { error: '提供方只能是 community（社区）或 merchant（商家）' }),
      name: z.string().trim().max(60).default(''),
      contact: z.string().trim().max(60).default(''),
    })
    .strict()
    .refine((o) => o.type === 'community' || o.name !== '', '商家提供的商品请填写商家名称')
    .default({ type: 'community', name: '', contact: '' }),
  active: z.boolean().default(true),
})
export type ShopItemInput = z.input<typeof ShopItemInput>
export const ShopItemPatch = ShopItemInput.omit({ communityId: true }).partial()
export type ShopItemPatch = z.input<typeof ShopItemPatch>

export interface ShopItemView {
  id: string
  communityId: string
  title: string
  description: string
  cost: number
  kind: PointsKind
  stock: number
  /** Stock not taken by open or picked-up redemptions. */
  remaining: number
  perHouseholdLimit: number
  offeredBy: { type: 'community' | 'merchant'; name: string; contact: string }
  active: boolean
}

export interface RedemptionView {
  id: string
  itemId: string
  communityId: string
  personId: string
  title: string
  cost: number
  kind: PointsKind
  channel: 'api' | 'wechat'
  status: RedemptionStatus
  /** The pickup code, while the redemption is open (only its owner and staff see it). */
  code?: string
  createdAt: Date
  expiresAt?: Date
  pickedUpAt?: Date
  closedAt?: Date
  closeReason?: string
}

/** Who acts on a redemption: its owner, or staff who may act for its community. */
export interface ShopActor {
  personId: string
  /** True when the actor may act for the redemption's community as staff (checked by the caller). */
  mayActFor(communityId: string): boolean
  /** A merchant login (商户核销员): it verifies only the items this merchant offers in these communities. */
  merchant?: ShopMerchant
}

/** A merchant as its login knows it: the name its items are offered under, in its communities. */
export interface ShopMerchant {
  name: string
  communityIds: readonly string[]
}

/** What the verifier sees of a picked-up redemption: the item and the resident's name masked (王*). */
export type VerifiedRedemption = RedemptionView & { residentName: string }

export interface ShopService {
  listItems(communityId: string, options?: { includeInactive?: boolean }): Promise<ShopItemView[]>
  getItem(id: string): Promise<ShopItemView>
  createItem(input: ShopItemInput, byId: string): Promise<ShopItemView>
  updateItem(id: string, patch: ShopItemPatch): Promise<ShopItemView>
  /** Redeems once per `key` (the Idempotency-Key); `already` when the key redeemed before. */
  redeem(input: {
    itemId: string
    personId: string
    key: string
    channel: 'api' | 'wechat'
  }): Promise<RedemptionView & { already: boolean }>
  /** Marks the open redemption with this code picked up, once. `actor` must be staff of its community. */
  verify(code: string, actor: ShopActor): Promise<VerifiedRedemption>
  /** Cancels an open redemption (its owner or staff) and refunds the points. */
  cancel(id: string, actor: ShopActor, reason: string): Promise<RedemptionView>
  /** Expires open redemptions past their pickup time and refunds them; returns how many. */
  expireDue(): Promise<number>
  getRedemption(id: string): Promise<RedemptionView>
  listRedemptions(
    filter: { personId: string } | { communityId: string } | { merchant: ShopMerchant },
    limit?: number,
  ): Promise<RedemptionView[]>
  /** The chat's numbered list: records which items the person was shown (「兑换 3」 reads it back). */
  recordMenu(personId: string, itemIds: string[], messageId: string): Promise<void>
  /** Item `n` (1-based) of the list last shown to the person, if any. */
  menuItem(personId: string, n: number): Promise<string | undefined>
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const first = result.error.issues[0]
  const readable = first && /[\u4e00-\u9fff]/.test(first.message) ? first.message : '商品信息不正确'
  throw new InvalidInputError(readable, describeIssues(result.error.issues))
}

const oid = (id: string, what = '编号') => {
  if (!/^[0-9a-f]{24}$/i.test(id)) throw new InvalidInputError(`${what}格式不正确`)
  return new Types.ObjectId(id)
}

type ItemDoc = {
  _id: Types.ObjectId
  communityId: Types.ObjectId
  title: string
  description?: string | null
  cost: number
  kind?: string | null
  stock: number
  perHouseholdLimit: number
  offeredBy?: { type?: string | null; name?: string | null; contact?: string | null } | null
  active?: boolean | null
}

function itemView(doc: ItemDoc, taken: number): ShopItemView {
  return {
    id: String(doc._id),
    communityId: String(doc.communityId),
    title: doc.title,
    description: doc.description ?? '',
    cost: doc.cost,
    kind: doc.kind === 'conduct' ? 'conduct' : 'activity',
    stock: doc.stock,
    remaining: Math.max(0, doc.stock - taken),
    perHouseholdLimit: doc.perHouseholdLimit,
    offeredBy: {
      type: doc.offeredBy?.type === 'merchant' ? 'merchant' : 'community',
      name: doc.offeredBy?.name ?? '',
      contact: doc.offeredBy?.contact ?? '',
    },
    active: doc.active !== false,
  }
}

type RedemptionDoc = Awaited<ReturnType<typeof loadRedemption>>
function loadRedemption(id: Types.ObjectId) {
  return RedemptionModel.findById(id).lean().orFail(new NotFoundError('兑换记录'))
}

function redemptionView(d: NonNullable<RedemptionDoc>): RedemptionView {
  return {
    id: String(d._id),
    itemId: String(d.itemId),
    communityId: String(d.communityId),
    personId: String(d.personId),
    title: d.title,
    cost: d.cost,
    kind: d.kind === 'conduct' ? 'conduct' : 'activity',
    channel: d.channel,
    status: d.status,
    ...(d.status === 'open' && d.code ? { code: d.code } : {}),
    createdAt: d.createdAt,
    ...(d.expiresAt ? { expiresAt: d.expiresAt } : {}),
    ...(d.pickedUpAt ? { pickedUpAt: d.pickedUpAt } : {}),
    ...(d.closedAt ? { closedAt: d.closedAt } : {}),
    ...(d.closeReason ? { closeReason: d.closeReason } : {}),
  }
}

/** Takes the slot `_id`; false when someone holds it. */
async function take(
  id: string,
  type: 'stock' | 'hh' | 'code' | 'close',
  at: Date,
  itemId?: Types.ObjectId,
  redemptionId?: Types.ObjectId,
): Promise<boolean> {
  try {
    await RedemptionSlotModel.create({ _id: id, type, itemId, redemptionId, at })
    return true
  } catch (err) {
    if (isDuplicateKeyError(err)) return false
    throw err
  }
}

/** The first free slot of `prefix:1…max`, starting after the ones likely taken; undefined when all are. */
async function takeFirstFree(
  prefix: string,
  max: number,
  type: 'stock' | 'hh',
  at: Date,
  itemId: Types.ObjectId,
  redemptionId: Types.ObjectId,
  hint: number,
): Promise<string | undefined> {
  const start = Math.min(Math.max(hint, 0), max)
  const order = [
    ...Array.from({ length: max - start }, (_, i) => start + i + 1),
    ...Array.from({ length: start }, (_, i) => i + 1),
  ]
  for (const n of order) {
    const id = `${prefix}:${n}`
    if (await take(id, type, at, itemId, redemptionId)) return id
  }
  return undefined
}

/**
 * The points shop (积分商城). A redemption takes, in order: its idempotency key (a unique redemption
 * document), a household-limit slot, a stock slot, the debit (unique refKey, under the person's
 * points lock) and a pickup-code slot — each a unique-key insert, so two requests racing for the last
 * unit cannot both win. When a step fails, what was taken is released and the key freed.
 */
export function createShopService(deps: {
  clock: Clock
  points: PointsService
  redemptionDays?: number
}): ShopService {
  const days = deps.redemptionDays ?? 14

  async function takenCounts(itemIds: Types.ObjectId[]): Promise<Map<string, number>> {
    if (itemIds.length === 0) return new Map()
    const rows = await RedemptionSlotModel.aggregate<{ _id: Types.ObjectId; n: number }>([
      { $match: { itemId: { $in: itemIds }, type: 'stock' } },
      { $group: { _id: '$itemId', n: { $sum: 1 } } },
    ])
    return new Map(rows.map((r) => [String(r._id), r.n]))
  }

  async function viewsOf(docs: ItemDoc[]): Promise<ShopItemView[]> {
    const taken = await takenCounts(docs.map((d) => d._id))
    return docs.map((d) => itemView(d, taken.get(String(d._id)) ?? 0))
  }

  async function getItem(id: string): Promise<ShopItemView> {
    const doc = await ShopItemModel.findById(oid(id, '商品编号')).lean()
    if (!doc) throw new NotFoundError('商品')
    return (await viewsOf([doc]))[0] as ShopItemView
  }

  async function release(slots: string[]): Promise<void> {
    if (slots.length > 0) await RedemptionSlotModel.deleteMany({ _id: { $in: slots } })
  }

  async function redeem(input: {
    itemId: string
    personId: string
    key: string
    channel: 'api' | 'wechat'
  }): Promise<RedemptionView & { already: boolean }> {
    const item = await getItem(input.itemId)
    const person = await ResidentModel.findById(oid(input.personId)).lean()
    if (!person) throw new NotFoundError('居民')
    if (String(person.communityId ?? '') !== item.communityId) {
      throw new ForbiddenError('只能兑换本社区积分商城的商品')
    }
    const idemKey = `${input.personId}:${input.key}`
    const previous = await RedemptionModel.findOne({ idemKey }).lean()
    if (previous) return { ...redemptionView(previous), already: true }
    if (!item.active) throw new ConflictError(`「${item.title}」已下架`)
    const now = deps.clock.now()
    const householdKey = person.householdId ? String(person.householdId) : `p${input.personId}`
    let doc: { _id: Types.ObjectId }
    try {
      doc = await RedemptionModel.create({
        itemId: oid(item.id),
        communityId: oid(item.communityId),
        personId: person._id,
        householdKey,
        title: item.title,
        cost: item.cost,
        kind: item.kind,
        idemKey,
        channel: input.channel,
        status: 'pending',
      })
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      const other = await RedemptionModel.findOne({ idemKey }).lean()
      if (!other) throw new ConflictError('同一个请求正在处理，请稍后再试')
      return { ...redemptionView(other), already: true }
    }
    const itemOid = oid(item.id)
    const slots: string[] = []
    try {
      const hh = await takeFirstFree(
        `hh:${item.id}:${householdKey}`,
        item.perHouseholdLimit,
        'hh',
        now,
        itemOid,
        doc._id,
        0,
      )
      if (!hh)
        throw new ConflictError(`「${item.title}」每户限兑 ${item.perHouseholdLimit} 件，您家已经兑满了`)
      slots.push(hh)
      const taken = (await takenCounts([itemOid])).get(item.id) ?? 0
      // Sold out as counted: no need to try every slot (a race past this check is still decided by the inserts).
      const stock =
        taken >= item.stock
          ? undefined
          : await takeFirstFree(`stock:${item.id}`, item.stock, 'stock', now, itemOid, doc._id, taken)
      if (!stock) throw new ConflictError(`「${item.title}」已经兑完了`)
      slots.push(stock)
      await deps.points.spend({
        personId: input.personId,
        kind: item.kind,
        amount: item.cost,
        refKey: `redeem:${String(doc._id)}`,
        note: `兑换「${item.title}」`,
      })
      let code = ''
      for (let i = 0; i < 30 && !code; i++) {
        const c = String(randomInt(0, 1_000_000)).padStart(6, '0')
        if (await take(`code:${c}`, 'code', now, itemOid, doc._id)) code = c
      }
      if (!code) throw new ConflictError('取货码暂时分配不出来，请稍后再试')
      slots.push(`code:${code}`)
      const expiresAt = new Date(now.getTime() + days * 24 * 3600_000)
      await RedemptionModel.updateOne({ _id: doc._id }, { $set: { status: 'open', code, slots, expiresAt } })
    } catch (err) {
      // Give back what this attempt took; the debit (if it was written) is reversed.
      await deps.points.reverse(`redeem:${String(doc._id)}`, '兑换未完成，退回积分').catch(() => undefined)
      await release(slots)
      await RedemptionModel.deleteOne({ _id: doc._id, status: 'pending' })
      throw err
    }
    return { ...redemptionView(await loadRedemption(doc._id)), already: false }
  }

  /** Closes an open redemption once (a `close:` slot decides), releasing its code and, unless picked up, its stock. */
  async function close(
    d: NonNullable<RedemptionDoc>,
    status: 'picked_up' | 'cancelled' | 'expired',
    byId: string | undefined,
    reason: string,
  ): Promise<RedemptionView> {
    if (d.status !== 'open') throw new ConflictError(closedSentence(d.status))
    const now = deps.clock.now()
    if (!(await take(`close:${String(d._id)}`, 'close', now, d.itemId, d._id))) {
      const fresh = await loadRedemption(d._id)
      throw new ConflictError(closedSentence(fresh.status === 'open' ? 'picked_up' : fresh.status))
    }
    const by = byId ? new Types.ObjectId(byId) : undefined
    const set =
      status === 'picked_up'
        ? { status, pickedUpAt: now, verifiedById: by }
        : { status, closedAt: now, closedById: by, closeReason: reason }
    await RedemptionModel.updateOne({ _id: d._id }, { $set: set })
    if (status !== 'picked_up') {
      await deps.points.reverse(`redeem:${String(d._id)}`, reason, byId ? { byId } : {})
      await release(d.slots)
    } else {
      await release(d.slots.filter((s) => s.startsWith('code:')))
    }
    return redemptionView(await loadRedemption(d._id))
  }

  async function verify(code: string, actor: ShopActor): Promise<VerifiedRedemption> {
    const c = parse(
      z
        .string()
        .trim()
        .regex(/^\d{6}$/, '取货码是 6 位数字'),
      code,
    )
    const d = await RedemptionModel.findOne({ code: c, status: 'open' }).lean()
    // Another community's (or merchant's) code is the same as no code: codes are not probed.
    if (!d || !(await mayVerify(actor, d))) {
      const used = await RedemptionModel.findOne({ code: c, status: 'picked_up' })
        .sort({ closedAt: -1 })
        .lean()
      if (used && (await mayVerify(actor, used)))
        throw new ConflictError('这个取货码已经核销过了，不能重复领取。如有疑问请联系社区')
      throw new DomainError('NOT_FOUND', '这个取货码没有待领取的兑换，请核对后再输入')
    }
    const done = await close(d, 'picked_up', actor.personId, '已领取')
    const person = await ResidentModel.findById(d.personId, { name: 1 }).lean()
    return { ...done, residentName: maskName(person?.name ?? '') }
  }

  /** Staff of the community, or the merchant whose item it is. */
  async function mayVerify(
    actor: ShopActor,
    d: { communityId: Types.ObjectId; itemId: Types.ObjectId },
  ): Promise<boolean> {
    if (actor.mayActFor(String(d.communityId))) return true
    const m = actor.merchant
    if (!m?.communityIds.includes(String(d.communityId))) return false
    const item = await ShopItemModel.findById(d.itemId, { offeredBy: 1 }).lean()
    return item?.offeredBy?.type === 'merchant' && item.offeredBy.name === m.name
  }

  /** The items a merchant offers (by its name) in its communities. */
  async function merchantItemIds(m: ShopMerchant): Promise<Types.ObjectId[]> {
    const items = await ShopItemModel.find(
      {
        communityId: { $in: m.communityIds.map((c) => oid(c, '社区编号')) },
        'offeredBy.type': 'merchant',
        'offeredBy.name': m.name,
      },
      { _id: 1 },
    ).lean()
    return items.map((i) => i._id)
  }

  async function cancel(id: string, actor: ShopActor, reason: string): Promise<RedemptionView> {
    const d = await loadRedemption(oid(id, '兑换编号'))
    const own = String(d.personId) === actor.personId
    if (!own && !actor.mayActFor(String(d.communityId))) throw new NotFoundError('兑换记录')
    const why = reason.trim() || (own ? '本人取消兑换' : '工作人员取消兑换')
    return close(d, 'cancelled', actor.personId, why)
  }

  async function expireDue(): Promise<number> {
    const due = await RedemptionModel.find({ status: 'open', expiresAt: { $lte: deps.clock.now() } })
      .limit(200)
      .lean()
    let n = 0
    for (const d of due) {
      try {
        await close(d, 'expired', undefined, '超过领取期限，积分已退回')
        n += 1
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err
      }
    }
    return n
  }

  return {
    listItems: async (communityId, options = {}) => {
      const filter: Record<string, unknown> = { communityId: oid(communityId, '社区编号') }
      if (!options.includeInactive) filter.active = true
      const docs = await ShopItemModel.find(filter).sort({ cost: 1, _id: 1 }).limit(200).lean()
      return viewsOf(docs)
    },
    getItem,
    createItem: async (raw, byId) => {
      const input = parse(ShopItemInput, raw)
      const doc = await ShopItemModel.create({ ...input, createdById: oid(byId) })
      return itemView(doc.toObject(), 0)
    },
    updateItem: async (id, raw) => {
      const patch = parse(ShopItemPatch, raw)
      if (Object.keys(patch).length === 0) throw new InvalidInputError('没有要修改的内容')
      const _id = oid(id, '商品编号')
      const res = await ShopItemModel.updateOne({ _id }, { $set: patch })
      if (res.matchedCount === 0) throw new NotFoundError('商品')
      return getItem(id)
    },
    redeem,
    verify,
    cancel,
    expireDue,
    getRedemption: async (id) => redemptionView(await loadRedemption(oid(id, '兑换编号'))),
    listRedemptions: async (filter, limit = 50) => {
      const q =
        'personId' in filter
          ? { personId: oid(filter.personId) }
          : 'merchant' in filter
            ? { itemId: { $in: await merchantItemIds(filter.merchant) } }
            : { communityId: oid(filter.communityId, '社区编号') }
      const docs = await RedemptionModel.find({ ...q, status: { $ne: 'pending' } })
        .sort({ createdAt: -1, _id: -1 })
        .limit(Math.min(Math.max(limit, 1), 200))
        .lean()
      return docs.map(redemptionView)
    },
    recordMenu: async (personId, itemIds, messageId) => {
      await ShopMenuModel.replaceOne(
        { _id: oid(personId) },
        { itemIds: itemIds.map((i) => oid(i)), messageId, at: deps.clock.now() },
        { upsert: true },
      )
    },
    menuItem: async (personId, n) => {
      const menu = await ShopMenuModel.findById(oid(personId)).lean()
      const id = menu?.itemIds[n - 1]
      return id ? String(id) : undefined
    },
  }
}

function closedSentence(status: RedemptionStatus): string {
  if (status === 'picked_up') return '这份兑换已经领取过了'
  if (status === 'cancelled') return '这份兑换已经取消了'
  if (status === 'expired') return '这份兑换已过期，积分已退回'
  return '这份兑换还没完成，请稍后再试'
}
