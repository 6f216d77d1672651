import { DomainError } from '../../lib/errors.js'
import type { CaseStatus } from '../../models/case.model.js'
import { STATUS_LABELS } from './case.views.js'

/**
 * The allowed status moves. Escalation, transfer and reopening are timeline events (and the flags
 * `escalationLevel`, `reopenedCount`) on top of these:
 * - transfer (转派): assigned/in_progress → assigned (new owner);
 * - return (退单): assigned/in_progress/posted → received (back to the community to dispatch again);
 * - post (社区下单): community staff offer a received, assigned or in-progress case to departments;
 * - a worker who fixes the problem on the spot may resolve straight from assigned;
 * - reopen: resolved/closed → in_progress, within the reopen window.
 */
export const TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  received: ['assigned', 'posted', 'merged', 'rejected'],
  posted: ['assigned', 'received', 'merged', 'rejected'],
  assigned: ['assigned', 'in_progress', 'resolved', 'received', 'posted', 'merged', 'rejected'],
  in_progress: ['in_progress', 'assigned', 'resolved', 'received', 'posted', 'merged', 'rejected'],
  resolved: ['closed', 'in_progress'],
  closed: ['in_progress'],
  merged: [],
  rejected: [],
}

/** Re-exported for the modules that read the labels from here (open311); the table is in case.views. */
export { STATUS_LABELS }

/** True when the move from → to is allowed. */
export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** Throws ILLEGAL_TRANSITION (with a Chinese message naming both states) unless the move is allowed. */
export function assertTransition(from: CaseStatus, to: CaseStatus): void {
  if (canTransition(from, to)) return
  throw illegalTransition(from, to)
}

/** The ILLEGAL_TRANSITION error for a move (also used when an action does not start from `from`). */
export function illegalTransition(from: CaseStatus, to: CaseStatus): DomainError {
  return new DomainError(
    'ILLEGAL_TRANSITION',
    `工单当前状态为“${STATUS_LABELS[from]}”，不能变为“${STATUS_LABELS[to]}”`,
    { from, to },
  )
}
