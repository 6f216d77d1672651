import { z } from 'zod'
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import { type CaseDoc, CaseModel, type CaseStatus } from '../../models/case.model.js'
import { DepartmentModel, ResidentModel } from '../../models/registry.model.js'
import { staffIdsOfCommunity } from '../registry/registry.staff-queries.js'
import { assertCommunityStaff, type CaseActor, canHandle, timelineRole } from './case.access.js'
import {
  type CaseChange,
  type CaseContext,
  communityStaffOf,
  findCase,
  parseInput,
  persons,
  type TimelineInput,
} from './case.context.js'
import { followCase } from './case.follows.js'
import { CaseAttachmentInput, departmentStaff } from './case.intake.js'
import { assertTransition, illegalTransition } from './case.lifecycle.js'
import {
  acceptedUpdate,
  callBackText,
  escalatedText,
  mergedUpdate,
  progressUpdate,
  rejectedUpdate,
  reopenedText,
  reporterRecipients,
  resolvedUpdate,
  returnedText,
  reworkText,
  taskText,
  unclaimedText,
} from './case.notify.js'
import { handlerNameOf } from './case.texts.js'

export const Note = (what: string) =>
  z
    .string({ error: `请填写${what}` })
    .trim()
    .min(2, `请填写${what}`)
    .max(1000, `${what}请控制在 1000 字以内`)
const Attachments = z.array(CaseAttachmentInput).max(9, '附件最多 9 个').optional()
export const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

export const TransferInput = z
  .object({
    toWorkerId: ObjectIdString.optional(),
    toDepartmentId: ObjectIdString.optional(),
    reason: Note('转派原因'),
  })
  .refine((t) => Boolean(t.toWorkerId) !== Boolean(t.toDepartmentId), '请选择转派给一位工作人员或一个部门')
export type TransferInput = z.input<typeof TransferInput>

/** Who a resident is when rating or reopening (mini-program: personId; chat: contactId). */
export const WhoInput = z
  .object({ personId: ObjectIdString.optional(), contactId: z.string().min(1).max(200).optional() })
  .refine((w) => w.personId || w.contactId, '缺少评价人')
export type WhoInput = z.input<typeof WhoInput>

export const RateInput = z.object({
  score: z.coerce
    .number()
    .int('请回复 1 到 5 之间的数字')
    .min(1, '请回复 1 到 5 之间的数字')
    .max(5, '请回复 1 到 5 之间的数字'),
  /** The words after the digit (「5 很快，谢谢」 → 「很快，谢谢」); blank means none. */
  comment: z
    .string()
    .trim()
    .max(500, '评价请控制在 500 字以内')
    .optional()
    .transform((v) => v || undefined),
})

/** Ratings up to this score send a resolved case back for re-work (不满意重办). */
export const REWORK_MAX_SCORE = 2
/** The re-work that raises the case to the community and street (提级督办), and every one after it. */
export const REWORK_ESCALATION_AT = 3

const actorId = (a: CaseActor) => a.personId
export const entry = (a: CaseActor) => ({ actorId: actorId(a), actorRole: timelineRole(a) })

/**
 * Move status (checked against the lifecycle table) plus the fields that go with it. `from` narrows
 * which states this particular action starts from (accepting is not reopening, though both lead to
 * in_progress).
 */
export function move(
  c: CaseDoc,
  to: CaseStatus,
  set: Record<string, unknown> = {},
  from?: readonly CaseStatus[],
) {
  if (from && !from.includes(c.status)) throw illegalTransition(c.status, to)
  assertTransition(c.status, to)
  return { ...set, status: to }
}

const WORKING: readonly CaseStatus[] = ['assigned', 'in_progress']

/**
 * Throws FORBIDDEN unless the actor may handle the case. The error names who holds it
 * (`details.holder`: 「网格员 王芳」, 「相关职能部门」; never a phone) so the chat can tell a worker whom to ask.
 */
async function assertHandler(actor: CaseActor, c: CaseDoc): Promise<void> {
  if (canHandle(actor, c)) return
  const holder = await handlerNameOf(c)
  throw new ForbiddenError(`工单 ${c.number} 由${holder}负责，您暂时不能办理`, { number: c.number, holder })
}

/** `accept`: the assignee (or department / community staff) takes the case on. */
export function acceptCase(ctx: CaseContext, number: string, actor: CaseActor) {
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    if (c.status === 'in_progress' && c.assigneeId != null && String(c.assigneeId) === actor.personId)
      throw new ConflictError(`您已接单 ${c.number}，正在处理中。`, { number: c.number, already: true })
    return {
      set: move(c, 'in_progress', { respondedAt: c.respondedAt ?? ctx.now() }, ['assigned']),
      timeline: [{ ...entry(actor), action: 'accepted', from: c.status, to: 'in_progress' }],
      after: async (u) => {
        await ctx.notify(u, `accepted#${u.reopenedCount}`, reporterRecipients(u), acceptedUpdate(u), 'update')
      },
    }
  })
}

/** `progress`: a note (and photos) on the way; the first one counts as the response. */
export function progressCase(
  ctx: CaseContext,
  number: string,
  actor: CaseActor,
  note: string,
  attachments?: unknown,
) {
  const input = parseInput(z.object({ note: Note('进展说明'), attachments: Attachments }), {
    note,
    attachments,
  })
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    return {
      set: move(c, 'in_progress', { respondedAt: c.respondedAt ?? ctx.now() }, WORKING),
      timeline: [{ ...entry(actor), action: 'progress', note: input.note, attachments: input.attachments }],
      after: async (u) => {
        const text = progressUpdate(u, input.note)
        await ctx.notify(u, `progress#${u.timeline.length}`, reporterRecipients(u), text, 'update')
      },
    }
  })
}

/** `resolve`: requires a note; tells the reporter and every subscriber and asks for a rating. */
export function resolveCase(
  ctx: CaseContext,
  number: string,
  actor: CaseActor,
  note: string,
  attachments?: unknown,
) {
  const input = parseInput(z.object({ note: Note('处理结果'), attachments: Attachments }), {
    note,
    attachments,
  })
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    const now = ctx.now()
    return {
      set: move(c, 'resolved', { resolvedAt: now, respondedAt: c.respondedAt ?? now }, WORKING),
      timeline: [
        {
          ...entry(actor),
          action: 'resolved',
          note: input.note,
          attachments: input.attachments,
          from: c.status,
        },
      ],
      after: async (u) => {
        const text = resolvedUpdate(u, input.note, ctx.config.cases.reopenWindowDays)
        await ctx.notify(u, `resolved#${resolutionTag(u)}`, reporterRecipients(u), text, 'update', {
          expects: { kind: 'rating', caseNumber: u.number, ttlMs: ratingWindowMs(ctx) },
        })
        await afterVerified(ctx, u)
      },
    }
  })
}

/**
 * Which resolution of a case this is, for outbox keys: the reopen count, and the re-work count once
 * there is one (so a re-worked case's next resolution is announced and asks for a rating again).
 */
function resolutionTag(c: CaseDoc): string {
  return c.reworkCount ? `${c.reopenedCount}.${c.reworkCount}` : String(c.reopenedCount)
}

/** How long a rating prompt waits for its answer: the reopen window, at least a week. */
function ratingWindowMs(ctx: CaseContext): number {
  return Math.max(7, ctx.config.cases.reopenWindowDays) * 24 * 3600_000
}

async function afterVerified(ctx: CaseContext, c: CaseDoc): Promise<void> {
  const base = {
    caseId: String(c._id),
    number: c.number,
    reporterId: c.reporterId?.toString(),
    at: ctx.now(),
  }
  await safely(ctx, 'points credit', async () => {
    if (c.reporterId && ctx.points)
      await ctx.points.credit({
        personId: String(c.reporterId),
        reason: 'report_verified',
        refKey: `report:${c._id}`,
        refs: { caseId: String(c._id) },
      })
    await ctx.hooks?.onVerified?.(base)
  })
}

async function safely(ctx: CaseContext, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (err) {
    ctx.logger?.error({ err }, `${what} failed after the case change was stored`)
  }
}

/** `transfer` (转派): to another worker or a department; needs a reason. Also dispatches a received case by hand. */
export async function transferCase(ctx: CaseContext, number: string, actor: CaseActor, raw: TransferInput) {
  const t = parseInput(TransferInput, raw)
  if (t.toWorkerId) {
    const w = await ResidentModel.findById(t.toWorkerId, { roles: 1 }).lean().exec()
    const staffRoles = ['grid_worker', 'community_staff', 'department_staff']
    if (!w?.roles.some((r) => staffRoles.includes(r))) throw new NotFoundError('接收的工作人员')
  }
  if (t.toDepartmentId && !(await DepartmentModel.exists({ _id: t.toDepartmentId })))
    throw new NotFoundError('接收的部门')
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    const target = t.toWorkerId
      ? { set: { assigneeId: t.toWorkerId }, unset: ['departmentId'] }
      : { set: { departmentId: t.toDepartmentId }, unset: ['assigneeId'] }
    return {
      set: move(c, 'assigned', target.set),
      unset: [...target.unset, 'heldAt'],
      timeline: [
        {
          ...entry(actor),
          action: c.status === 'received' ? 'assigned' : 'transferred',
          note: t.reason,
          from: String(c.assigneeId ?? c.departmentId ?? c.status),
          to: String(t.toWorkerId ?? t.toDepartmentId),
        },
      ],
      after: async (u) => {
        const to = t.toWorkerId ? [t.toWorkerId] : await departmentStaff([t.toDepartmentId])
        await ctx.notify(u, `task#${u.timeline.length}`, persons(to), taskText(u), 'task')
      },
    }
  })
}

/** `returnCase` (退单): back to the community to dispatch again; needs a reason. */
export function returnCase(ctx: CaseContext, number: string, actor: CaseActor, reason: string) {
  const input = parseInput(z.object({ reason: Note('退单原因') }), { reason })
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    return {
      set: move(c, 'received'),
      unset: ['assigneeId', 'departmentId', 'claimDeadline'],
      timeline: [{ ...entry(actor), action: 'returned', note: input.reason, from: c.status, to: 'received' }],
      after: async (u) => {
        const staff = await communityStaffOf(u.location?.communityId)
        await ctx.notify(u, `returned#${u.timeline.length}`, staff, returnedText(u, input.reason), 'task')
      },
    }
  })
}

/** `comment`: a note on the timeline by anyone handling the case, or by a reporter/subscriber. */
export function commentCase(
  ctx: CaseContext,
  number: string,
  actor: CaseActor,
  note: string,
  attachments?: unknown,
) {
  const input = parseInput(z.object({ note: Note('备注'), attachments: Attachments }), { note, attachments })
  return ctx.mutate(number, (c) => {
    if (!canHandle(actor, c) && !isReporter(c, { personId: actor.personId }))
      throw new ForbiddenError(`只有工单 ${c.number} 的相关人员可以留言`)
    return {
      timeline: [{ ...entry(actor), action: 'comment', note: input.note, attachments: input.attachments }],
    }
  })
}

/** `reject`: not a real request (or out of scope); tells the reporters and takes report points back. */
export function rejectCase(ctx: CaseContext, number: string, actor: CaseActor, reason: string) {
  const input = parseInput(z.object({ reason: Note('驳回原因') }), { reason })
  return ctx.mutate(number, async (c) => {
    await assertHandler(actor, c)
    return {
      set: move(c, 'rejected', { closedAt: ctx.now() }),
      timeline: [{ ...entry(actor), action: 'rejected', note: input.reason, from: c.status }],
      after: async (u) => {
        await ctx.notify(u, 'rejected', reporterRecipients(u), rejectedUpdate(u, input.reason), 'update')
        await safely(ctx, 'points reversal', async () => {
          await ctx.points?.reverse(`report:${u._id}`, `工单 ${u.number} 被驳回：${input.reason}`, {
            byId: actor.personId,
          })
          await ctx.hooks?.onRejected?.({
            caseId: String(u._id),
            number: u.number,
            reporterId: u.reporterId?.toString(),
            at: ctx.now(),
          })
        })
      },
    }
  })
}

/** `escalate` (督办): raises the escalation level and tells the community; status is unchanged. */
export function escalateCase(ctx: CaseContext, number: string, actor: CaseActor, note: string) {
  const input = parseInput(z.object({ note: Note('督办说明') }), { note })
  return ctx.mutate(number, async (c) => {
    if (!canHandle(actor, c)) throw new ForbiddenError('只有社区工作人员可以督办工单')
    const level = c.escalationLevel + 1
    return {
      set: { escalationLevel: level },
      timeline: [{ ...entry(actor), action: 'escalated', note: input.note, to: String(level) }],
      after: async (u) => {
        const to = [
          ...(await communityStaffOf(u.location?.communityId)),
          ...persons(u.assigneeId ? [u.assigneeId] : []),
        ]
        await ctx.notify(u, `escalated#${level}`, to, escalatedText(u, input.note), 'warning')
      },
    }
  })
}

const TIER_NAMES: Readonly<Record<string, string>> = {
  grid_worker: '网格员',
  community_staff: '社区',
  street_staff: '街道',
}

/**
 * An SLA escalation decided by the scheduler: raises the escalation level and writes it on the
 * timeline, sending nothing (the job has already told the people of that tier). Replays are harmless:
 * the job runs it once per deadline and tier.
 */
export async function recordEscalationOnCase(
  ctx: CaseContext,
  input: { caseId: string; tier: string; toPersonIds: string[]; now: Date },
) {
  const found = await CaseModel.findById(input.caseId, { number: 1 }).lean()
  if (!found) throw new NotFoundError('工单')
  const tierName = TIER_NAMES[input.tier] ?? input.tier
  return ctx.mutate(found.number, (c) => ({
    set: { escalationLevel: c.escalationLevel + 1 },
    timeline: [
      {
        actorRole: 'system',
        action: 'escalated',
        note: `超过办理时限，已升级至${tierName}`,
        to: String(c.escalationLevel + 1),
      },
    ],
  }))
}

/** `claim` (抢单): one of the posted departments takes the case; the first claim wins. */
export function claimCase(ctx: CaseContext, number: string, departmentId: string, actor: CaseActor) {
  return ctx.mutate(number, (c) => {
    const ownDept = actor.roles.includes('department_staff') && actor.departmentId === departmentId
    if (!ownDept) throw new ForbiddenError('只有该部门的工作人员可以抢单')
    if (c.status !== 'posted') {
      if (c.departmentId) throw new ConflictError(`工单 ${c.number} 已被其他部门认领`)
      assertTransition(c.status, 'assigned')
    }
    if (!c.postedDepartmentIds.map(String).includes(departmentId))
      throw new ForbiddenError(`工单 ${c.number} 没有派给本部门`)
    const claimedBy = { departmentId, byId: actor.personId, at: ctx.now() }
    return {
      set: move(c, 'assigned', { departmentId, assigneeId: actor.personId, claimedBy }),
      unset: ['claimDeadline'],
      timeline: [{ ...entry(actor), action: 'claimed', from: 'posted', to: departmentId }],
    }
  })
}

/**
 * Posted cases whose claim window has passed go to the default department among those posted to
 * (else the first), and the community is told. Called by the scheduler; returns how many moved.
 */
export async function dispatchUnclaimed(ctx: CaseContext, now: Date): Promise<number> {
  const due = await CaseModel.find({ status: 'posted', claimDeadline: { $lte: now } }, { number: 1 })
    .lean()
    .exec()
  let moved = 0
  for (const { number } of due) {
    const u = await ctx.mutate(number, async (c) => {
      if (c.status !== 'posted' || !c.claimDeadline || c.claimDeadline > now) return { timeline: [] }
      const deps = await DepartmentModel.find(
        { _id: { $in: c.postedDepartmentIds } },
        { name: 1, isDefault: 1 },
      )
        .lean()
        .exec()
      const order = c.postedDepartmentIds.map(String)
      deps.sort(
        (a, b) =>
          Number(b.isDefault) - Number(a.isDefault) ||
          order.indexOf(String(a._id)) - order.indexOf(String(b._id)),
      )
      const dept = deps[0]
      if (!dept) return { timeline: [] }
      moved++
      return {
        set: move(c, 'assigned', { departmentId: dept._id }),
        unset: ['claimDeadline'],
        timeline: [
          {
            actorRole: 'system',
            action: 'auto_dispatched',
            note: '抢单超时，派给默认部门',
            to: String(dept._id),
          },
        ],
        after: async (doc) => {
          await ctx.notify(
            doc,
            'auto-task',
            persons(await departmentStaff([dept._id])),
            taskText(doc),
            'task',
          )
          const staff = await communityStaffOf(doc.location?.communityId)
          await ctx.notify(doc, 'unclaimed', staff, unclaimedText(doc, dept.name), 'update')
        },
      }
    })
    void u
  }
  return moved
}

function isReporter(c: CaseDoc, who: { personId?: string; contactId?: string }): boolean {
  return reporterRole(c, who) !== undefined
}

/** 'reporter', 'subscriber' or undefined. */
function reporterRole(c: CaseDoc, who: { personId?: string; contactId?: string }) {
  const matches = (p: { personId?: unknown; contactId?: string | null }) =>
    (who.personId && p.personId != null && String(p.personId) === who.personId) ||
    (who.contactId && p.contactId === who.contactId)
  if (matches({ personId: c.reporterId, contactId: c.reporter?.contactId })) return 'reporter' as const
  if (c.subscribers.some(matches)) return 'subscriber' as const
  return undefined
}

/**
 * `rate`: the reporter and each subscriber may rate each resolution once (1–5), with an optional
 * comment. The reporter's rating closes the case; a rating of 1–2 of a resolved case sends it back
 * for re-work instead (不满意重办, see `reworkChange`).
 */
export function rateCase(
  ctx: CaseContext,
  number: string,
  rawWho: WhoInput,
  score: unknown,
  comment?: string,
) {
  const who = parseInput(WhoInput, rawWho)
  const r = parseInput(RateInput, { score, comment })
  return ctx.mutate(number, (c) => {
    const role = reporterRole(c, who)
    if (!role) throw new ForbiddenError(`只有反映该问题的居民可以评价工单 ${c.number}`)
    if (c.status !== 'resolved' && c.status !== 'closed')
      throw new ConflictError(`工单 ${c.number} 还没有办结，暂时不能评价`)
    // `ratings` holds the ratings of the current resolution only (a re-work empties it).
    const already = c.ratings.some(
      (x) =>
        (who.personId && String(x.byId) === who.personId) ||
        (who.contactId && x.byContactId === who.contactId),
    )
    if (already) throw new ConflictError(`您已经评价过工单 ${c.number}，谢谢！`)
    const rating = {
      score: r.score,
      comment: r.comment,
      at: ctx.now(),
      byId: who.personId,
      byContactId: who.contactId,
    }
    const rated = {
      actorId: who.personId,
      actorRole: 'resident' as const,
      action: 'rated' as const,
      note: r.comment,
      to: String(r.score),
    }
    const round = c.reopenedCount + (c.reworkCount ?? 0)
    const afterRating = (u: CaseDoc) => afterRated(ctx, u, who, r.score, role === 'reporter', round)
    if (r.score <= REWORK_MAX_SCORE && c.status === 'resolved')
      return reworkChange(ctx, c, { rating, byReporter: role === 'reporter', rated, afterRating })
    const closes = role === 'reporter' && c.status === 'resolved'
    return {
      set: {
        ...(role === 'reporter' ? { rating } : {}),
        ...(closes ? move(c, 'closed', { closedAt: ctx.now() }) : {}),
      },
      push: { ratings: [rating] },
      timeline: [
        rated,
        ...(closes
          ? [{ actorRole: 'system' as const, action: 'closed' as const, from: 'resolved', to: 'closed' }]
          : []),
      ],
      after: afterRating,
    }
  })
}

interface ReworkInput {
  rating: { score: number; comment?: string; at: Date; byId?: string; byContactId?: string }
  byReporter: boolean
  rated: TimelineInput
  afterRating: (u: CaseDoc) => Promise<void>
}

/**
 * 不满意重办: a low rating reopens the resolved case to the same owner with a new resolution deadline,
 * tells the handler why, and gives the community's duty staff a call-back task (电话回访). The low
 * rating stays the case's rating (statistics count it) until the next resolution is rated; the
 * `ratings` of this resolution are emptied so the next one can be rated. The REWORK_ESCALATION_AT-th
 * re-work also raises the case to the community and street (提级督办).
 */
function reworkChange(ctx: CaseContext, c: CaseDoc, input: ReworkInput): CaseChange {
  const now = ctx.now()
  const count = (c.reworkCount ?? 0) + 1
  const escalates = count >= REWORK_ESCALATION_AT
  const resolveBy = ctx.responsibility.deadlines(c.category, c.urgency, now).resolveBy
  const { score, comment } = input.rating
  const why = `居民评价 ${score} 分，不满意，发回重办（第 ${count} 次）${comment ? `：${comment}` : ''}`
  const escalation = `发回重办已达 ${count} 次，提级督办`
  return {
    set: {
      ...move(c, 'in_progress', { reworkCount: count, 'deadlines.resolveBy': resolveBy, ratings: [] }),
      ...(input.byReporter ? { rating: input.rating } : {}),
      ...(escalates ? { escalationLevel: c.escalationLevel + 1 } : {}),
    },
    unset: ['resolvedAt', 'closedAt'],
    timeline: [
      input.rated,
      { actorRole: 'system', action: 'rework', note: why, from: 'resolved', to: String(score) },
      ...(escalates
        ? [
            {
              actorRole: 'system' as const,
              action: 'escalated' as const,
              note: escalation,
              to: String(c.escalationLevel + 1),
            },
          ]
        : []),
    ],
    after: async (u) => {
      await ctx.notify(u, `rework#${count}`, await handlersOf(u), reworkText(u, score, comment), 'task')
      const staff = await communityStaffOf(u.location?.communityId)
      if (staff.length === 0)
        ctx.logger?.warn({ number: u.number }, 'no community duty staff for the call-back')
      await ctx.notify(u, `callback#${count}`, staff, callBackText(u, score, comment), 'task')
      if (escalates) await notifyReworkEscalation(ctx, u, count, escalation)
      await input.afterRating(u)
    },
  }
}

/** Who must act on a case: its assignee, else its department's staff, else the community's staff. */
async function handlersOf(c: CaseDoc) {
  if (c.assigneeId) return persons([c.assigneeId])
  if (c.departmentId) return persons(await departmentStaff([c.departmentId]))
  return communityStaffOf(c.location?.communityId)
}

/** 提级督办 after repeated re-work: the community's staff and the street's staff hear of it. */
async function notifyReworkEscalation(ctx: CaseContext, c: CaseDoc, count: number, note: string) {
  const communityId = c.location?.communityId
  const street = communityId ? await staffIdsOfCommunity('street_staff', communityId) : []
  const to = [...(await communityStaffOf(communityId)), ...persons(street)]
  await ctx.notify(c, `rework-escalated#${count}`, to, escalatedText(c, note), 'warning')
}

async function afterRated(
  ctx: CaseContext,
  c: CaseDoc,
  who: { personId?: string; contactId?: string },
  score: number,
  byReporter: boolean,
  /** Which resolution was rated (reopenings + re-works before it): one points credit per round. */
  round: number,
): Promise<void> {
  await safely(ctx, 'rating hooks', async () => {
    if (who.personId && ctx.points)
      await ctx.points.credit({
        personId: who.personId,
        reason: 'rating_given',
        refKey: `rating:${c._id}:${who.personId}:${round}`,
        refs: { caseId: String(c._id) },
      })
    await ctx.hooks?.onRated?.({
      caseId: String(c._id),
      number: c.number,
      ...who,
      score,
      byReporter,
      at: ctx.now(),
    })
  })
}

/** `reopen`: a reporter/subscriber (or community staff) within the reopen window after resolution. */
export function reopenCase(ctx: CaseContext, number: string, rawWho: WhoInput | CaseActor, reason: string) {
  const input = parseInput(z.object({ reason: Note('重新处理的原因') }), { reason })
  return ctx.mutate(number, (c) => {
    const staff = 'roles' in rawWho && canHandle(rawWho, c)
    const who = 'roles' in rawWho ? { personId: rawWho.personId } : parseInput(WhoInput, rawWho)
    if (!staff && !isReporter(c, who))
      throw new ForbiddenError(`只有反映该问题的居民可以申请重新处理工单 ${c.number}`)
    const windowMs = ctx.config.cases.reopenWindowDays * 86_400_000
    if (c.resolvedAt && ctx.now().getTime() - c.resolvedAt.getTime() > windowMs)
      throw new ConflictError(
        `工单 ${c.number} 办结已超过 ${ctx.config.cases.reopenWindowDays} 天，请重新反映问题`,
      )
    return {
      set: move(c, 'in_progress', { reopenedCount: c.reopenedCount + 1, ratings: [] }, [
        'resolved',
        'closed',
      ]),
      unset: ['resolvedAt', 'closedAt', 'rating'],
      timeline: [
        {
          actorId: who.personId,
          actorRole: staff ? timelineRole(rawWho as CaseActor) : 'resident',
          action: 'reopened',
          note: input.reason,
          from: c.status,
          to: 'in_progress',
        },
      ],
      after: async (u) => {
        const to = u.assigneeId
          ? persons([u.assigneeId])
          : persons(await departmentStaff(u.departmentId ? [u.departmentId] : []))
        await ctx.notify(u, `reopened#${u.reopenedCount}`, to, reopenedText(u, input.reason), 'task')
      },
    }
  })
}

/** Resolved cases nobody rated within the follow-up delay are closed by the system. */
export async function closeStale(ctx: CaseContext, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - ctx.config.cases.followUpDelayHours * 3_600_000)
  const stale = await CaseModel.find({ status: 'resolved', resolvedAt: { $lte: cutoff } }, { number: 1 })
    .lean()
    .exec()
  let closed = 0
  for (const { number } of stale) {
    await ctx.mutate(number, (c) => {
      if (c.status !== 'resolved') return { timeline: [] }
      closed++
      return {
        set: move(c, 'closed', { closedAt: now }),
        timeline: [
          { actorRole: 'system', action: 'closed', note: '回访期满未评价，自动关闭', from: 'resolved' },
        ],
      }
    })
  }
  return closed
}

/**
 * `merge`: staff fold a duplicate into another open case; its reporter and subscribers become
 * subscribers of the target and hear that the cases were merged.
 */
export async function mergeCases(
  ctx: CaseContext,
  sourceNumber: string,
  intoNumber: string,
  actor: CaseActor,
) {
  const [source, target] = await Promise.all([findCase(sourceNumber), findCase(intoNumber)])
  if (source._id.equals(target._id)) throw new InvalidInputError('不能把工单合并到它自己')
  const [first, second] = [source, target].sort((a, b) => String(a._id).localeCompare(String(b._id)))
  return withLock(`case:${first?._id}:merge`, () =>
    withLock(`case:${second?._id}:merge`, async () => {
      const fresh = await findCase(target.number)
      if (fresh.status === 'merged' || fresh.status === 'rejected')
        throw new ConflictError(`工单 ${fresh.number} 已结束，不能合并进去`)
      const merged = await ctx.mutate(source.number, (c) => {
        assertCommunityStaff(actor, c.location?.communityId, c.number)
        return {
          set: move(c, 'merged', { mergedInto: target.number, closedAt: ctx.now() }),
          timeline: [{ ...entry(actor), action: 'merged', from: c.status, to: target.number }],
        }
      })
      const joined = mergedSubscribers(merged)
      for (const s of joined) await followCase(s.personId, target._id, 'subscriber', ctx.now())
      return ctx.mutate(target.number, (t) => {
        if (t.status === 'merged' || t.status === 'rejected')
          throw new ConflictError(`工单 ${t.number} 已结束，不能合并进去`)
        return {
          push: { subscribers: joined },
          timeline: [{ ...entry(actor), action: 'merged_from', from: merged.number }],
          after: async (u) => {
            await ctx.notify(merged, 'merged', reporterRecipients(merged), mergedUpdate(merged, u), 'update')
          },
        }
      })
    }),
  )
}

function mergedSubscribers(c: CaseDoc) {
  return [
    {
      personId: c.reporterId,
      contactId: c.reporter?.contactId,
      roomId: c.reporter?.roomId,
      channel: c.channel,
      sourceKey: c.sourceKey,
      at: c.createdAt,
    },
    ...c.subscribers,
  ]
}
