import { maskText } from '../../lib/mask.js'
import {
  type CaseDoc,
  type CaseOwner,
  type CaseStatus,
  ownerOf,
  type TimelineAction,
} from '../../models/case.model.js'

/**
 * The one table of Chinese names for case statuses: the chat, the API views, Open311, the CLI and
 * the statistics export all read it, so a status reads the same everywhere.
 */
export const STATUS_LABELS: Readonly<Record<CaseStatus, string>> = {
  received: '已受理待派单',
  posted: '待部门抢单',
  assigned: '已派单',
  in_progress: '处理中',
  resolved: '已办结待评价',
  closed: '已关闭',
  merged: '已合并',
  rejected: '已驳回',
}

/** The one table of Chinese names for timeline actions (the CLI's `case show`, the API's views). */
export const TIMELINE_LABELS: Readonly<Record<TimelineAction, string>> = {
  opened: '受理',
  subscribed: '附议',
  assigned: '派单',
  posted: '发布抢单',
  claimed: '抢单',
  auto_dispatched: '超时自动派单',
  accepted: '接单',
  progress: '进展',
  comment: '留言',
  transferred: '转派',
  returned: '退单',
  escalated: '督办',
  resolved: '办结',
  rated: '评价',
  reopened: '重新办理',
  rework: '发回重办',
  closed: '关闭',
  merged: '合并',
  merged_from: '并入',
  rejected: '驳回',
  notified: '通知',
  held: '转服务台待派',
  relocated: '重新定位派单',
  called_back: '电话回访',
  volunteer_needed: '需要志愿者',
  volunteer_update: '志愿服务进展',
}

/** The Chinese name of a timeline action; an unknown one is shown as it is. */
export function timelineLabel(action: string): string {
  return (TIMELINE_LABELS as Record<string, string>)[action] ?? action
}

/** Whether a deadline has passed (the responsibility service's `dueState` has this shape). */
export interface DueState {
  overdue: boolean
  byMs: number
  remainingMs: number
}
export type DueStateFn = (deadline: Date, now: Date) => DueState

/** SLA state of a case at `now`: which deadline applies, overdue or not, and by how much. */
export interface CaseDue {
  respondBy?: Date
  resolveBy?: Date
  /** Not yet responded and past respondBy. */
  responseOverdue: boolean
  /** Not yet resolved and past resolveBy. */
  overdue: boolean
  /** Milliseconds past resolveBy (0 when not overdue or already resolved in time). */
  overdueByMs: number
  /** Milliseconds left until resolveBy (0 when overdue or done). */
  remainingMs: number
  /** Resolved after resolveBy (for closed/resolved cases). */
  resolvedLate: boolean
}

export interface CaseSummary {
  id: string
  number: string
  status: CaseStatus
  statusLabel: string
  channel: string
  category: string
  urgency: string
  level?: string
  isRequest: boolean
  location: {
    communityId?: string
    gridId?: string
    householdId?: string
    building: string
    unit: string
    room: string
    text: string
  }
  /** Personal numbers masked. */
  description: string
  reporterId?: string
  /** Reported by a proxy (代办) for this household: the proxy is the reporter. */
  proxyFor?: { householdId: string; actedById?: string }
  subscriberCount: number
  assigneeId?: string
  departmentId?: string
  postedDepartmentIds: string[]
  claimDeadline?: Date
  escalationLevel: number
  reopenedCount: number
  /** Times a low rating sent the case back for re-work (不满意重办). */
  reworkCount: number
  due: CaseDue
  respondedAt?: Date
  resolvedAt?: Date
  closedAt?: Date
  rating?: { score: number; comment?: string; at: Date }
  mergedInto?: string
  /** Who must act now (see `ownerOf`); absent only for a finished case or against the rules. */
  owner?: CaseOwner
  createdAt: Date
  updatedAt: Date
}

export interface CaseTimelineView {
  at: Date
  actorId?: string
  actorRole: string
  action: string
  /** The action in Chinese, from TIMELINE_LABELS. */
  actionLabel: string
  note?: string
  attachments?: Array<{ kind: string; ref: string; name: string }>
  from?: string
  to?: string
}

/** The departments a case was offered to (社区下单) and who claimed it, as recorded at the time. */
export interface CaseClaimsView {
  postedAt?: Date
  claimDeadline?: Date
  /** Names are filled in by `CaseService.get` (mutations return ids only). */
  departments: Array<{ id: string; name?: string }>
  claimedBy?: { departmentId: string; departmentName?: string; personId?: string; at: Date }
}

/** A call-back (电话回访) as recorded by staff. */
export interface CaseCallbackView {
  at: Date
  byId?: string
  reached: boolean
  satisfied?: boolean
  note: string
}

export interface CaseView extends CaseSummary {
  attachments: Array<{ kind: string; ref: string; name: string }>
  /** `name` is masked (张*), filled in by `CaseService.get`; never a phone number. */
  subscribers: Array<{ personId?: string; channel: string; at: Date; name?: string }>
  timeline: CaseTimelineView[]
  claims: CaseClaimsView
  callbacks: CaseCallbackView[]
  /** Flagged 需要志愿者: the volunteer need posted from the case. */
  volunteerNeed?: { needId: string; code: string; skill: string; at: Date }
}

const str = (v: unknown): string | undefined => (v == null ? undefined : String(v))

const ownDueState: DueStateFn = (deadline, now) => {
  const diff = now.getTime() - deadline.getTime()
  return diff > 0
    ? { overdue: true, byMs: diff, remainingMs: 0 }
    : { overdue: false, byMs: 0, remainingMs: -diff }
}

/** The SLA state of a case; a finished case is judged at the moment it was resolved. */
export function computeDue(c: CaseDoc, now: Date, dueState: DueStateFn = ownDueState): CaseDue {
  const respondBy = c.deadlines?.respondBy ?? undefined
  const resolveBy = c.deadlines?.resolveBy ?? undefined
  const finished = c.status === 'merged' || c.status === 'rejected'
  const resolvedAt = c.resolvedAt ?? undefined
  const response = respondBy && !c.respondedAt && !finished ? dueState(respondBy, now) : undefined
  const resolution = resolveBy && !finished ? dueState(resolveBy, resolvedAt ?? now) : undefined
  const open = !resolvedAt && !finished
  return {
    respondBy,
    resolveBy,
    responseOverdue: Boolean(response?.overdue && !resolvedAt),
    overdue: Boolean(open && resolution?.overdue),
    overdueByMs: open && resolution?.overdue ? resolution.byMs : 0,
    remainingMs: open && resolution ? resolution.remainingMs : 0,
    resolvedLate: Boolean(resolvedAt && resolution?.overdue),
  }
}

/** A plain summary of a case for lists (no timeline), personal numbers masked. */
export function toCaseSummary(c: CaseDoc, now: Date, dueState?: DueStateFn): CaseSummary {
  const loc: Partial<NonNullable<CaseDoc['location']>> = c.location ?? {}
  return {
    id: String(c._id),
    number: c.number,
    status: c.status,
    statusLabel: STATUS_LABELS[c.status],
    channel: c.channel,
    category: c.category,
    urgency: c.urgency,
    level: c.level ?? undefined,
    isRequest: c.isRequest,
    location: {
      communityId: str(loc.communityId),
      gridId: str(loc.gridId),
      householdId: str(loc.householdId),
      building: loc.building ?? '',
      unit: loc.unit ?? '',
      room: loc.room ?? '',
      text: maskText(loc.text ?? ''),
    },
    description: maskText(c.description),
    reporterId: str(c.reporterId),
    ...(c.proxyFor?.householdId
      ? { proxyFor: { householdId: String(c.proxyFor.householdId), actedById: str(c.actedById) } }
      : {}),
    subscriberCount: c.subscribers.length,
    assigneeId: str(c.assigneeId),
    departmentId: str(c.departmentId),
    postedDepartmentIds: c.postedDepartmentIds.map(String),
    claimDeadline: c.claimDeadline ?? undefined,
    owner: ownerOf(c),
    escalationLevel: c.escalationLevel,
    reopenedCount: c.reopenedCount,
    reworkCount: c.reworkCount ?? 0,
    due: computeDue(c, now, dueState),
    respondedAt: c.respondedAt ?? undefined,
    resolvedAt: c.resolvedAt ?? undefined,
    closedAt: c.closedAt ?? undefined,
    rating: c.rating
      ? { score: c.rating.score, comment: c.rating.comment ?? undefined, at: c.rating.at }
      : undefined,
    mergedInto: c.mergedInto ?? undefined,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }
}

const attachmentView = (a: { kind: string; ref: string; name?: string | null }) => ({
  kind: a.kind,
  ref: a.ref,
  name: a.name ?? '',
})

/** The full view of one case with its timeline (notes masked). */
export function toCaseView(c: CaseDoc, now: Date, dueState?: DueStateFn): CaseView {
  return {
    ...toCaseSummary(c, now, dueState),
    attachments: c.attachments.map(attachmentView),
    subscribers: c.subscribers.map((s) => ({ personId: str(s.personId), channel: s.channel, at: s.at })),
    claims: claimsView(c),
    callbacks: (c.callbacks ?? []).map((b) => ({
      at: b.at,
      byId: str(b.byId),
      reached: b.reached,
      satisfied: b.satisfied ?? undefined,
      note: maskText(b.note),
    })),
    ...(c.volunteerNeed
      ? {
          volunteerNeed: {
            needId: String(c.volunteerNeed.needId),
            code: c.volunteerNeed.code,
            skill: c.volunteerNeed.skill,
            at: c.volunteerNeed.at,
          },
        }
      : {}),
    timeline: c.timeline.map((t) => ({
      at: t.at,
      actorId: str(t.actorId),
      actorRole: t.actorRole,
      action: t.action,
      actionLabel: timelineLabel(t.action),
      note: t.note ? maskText(t.note) : undefined,
      attachments: t.attachments?.map(attachmentView),
      from: t.from ?? undefined,
      to: t.to ?? undefined,
    })),
  }
}

function claimsView(c: CaseDoc): CaseClaimsView {
  const claimed = c.claimedBy
  return {
    postedAt: c.postedAt ?? undefined,
    claimDeadline: c.claimDeadline ?? undefined,
    departments: c.postedDepartmentIds.map((id) => ({ id: String(id) })),
    claimedBy: claimed
      ? { departmentId: String(claimed.departmentId), personId: str(claimed.byId), at: claimed.at }
      : undefined,
  }
}
