import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { ConflictError, describeIssues, InvalidInputError, isDuplicateKeyError } from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import {
  EARNING_REASONS,
  type EarningReason,
  POINTS_KINDS,
  PointsEntryModel,
  type PointsKind,
  type PointsReason,
} from '../../models/points.model.js'
import { kindFilter, type PointsBalances, type PointsStatement, readStatement } from './points.statement.js'

/** The part of the configuration points need; defaults match config/default.yaml. */
export type PointsSettings = Pick<Config, 'points' | 'timezone'>

export const DEFAULT_POINTS_SETTINGS: PointsSettings = {
  timezone: 'Asia/Shanghai',
  points: {
    monthlyCap: 100,
    perReason: { report_verified: 10, rating_given: 2, volunteer_hours: 5, event_checkin: 3 },
    kinds: {
      activity: {
        awardedBy: ['grid_worker', 'community_staff', 'admin'],
        reasonRequired: false,
        rules: { 志愿服务: 5, 参加活动: 3, 环境整治: 5 },
      },
      conduct: {
        awardedBy: ['community_staff', 'admin'],
        reasonRequired: true,
        rules: { 助人为乐: 10, 见义勇为: 30, 邻里互助: 5, 孝老爱亲: 10 },
      },
    },
    redemptionDays: 14,
  },
}

const PersonId = z
  .union([z.string(), z.instanceof(Types.ObjectId)])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^[0-9a-f]{24}$/i, '不是有效的人员编号'))

const RefKey = z
  .string()
  .min(1)
  .max(200)
  .refine((k) => !k.startsWith('reversal:'), '该记录编号保留给冲正使用')

const Refs = z.object({ caseId: z.string().min(1), eventId: z.string().min(1) }).partial()

export const CreditInput = z.object({
  personId: PersonId,
  reason: z.enum(EARNING_REASONS),
  /** Idempotency key of the earning event, e.g. `report:<caseId>`; one credit per key, ever. */
  refKey: RefKey,
  /** Overrides the configured amount. */
  points: z.number().int().positive().max(10_000).optional(),
  /** Multiplies the configured amount (hours of volunteering); ignored when `points` is given. */
  units: z.number().positive().max(1000).optional(),
  refs: Refs.optional(),
  byId: PersonId.optional(),
})
export type CreditInput = z.input<typeof CreditInput>

export const AdjustInput = z.object({
  personId: PersonId,
  delta: z
    .number()
    .int()
    .refine((d) => d !== 0, '调整分值不能为 0'),
  refKey: RefKey,
  note: z.string().trim().min(1, '请填写调整原因').max(500),
  byId: PersonId,
})
export type AdjustInput = z.input<typeof AdjustInput>

export const AwardInput = z.object({
  personId: PersonId,
  kind: z.enum(POINTS_KINDS, { error: '积分种类只能是 activity（活动积分）或 conduct（品德积分）' }),
  /** A rule of the kind in the configuration (e.g. 助人为乐). */
  rule: z.string().trim().min(1, '请选择积分规则').max(30),
  note: z.string().trim().max(500).default(''),
  /** One award per key, ever (a form sent twice awards once). */
  refKey: RefKey,
  byId: PersonId,
})
export type AwardInput = z.input<typeof AwardInput>

/** Points spent (a shop redemption): refused when the balance of that kind is short. */
export interface SpendInput {
  personId: string
  kind: PointsKind
  amount: number
  refKey: string
  note: string
}

/** What a credit did: `credited` may be less than `requested` when the monthly cap was reached. */
export interface CreditResult {
  credited: number
  requested: number
  /** True when the cap cut the amount (to zero: no entry was written). */
  capped: boolean
  /** True when this refKey was credited before; nothing changed. */
  duplicate: boolean
  month: string
  earnedThisMonth: number
}

export interface ReverseResult {
  /** True when this call wrote the reversal. */
  reversed: boolean
  /** The points taken back (negative), 0 when nothing was reversed. */
  delta: number
  alreadyReversed: boolean
}

export interface PointsEntryView {
  id: string
  personId: string
  delta: number
  reason: PointsReason
  kind: PointsKind
  refKey: string
  refs: { caseId?: string; eventId?: string }
  month: string
  at: Date
  byId?: string
  note?: string
}

export interface PointsSummary {
  balance: number
  month: string
  earnedThisMonth: number
  monthlyCap: number
}

export interface PointsService {
  /** Credits points for an earning event once per refKey, within the person's monthly cap. */
  credit(input: CreditInput): Promise<CreditResult>
  /** Takes back what `refKey` credited (a report that turned out false); once. */
  reverse(refKey: string, note: string, options?: { byId?: string }): Promise<ReverseResult>
  /** A staff correction (positive or negative), outside the cap; once per refKey. */
  adjust(input: AdjustInput): Promise<{ applied: boolean }>
  /** A staff award under a configured rule; once per refKey. The caller checks the awarder's role. */
  award(input: AwardInput): Promise<{ applied: boolean; points: number; kind: PointsKind }>
  /** Debits points once per refKey when the balance of the kind covers them (one person at a time). */
  spend(input: SpendInput): Promise<{ applied: boolean }>
  /** The sum of the person's ledger (every kind). */
  balance(personId: string): Promise<number>
  /** The balance per kind. */
  balances(personId: string): Promise<PointsBalances>
  /** Opening, earned, spent and closing per kind for one month ('YYYY-MM'), with its entries. */
  statement(personId: string, month: string): Promise<PointsStatement>
  /** The month a date falls in (the configured time zone). */
  monthOf(date: Date): string
  /** Everyone whose points moved in the month (the monthly statements' recipients). */
  peopleWithEntries(month: string): Promise<string[]>
  summary(personId: string): Promise<PointsSummary>
  /** The person's entries, newest first; pass `nextCursor` back for the next page. */
  ledger(
    personId: string,
    page?: { cursor?: string; limit?: number },
  ): Promise<{ items: PointsEntryView[]; nextCursor?: string }>
}

/** The kinds' names residents read. */
export const KIND_LABELS: Record<PointsKind, string> = { activity: '活动积分', conduct: '品德积分' }

export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '月份要写成 YYYY-MM，例如 2026-11')

/** 'YYYY-MM' of `date` in `timeZone`: the calendar month a points cap applies to. */
export function monthOf(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}`
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError('积分参数不正确', describeIssues(result.error.issues))
  return result.data
}

function toObjectId(id: string): Types.ObjectId {
  return new Types.ObjectId(parse(PersonId, id))
}

/** Sums `delta` over matching entries. One accumulator only: FerretDB computes just the first. */
export async function sumDeltas(filter: Record<string, unknown>): Promise<number> {
  const rows = await PointsEntryModel.aggregate<{ s: number }>([
    { $match: filter },
    { $group: { _id: null, s: { $sum: '$delta' } } },
  ])
  return rows[0]?.s ?? 0
}

function earnedIn(personId: Types.ObjectId, month: string): Promise<number> {
  return sumDeltas({ personId, month, reason: { $in: [...EARNING_REASONS] } })
}

/**
 * The points ledger (积分赋能). Credits are capped per person and calendar month (in the configured
 * time zone); the cap check and the insert of one person run under one lock, because FerretDB does not
 * make read-then-write atomic. Reversals do not give cap room back: a false report still used it.
 */
export function createPointsService(deps: { clock: Clock; config?: PointsSettings }): PointsService {
  const settings = deps.config ?? DEFAULT_POINTS_SETTINGS
  const amountFor = (reason: EarningReason, units = 1) =>
    Math.max(1, Math.round(settings.points.perReason[reason] * units))

  async function credit(raw: CreditInput): Promise<CreditResult> {
    const input = parse(CreditInput, raw)
    const personId = new Types.ObjectId(input.personId)
    const requested = input.points ?? amountFor(input.reason, input.units)
    const now = deps.clock.now()
    const month = monthOf(now, settings.timezone)
    return withLock(`points:${input.personId}`, async () => {
      const earned = await earnedIn(personId, month)
      const result = {
        requested,
        month,
        credited: 0,
        capped: false,
        duplicate: false,
        earnedThisMonth: earned,
      }
      if (await PointsEntryModel.exists({ refKey: input.refKey })) return { ...result, duplicate: true }
      const grant = Math.min(requested, Math.max(0, settings.points.monthlyCap - earned))
      if (grant === 0) return { ...result, capped: true }
      try {
        await PointsEntryModel.create({
          personId,
          delta: grant,
          reason: input.reason,
          refKey: input.refKey,
          refs: input.refs,
          month,
          at: now,
          byId: input.byId,
        })
      } catch (err) {
        if (isDuplicateKeyError(err)) return { ...result, duplicate: true }
        throw err
      }
      return { ...result, credited: grant, capped: grant < requested, earnedThisMonth: earned + grant }
    })
  }

  async function reverse(
    refKey: string,
    note: string,
    options: { byId?: string } = {},
  ): Promise<ReverseResult> {
    const why = parse(z.string().trim().min(1, '请填写冲正原因').max(500), note)
    const original = await PointsEntryModel.findOne({ refKey: parse(z.string().min(1), refKey) }).lean()
    if (!original || original.delta === 0) return { reversed: false, delta: 0, alreadyReversed: false }
    if (original.reason === 'reversal') throw new InvalidInputError('冲正记录不能再次冲正')
    const now = deps.clock.now()
    try {
      await PointsEntryModel.create({
        personId: original.personId,
        delta: -original.delta,
        kind: original.kind ?? 'activity',
        reason: 'reversal',
        refKey: `reversal:${refKey}`,
        refs: original.refs,
        month: monthOf(now, settings.timezone),
        at: now,
        byId: options.byId ? toObjectId(options.byId) : undefined,
        note: why,
      })
    } catch (err) {
      if (isDuplicateKeyError(err)) return { reversed: false, delta: 0, alreadyReversed: true }
      throw err
    }
    return { reversed: true, delta: -original.delta, alreadyReversed: false }
  }

  async function adjust(raw: AdjustInput): Promise<{ applied: boolean }> {
    const input = parse(AdjustInput, raw)
    const now = deps.clock.now()
    try {
      await PointsEntryModel.create({
        personId: new Types.ObjectId(input.personId),
        delta: input.delta,
        reason: 'manual_adjust',
        refKey: input.refKey,
        month: monthOf(now, settings.timezone),
        at: now,
        byId: new Types.ObjectId(input.byId),
        note: input.note,
      })
      return { applied: true }
    } catch (err) {
      if (isDuplicateKeyError(err)) return { applied: false }
      throw err
    }
  }

  async function award(raw: AwardInput): Promise<{ applied: boolean; points: number; kind: PointsKind }> {
    const input = parse(AwardInput, raw)
    const rules = settings.points.kinds[input.kind]
    const points = rules.rules[input.rule]
    if (points === undefined) {
      throw new InvalidInputError(
        `没有「${input.rule}」这条积分规则，可选：${Object.keys(rules.rules).join('、')}`,
      )
    }
    if (rules.reasonRequired && input.note === '') throw new InvalidInputError('品德积分请写明事由')
    const now = deps.clock.now()
    try {
      await PointsEntryModel.create({
        personId: new Types.ObjectId(input.personId),
        delta: points,
        kind: input.kind,
        reason: 'award',
        refKey: input.refKey,
        month: monthOf(now, settings.timezone),
        at: now,
        byId: new Types.ObjectId(input.byId),
        note: input.note ? `${input.rule}：${input.note}` : input.rule,
      })
      return { applied: true, points, kind: input.kind }
    } catch (err) {
      if (isDuplicateKeyError(err)) return { applied: false, points, kind: input.kind }
      throw err
    }
  }

  /**
   * The balance check and the debit of one person run under the person's lock (a unique-key insert),
   * the same lock credits take; the debit's unique refKey decides a repeat.
   */
  async function spend(input: SpendInput): Promise<{ applied: boolean }> {
    const personId = toObjectId(input.personId)
    return withLock(`points:${input.personId}`, async () => {
      if (await PointsEntryModel.exists({ refKey: input.refKey })) return { applied: false }
      const have = await sumDeltas({ personId, ...kindFilter(input.kind) })
      if (have < input.amount) {
        throw new ConflictError(`${KIND_LABELS[input.kind]}不够：需要 ${input.amount} 分，现有 ${have} 分`)
      }
      const now = deps.clock.now()
      try {
        await PointsEntryModel.create({
          personId,
          delta: -input.amount,
          kind: input.kind,
          reason: 'redemption',
          refKey: input.refKey,
          month: monthOf(now, settings.timezone),
          at: now,
          note: input.note,
        })
      } catch (err) {
        if (isDuplicateKeyError(err)) return { applied: false }
        throw err
      }
      return { applied: true }
    })
  }

  async function balances(personId: string): Promise<PointsBalances> {
    const id = toObjectId(personId)
    const [activity, conduct] = await Promise.all(
      POINTS_KINDS.map((k) => sumDeltas({ personId: id, ...kindFilter(k) })),
    )
    return { activity: activity ?? 0, conduct: conduct ?? 0 }
  }

  async function summary(personId: string): Promise<PointsSummary> {
    const id = toObjectId(personId)
    const month = monthOf(deps.clock.now(), settings.timezone)
    const [balance, earnedThisMonth] = await Promise.all([sumDeltas({ personId: id }), earnedIn(id, month)])
    return { balance, month, earnedThisMonth, monthlyCap: settings.points.monthlyCap }
  }

  return {
    credit,
    reverse,
    adjust,
    summary,
    award,
    spend,
    balances,
    statement: (personId, month) => readStatement(toObjectId(personId), parse(Month, month)),
    monthOf: (date) => monthOf(date, settings.timezone),
    peopleWithEntries: async (month) =>
      (await PointsEntryModel.distinct('personId', { month: parse(Month, month) })).map(String),
    balance: (personId) => sumDeltas({ personId: toObjectId(personId) }),
    ledger: (personId, page = {}) => readLedger(toObjectId(personId), page),
  }
}

function encodeCursor(entry: { at: Date; _id: Types.ObjectId }): string {
  return Buffer.from(`${entry.at.getTime()}.${String(entry._id)}`).toString('base64url')
}

function decodeCursor(cursor: string): { at: Date; id: Types.ObjectId } {
  const [ms, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('.')
  const at = new Date(Number(ms))
  if (!id || !Types.ObjectId.isValid(id) || Number.isNaN(at.getTime())) {
    throw new InvalidInputError('翻页参数无效，请从第一页重新查看')
  }
  return { at, id: new Types.ObjectId(id) }
}

async function readLedger(
  personId: Types.ObjectId,
  page: { cursor?: string; limit?: number },
): Promise<{ items: PointsEntryView[]; nextCursor?: string }> {
  const limit = Math.min(Math.max(Math.trunc(page.limit ?? 20), 1), 100)
  const filter: Record<string, unknown> = { personId }
  if (page.cursor) {
    const c = decodeCursor(page.cursor)
    filter.$or = [{ at: { $lt: c.at } }, { at: c.at, _id: { $lt: c.id } }]
  }
  const docs = await PointsEntryModel.find(filter)
    .sort({ at: -1, _id: -1 })
    .limit(limit + 1)
    .lean()
  const items = docs.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map(toView),
    nextCursor: docs.length > limit && last ? encodeCursor(last) : undefined,
  }
}

export function toView(doc: {
  _id: Types.ObjectId
  personId: Types.ObjectId
  delta: number
  kind?: PointsKind | null
  reason: PointsReason
  refKey: string
  refs?: { caseId?: string | null; eventId?: string | null } | null
  month: string
  at: Date
  byId?: Types.ObjectId | null
  note?: string | null
}): PointsEntryView {
  const refs: PointsEntryView['refs'] = {}
  if (doc.refs?.caseId) refs.caseId = doc.refs.caseId
  if (doc.refs?.eventId) refs.eventId = doc.refs.eventId
  return {
    id: String(doc._id),
    personId: String(doc.personId),
    delta: doc.delta,
    kind: doc.kind ?? 'activity',
    reason: doc.reason,
    refKey: doc.refKey,
    refs,
    month: doc.month,
    at: doc.at,
    ...(doc.byId ? { byId: String(doc.byId) } : {}),
    ...(doc.note ? { note: doc.note } : {}),
  }
}
