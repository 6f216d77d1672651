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
  actorRole: string
  action: string
  actionLabel: string
  note?: string
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
  c.location.text ||
  '地点不明'
