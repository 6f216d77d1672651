import { z } from 'zod'
import { ConflictError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { maskText } from '../../lib/mask.js'
import type { CaseDoc, CaseStatus } from '../../models/case.model.js'
import { DepartmentModel, ResidentModel } from '../../models/registry.model.js'
import { assertCommunityStaff, type CaseActor } from './case.access.js'
import { entry, move, Note, ObjectIdString, REWORK_MAX_SCORE } from './case.actions.js'
import { type CaseContext, parseInput } from './case.context.js'
import { notifyPosted, postedFields } from './case.routing.js'
import { type CaseView, STATUS_LABELS } from './case.views.js'

/**
 * The community staff's own actions on a case (社区下单, 关闭, 电话回访): each checks that the actor
 * is staff of the case's community, records what happened as data and writes one timeline entry.
 */

export const PostInput = z.object({
  departmentIds: z
    .array(ObjectIdString, { error: '请选择要发布的部门' })
    .min(1, '请选择至少一个部门')
    .max(10, '一次最多发布给 10 个部门'),
  reason: Note('下单说明'),
})
export type PostInput = z.input<typeof PostInput>

/** The states staff may offer a case to departments from (社区下单). */
const POSTABLE: readonly CaseStatus[] = ['received', 'assigned', 'in_progress']

/**
 * `post` (社区下单): staff offer the case to one or more departments, which may claim it until the
 * claim window (config `cases.claimWindowMinutes`) ends; their staff are told. The current owner
 * (a worker or a department) gives it up.
 */
export async function postCase(ctx: CaseContext, number: string, actor: CaseActor, raw: PostInput) {
  const input = parseInput(PostInput, raw)
  const ids = [...new Set(input.departmentIds.map((d) => d.toLowerCase()))]
  const found = await DepartmentModel.find({ _id: { $in: ids } }, { communityIds: 1 })
    .lean()
    .exec()
  if (found.length !== ids.length) throw new NotFoundError('所选的部门')
  return ctx.mutate(number, (c) => {
    assertCommunityStaff(actor, c.location?.communityId, c.number)
    const community = c.location?.communityId
    const serves = (d: (typeof found)[number]) =>
      !d.communityIds?.length || Boolean(community && d.communityIds.some((x) => x.equals(community)))
    if (!found.every(serves)) throw new InvalidInputError('所选部门不负责本社区，请重新选择')
    return {
      set: move(c, 'posted', postedFields(ctx, ids), POSTABLE),
      unset: ['assigneeId', 'departmentId', 'heldAt', 'claimedBy'],
      timeline: [
        { ...entry(actor), action: 'posted', note: input.reason, from: c.status, to: ids.join(',') },
      ],
      after: (u) => notifyPosted(ctx, u, ids),
    }
  })
}

/** `close`: staff close a resolved case (e.g. after a call-back found the resident content). */
export function closeCase(ctx: CaseContext, number: string, actor: CaseActor, reason: string) {
  const input = parseInput(z.object({ reason: Note('关闭原因') }), { reason })
  return ctx.mutate(number, (c) => {
    assertCommunityStaff(actor, c.location?.communityId, c.number)
    if (c.status !== 'resolved')
      throw new ConflictError(
        `工单 ${c.number} 当前状态为“${STATUS_LABELS[c.status]}”，只有已办结的工单可以关闭`,
      )
    return {
      set: move(c, 'closed', { closedAt: ctx.now() }),
      timeline: [{ ...entry(actor), action: 'closed', note: input.reason, from: 'resolved', to: 'closed' }],
    }
  })
}

export const CallbackInput = z.object({
  reached: z.boolean({ error: '请说明是否联系上居民' }),
  satisfied: z.boolean().optional(),
  note: Note('回访情况'),
})
export type CallbackInput = z.input<typeof CallbackInput>

/**
 * Whether a case wants a call-back (电话回访): resolved or closed and rated low (1–2) or not at all,
 * or sent back for re-work by a low rating (the rating stays until the next resolution is rated).
 */
export function wantsCallback(c: Pick<CaseDoc, 'status' | 'rating' | 'reworkCount'>): boolean {
  const score = c.rating?.score
  const low = score !== undefined && score <= REWORK_MAX_SCORE
  if (c.status === 'resolved' || c.status === 'closed') return score === undefined || low
  return low && (c.reworkCount ?? 0) > 0 && (c.status === 'assigned' || c.status === 'in_progress')
}

/** `callback`: records a call-back as data (`callbacks`) and on the timeline; repeat calls allowed. */
export function recordCallback(ctx: CaseContext, number: string, actor: CaseActor, raw: CallbackInput) {
  const input = parseInput(CallbackInput, raw)
  return ctx.mutate(number, (c) => {
    assertCommunityStaff(actor, c.location?.communityId, c.number)
    if (!wantsCallback(c))
      throw new ConflictError(
        `工单 ${c.number} 当前状态为“${STATUS_LABELS[c.status]}”，只有已办结且未评价或评价不满意的工单需要回访`,
      )
    const satisfied = input.reached ? input.satisfied : undefined
    const outcome = !input.reached
      ? '未联系上'
      : satisfied === false
        ? '不满意'
        : satisfied
          ? '满意'
          : '已联系'
    return {
      push: {
        callbacks: [
          { at: ctx.now(), byId: actor.personId, reached: input.reached, satisfied, note: input.note },
        ],
      },
      timeline: [{ ...entry(actor), action: 'called_back', note: input.note, to: outcome }],
    }
  })
}

/** A name masked for a list: the family name and a star per other character (张三 → 张*). */
export function maskName(name: string): string {
  const chars = [...name.trim()]
  if (chars.length === 0) return ''
  return `${chars[0]}${'*'.repeat(Math.max(1, chars.length - 1))}`
}

/** The case view with the posted departments' names and the subscribers' masked names filled in. */
export async function withNames(view: CaseView): Promise<CaseView> {
  const deptIds = [...view.claims.departments.map((d) => d.id), view.claims.claimedBy?.departmentId]
  const personIds = view.subscribers.map((s) => s.personId).filter((p): p is string => Boolean(p))
  const [deps, people] = await Promise.all([
    DepartmentModel.find({ _id: { $in: deptIds.filter(Boolean) } }, { name: 1 })
      .lean()
      .exec(),
    ResidentModel.find({ _id: { $in: personIds } }, { name: 1 })
      .lean()
      .exec(),
  ])
  const deptName = new Map(deps.map((d) => [String(d._id), d.name]))
  const personName = new Map(people.map((p) => [String(p._id), maskText(maskName(p.name ?? ''))]))
  const claimedBy = view.claims.claimedBy
  return {
    ...view,
    subscribers: view.subscribers.map((s) => ({
      ...s,
      name: (s.personId && personName.get(s.personId)) || '居民',
    })),
    claims: {
      ...view.claims,
      departments: view.claims.departments.map((d) => ({ ...d, name: deptName.get(d.id) })),
      claimedBy: claimedBy && { ...claimedBy, departmentName: deptName.get(claimedBy.departmentId) },
    },
  }
}
