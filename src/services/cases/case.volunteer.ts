import { Types } from 'mongoose'
import { ConflictError, ForbiddenError } from '../../lib/errors.js'
import type { CaseDoc } from '../../models/case.model.js'
import { type CaseActor, canHandle } from './case.access.js'
import { entry } from './case.actions.js'
import { type CaseContext, findCase } from './case.context.js'

/** What a volunteer need posted from a case needs to know of it. */
export interface CaseForNeed {
  caseId: string
  number: string
  communityId: string
  householdId?: string
  reporterId?: string
  /** The case's words (the need's description when none is given; masked by the need). */
  text: string
}

/** The need as the case records it. */
export interface CaseNeedRef {
  id: string
  code: string
  skill: string
  offered: number
}

const CLOSED = ['closed', 'rejected', 'merged']

/** Its handler, the community's staff, or a grid worker of its grid may flag 需要志愿者. */
function assertMayFlag(actor: CaseActor, c: CaseDoc): void {
  const gridId = c.location?.gridId ? String(c.location.gridId) : undefined
  const gridWorker = actor.roles.includes('grid_worker') && !!gridId && (actor.gridIds ?? []).includes(gridId)
  if (!canHandle(actor, c) && !gridWorker)
    throw new ForbiddenError(`只有工单 ${c.number} 的网格员或所属社区的工作人员可以发布志愿需求`)
  if (CLOSED.includes(c.status)) throw new ConflictError(`工单 ${c.number} 已经结束，不能再发布志愿需求`)
  if (!c.location?.communityId)
    throw new ConflictError(`工单 ${c.number} 还没有所属社区，请先定位再发布志愿需求`)
}

/** Checks the actor may flag the case and returns what the need is built from. */
export async function caseForNeed(number: string, actor: CaseActor): Promise<CaseForNeed> {
  const c = (await findCase(number)) as CaseDoc
  assertMayFlag(actor, c)
  return {
    caseId: String(c._id),
    number: c.number,
    communityId: String(c.location?.communityId),
    ...(c.location?.householdId ? { householdId: String(c.location.householdId) } : {}),
    ...(c.reporterId ? { reporterId: String(c.reporterId) } : {}),
    text: c.description ?? '',
  }
}

/**
 * Records on the case that it needs a volunteer and which need was posted: data (`volunteerNeed`)
 * and one timeline entry. A repeat with the same need writes nothing.
 */
export function recordVolunteerNeed(ctx: CaseContext, number: string, actor: CaseActor, need: CaseNeedRef) {
  return ctx.mutate(number, (c) => {
    assertMayFlag(actor, c)
    if (c.volunteerNeed && String(c.volunteerNeed.needId) === need.id) return { timeline: [] }
    return {
      set: {
        volunteerNeed: {
          needId: new Types.ObjectId(need.id),
          code: need.code,
          skill: need.skill,
          ...(actor.personId ? { byId: new Types.ObjectId(actor.personId) } : {}),
          at: ctx.now(),
        },
      },
      timeline: [
        {
          ...entry(actor),
          action: 'volunteer_needed' as const,
          note: `需要志愿者（${need.skill}），志愿需求 ${need.code} 已发给 ${need.offered} 位志愿者`,
          to: need.code,
        },
      ],
    }
  })
}

/** The need's outcome (taken, done, cancelled) on the case's timeline, by the system. */
export function recordVolunteerOutcome(ctx: CaseContext, number: string, code: string, note: string) {
  return ctx.mutate(number, () => ({
    timeline: [{ actorRole: 'system' as const, action: 'volunteer_update' as const, note, to: code }],
  }))
}
