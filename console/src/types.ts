import type { Owner } from './labels'

export interface CaseSummary {
  id: string
  number: string
  status: string
  statusLabel: string
  channel: string
  category: string
  urgency: string
  description: string
  location: {
    communityId?: string
    gridId?: string
    building: string
    unit: string
    room: string
    text: string
  }
  due: { overdue: boolean; resolveBy?: string }
  owner?: Owner
  rating?: { score: number; comment?: string; at: string }
  reworkCount: number
  reopenedCount: number
  subscriberCount: number
  createdAt: string
}

export interface TimelineEntry {
  at: string
  actorId?: string
  actorRole: string
  action: string
  actionLabel: string
  note?: string
  from?: string
  /** Whom the step gave the case to: a person's or department's id (comma-separated when posted). */
  to?: string
}

export interface Attachment {
  kind: string
  ref: string
  name: string
}

export interface CaseView extends CaseSummary {
  timeline: Array<TimelineEntry & { attachments?: Attachment[] }>
  attachments: Attachment[]
  reporterId?: string
  assigneeId?: string
  departmentId?: string
  resolvedAt?: string
  closedAt?: string
  /** Masked names (张*), never phone numbers. */
  subscribers: Array<{ personId?: string; name?: string; channel: string; at: string }>
  claims: {
    postedAt?: string
    claimDeadline?: string
    departments: Array<{ id: string; name?: string }>
    claimedBy?: { departmentId: string; departmentName?: string; personId?: string; at: string }
  }
  callbacks: Array<{ at: string; byId?: string; reached: boolean; satisfied?: boolean; note: string }>
  /** Flagged 需要志愿者: the volunteer need posted from the case. */
  volunteerNeed?: { needId: string; code: string; skill: string; at: string }
}

export interface Department {
  id: string
  name: string
  categories: string[]
}

export interface Grid {
  id: string
  code: string
  name: string
  communityId: string
  primaryWorkerId: string | null
  partTimeWorkerIds?: string[]
}

export interface Page<T> {
  items: T[]
  nextCursor?: string
}

export const place = (c: CaseSummary): string =>
  [
    c.location.building && `${c.location.building}号楼`,
    c.location.unit && `${c.location.unit}单元`,
    c.location.room,
  ]
    .filter(Boolean)
    .join('') ||
  // location.text is the report as written (shown as the description), not a place.
  (c.location.gridId ? '未说明楼栋' : '地点不明')

/** The community list's page, with `total` when asked for (`count=true`). */
export interface CountedPage<T> extends Page<T> {
  total?: number
}
/** A grid as the registry page lists it (GET /grids). */
export interface GridSummary extends Grid {
  primaryWorkerName: string | null
  householdCount: number
  buildings: string[]
}

/** A household of a grid (GET /grids/:id/households). */
export interface HouseholdRow {
  id: string
  gridId: string
  address: string
  building: string
  unit: string
  room: string
  partyMemberId: string | null
  partyMemberName: string | null
  residentCount: number
  tags: string[]
}

/** A resident as staff see them: numbers masked (GET /residents?householdId=). */
export interface ResidentRow {
  id: string
  name: string
  roles: string[]
  tags: string[]
  phone?: string
  idNumber?: string
  /** The WeCom userid (staff reached through the WeCom app). */
  wecomUserId?: string
  erased: boolean
}

/** What a registry import did (POST /admin/import). */
export interface ImportCounts {
  created: number
  updated: number
  skipped: number
}

export type ImportKind = 'households' | 'residents' | 'grids' | 'gridWorkers' | 'communities'

export interface ImportSummary extends Partial<Record<ImportKind, ImportCounts>> {
  rows: number
  errors: Array<{ row: number; column?: string; reason: string }>
}

/** A policy document as staff see it (GET /kb/documents). */
export interface KbDocument {
  docId: string
  title: string
  status: string
  statusLabel: string
  answering: boolean
  chunkCount: number
  format?: string
  source?: string
  issuedOn?: string
  date?: string
  effectiveFrom?: string
  expiresOn?: string
  abolishedOn?: string
  reviewBy?: string
}
/** An event 活动 as `/api/v1/events` returns it (times are ISO strings). */
export interface EventView {
  id: string
  communityId: string
  gridIds: string[]
  title: string
  description: string
  place: string
  startsAt: string
  endsAt: string
  capacity: number
  signupDeadline?: string
  /** The public code residents sign up with (报名 <code>). */
  code: string
  /** The code shown at the event to check in: given to those who manage the event only. */
  checkinCode?: string
  remindOffsetsMinutes: number[]
  remindRooms: boolean
  volunteerHours: number
  status: 'scheduled' | 'cancelled'
  revision: number
  cancelReason?: string
  confirmed: number
  waiting: number
}

/** One sign-up on `/api/v1/events/<id>/signups`: name and home, never a phone number. */
export interface SignupEntry {
  personId: string
  name: string
  building: string
  unit: string
  room: string
  status: 'confirmed' | 'waiting'
  position?: number
  channel: string
  signedUpAt: string
  checkedInAt?: string
}

export interface Roster {
  counts: { confirmed: number; waiting: number; checkedIn: number }
  items: SignupEntry[]
}

/** A row of GET /api/v1/console/channels (渠道状态). */
export interface ChannelStatus {
  channel: string
  account?: string
  label: string
  state: 'up' | 'degraded' | 'down' | 'unconfigured'
  detail?: string
  since: string
  lastSelfTest?: { at: string; ok: boolean; detail?: string }
  sentToday: number
  failedToday: number
  waiting: number
}

/** Who a poll or 议事 topic is for (no grids and no households: the whole community). */
export interface Audience {
  communityId: string
  gridIds: string[]
  householdIds: string[]
}

export interface PollView {
  id: string
  code: string
  communityId: string
  audience: Audience
  question: string
  options: string[]
  voteUnit: 'household' | 'person'
  maxChoices: number
  deadline: string
  resultsVisibleTo: 'all' | 'staff' | 'after_close'
  status: 'open' | 'closed'
  closedAt?: string
  createdAt: string
  results?: {
    counts: number[]
    voted: number
    eligible: number
    turnout: number
    grids: Array<{ gridId: string; gridName: string; voted: number; eligible: number; turnout: number }>
  }
}

export interface TopicView {
  id: string
  code: string
  audience: Audience
  title: string
  background: string
  opensAt: string
  closesAt: string
  status: 'open' | 'decided'
  opinions: number
  decision?: { text: string; basis: string; decidedAt: string }
}

/** GET /volunteers: one registered volunteer. */
export interface VolunteerProfile {
  personId: string
  name: string
  gridId?: string
  skills: string[]
  note: string
  availability: { days: number[]; from: string; to: string }
  hours: number
}

/** GET /volunteer-needs: one need with who it was offered to and who took it. */
export interface VolunteerNeed {
  id: string
  code: string
  skill: string
  description: string
  place: string
  building: string
  startsAt: string
  volunteersNeeded: number
  status: string
  caseNumber?: string
  offeredTo: Array<{ personId: string; name: string; at: string }>
  assignments: Array<{
    personId: string
    name?: string
    status: string
    hours?: number
    pointsCredited: number
  }>
  rating?: { score: number; comment?: string; byProxy: boolean }
}

/** GET /households/:id/proxies: a person acting for the household. */
export interface HouseholdProxy {
  id: string
  personId: string
  personName: string
  relation: string
  label: string
  linkedAs: string
  createdAt: string
}
