import { ForbiddenError } from '../../lib/errors.js'
import type { CaseActorRole } from '../../models/case.model.js'

/**
 * Who is acting on a case. Structurally the HTTP `Actor` (minus `via`), so routes pass theirs as is;
 * the bot and jobs build one for the person or use SYSTEM_ACTOR.
 */
export interface CaseActor {
  personId?: string
  roles: readonly string[]
  communityIds?: readonly string[]
  gridIds?: readonly string[]
  departmentId?: string
}

/** A registry person as an actor on cases (the bot acts for them, never with more rights). */
export function actorOfPerson(p: {
  id: string
  roles: readonly string[]
  staff: { communityIds: readonly string[]; gridIds: readonly string[]; departmentId?: string }
}): CaseActor {
  return {
    personId: p.id,
    roles: p.roles,
    communityIds: p.staff.communityIds,
    gridIds: p.staff.gridIds,
    departmentId: p.staff.departmentId,
  }
}

/** Scheduled jobs (claim window, follow-up) act as the system. */
export const SYSTEM_ACTOR: CaseActor = { roles: ['system'] }

/** The part of a case that decides who may act on it. */
export interface CaseOwnership {
  assigneeId?: unknown
  departmentId?: unknown
  location?: { communityId?: unknown } | null
}

const ROLE_ORDER: CaseActorRole[] = [
  'system',
  'admin',
  'community_staff',
  'street_staff',
  'intake_desk',
  'department_staff',
  'grid_worker',
  'resident',
]

/** The role the timeline records for an actor (the most senior one they hold). */
export function timelineRole(actor: CaseActor): CaseActorRole {
  return ROLE_ORDER.find((r) => actor.roles.includes(r)) ?? 'resident'
}

/** Community staff / admin / street staff acting for the case's community (admin with none: all). */
export function isCommunityStaffFor(actor: CaseActor, communityId: unknown): boolean {
  if (actor.roles.includes('system')) return true
  const scoped = (actor.communityIds ?? []).map(String)
  if (actor.roles.includes('admin') && scoped.length === 0) return true
  const staff = ['admin', 'community_staff', 'street_staff'].some((r) => actor.roles.includes(r))
  return staff && communityId != null && scoped.includes(String(communityId))
}

/** The assignee, the owning department's staff, or the community's staff. */
export function canHandle(actor: CaseActor, c: CaseOwnership): boolean {
  if (actor.personId && c.assigneeId != null && String(c.assigneeId) === actor.personId) return true
  if (
    actor.roles.includes('department_staff') &&
    actor.departmentId &&
    c.departmentId != null &&
    String(c.departmentId) === actor.departmentId
  )
    return true
  return isCommunityStaffFor(actor, c.location?.communityId)
}

/** Throws FORBIDDEN with a sentence saying who may do this. */
export function assertCanHandle(actor: CaseActor, c: CaseOwnership, number: string): void {
  if (canHandle(actor, c)) return
  throw new ForbiddenError(`只有工单 ${number} 的承办人、承办部门或所属社区的工作人员可以办理`, { number })
}

/** Throws FORBIDDEN unless the actor is staff of the case's community. */
export function assertCommunityStaff(actor: CaseActor, communityId: unknown, number: string): void {
  if (isCommunityStaffFor(actor, communityId)) return
  throw new ForbiddenError(`只有工单 ${number} 所属社区的工作人员可以进行此操作`, { number })
}
