import type { Session } from '../api'
import type { CaseView } from '../types'

/**
 * Which staff actions the console offers for a case, mirroring the API's rules (the API stays the
 * judge: a refusal shows its Chinese message). Kept in one place so the page and its test agree.
 */
export type CaseAction =
  | 'accept'
  | 'progress'
  | 'resolve'
  | 'return'
  | 'assign'
  | 'transfer'
  | 'merge'
  | 'post'
  | 'reopen'
  | 'close'
  | 'reject'
  | 'comment'
  | 'callback'

export const ACTION_LABELS: Record<CaseAction, string> = {
  accept: '接单',
  progress: '反馈进展',
  resolve: '办结',
  return: '退单',
  assign: '派给网格员',
  transfer: '转派给部门',
  merge: '合并到…',
  post: '发布给部门',
  reopen: '重新打开',
  close: '关闭',
  reject: '不予受理',
  comment: '添加备注',
  callback: '记录回访',
}

const OPEN = ['received', 'posted', 'assigned', 'in_progress']
const STAFF_ROLES = ['community_staff', 'street_staff', 'admin']
/** Ratings up to this score send a case back and want a call-back (the API's REWORK_MAX_SCORE). */
const LOW_SCORE = 2

/** Staff of the case's community (an admin with no community: everywhere), as `staffCase` decides. */
export function isCaseStaff(s: Session, c: CaseView): boolean {
  if (s.roles.includes('admin') && s.communityIds.length === 0) return true
  const staff = STAFF_ROLES.some((r) => s.roles.includes(r))
  return staff && Boolean(c.location.communityId) && s.communityIds.includes(c.location.communityId ?? '')
}

/** A resolved/closed case rated low or not at all, or one sent back for re-work by a low rating. */
export function wantsCallback(c: CaseView): boolean {
  const score = c.rating?.score
  const low = score !== undefined && score <= LOW_SCORE
  if (c.status === 'resolved' || c.status === 'closed') return score === undefined || low
  return low && c.reworkCount > 0 && (c.status === 'assigned' || c.status === 'in_progress')
}

/** The actions this signed-in person may take on the case in its current status. */
export function allowedActions(s: Session, c: CaseView): CaseAction[] {
  const staff = isCaseStaff(s, c)
  const handler = staff || (c.assigneeId !== undefined && c.assigneeId === s.personId)
  const reporter = c.reporterId === s.personId
  const open = OPEN.includes(c.status)
  const out: CaseAction[] = []
  // The handler's own steps (the API lets only the person the case is assigned to take them).
  const mine = c.assigneeId !== undefined && c.assigneeId === s.personId
  if (mine && c.status === 'assigned') out.push('accept')
  if (mine && (c.status === 'assigned' || c.status === 'in_progress'))
    out.push('progress', 'resolve', 'return')
  if (staff && open) out.push('assign', 'transfer', 'merge')
  if (staff && ['received', 'assigned', 'in_progress'].includes(c.status)) out.push('post')
  if ((handler || reporter) && ['resolved', 'closed'].includes(c.status)) out.push('reopen')
  if (staff && c.status === 'resolved') out.push('close')
  if (staff && open) out.push('reject')
  if (handler || reporter) out.push('comment')
  if (staff && wantsCallback(c)) out.push('callback')
  return out
}
