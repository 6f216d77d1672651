import { ForbiddenError } from '../../lib/errors.js'
import type { EventDoc, EventSignupDoc, SignupStatus } from '../../models/event.model.js'
import type { Actor } from '../auth/auth.service.js'

/** The caller as the events and notices services see it. */
export type StaffActor = Pick<Actor, 'personId' | 'roles' | 'communityIds' | 'gridIds'>

export interface EventView {
  id: string
  communityId: string
  gridIds: string[]
  title: string
  description: string
  place: string
  startsAt: Date
  endsAt: Date
  capacity: number
  signupDeadline?: Date
  /** The public code residents sign up with (报名 <code>). */
  code: string
  /** The code shown only at the event, sent to check in; routes hide it from residents. */
  checkinCode: string
  remindOffsetsMinutes: number[]
  remindRooms: boolean
  volunteerHours: number
  status: EventDoc['status']
  revision: number
  cancelReason?: string
  confirmed: number
  waiting: number
}

export interface SignupView {
  eventId: string
  personId: string
  status: SignupStatus
  signedUpAt: Date
  /** 1-based place on the waiting list. */
  position?: number
  checkedInAt?: Date
}

export function toEventView(doc: EventDoc, counts: { confirmed: number; waiting: number }): EventView {
  return {
    id: String(doc._id),
    communityId: String(doc.communityId),
    gridIds: (doc.gridIds ?? []).map(String),
    title: doc.title,
    description: doc.description ?? '',
    place: doc.place,
    startsAt: doc.startsAt,
    endsAt: doc.endsAt,
    capacity: doc.capacity ?? 0,
    ...(doc.signupDeadline ? { signupDeadline: doc.signupDeadline } : {}),
    code: doc.code,
    checkinCode: doc.checkinCode,
    remindOffsetsMinutes: doc.remindOffsetsMinutes ?? [],
    remindRooms: doc.remindRooms ?? true,
    volunteerHours: doc.volunteerHours ?? 0,
    status: doc.status,
    revision: doc.revision ?? 0,
    ...(doc.cancelReason ? { cancelReason: doc.cancelReason } : {}),
    ...counts,
  }
}

export function toSignupView(doc: EventSignupDoc, position?: number): SignupView {
  return {
    eventId: String(doc.eventId),
    personId: String(doc.personId),
    status: doc.status,
    signedUpAt: doc.signedUpAt,
    ...(position ? { position } : {}),
    ...(doc.checkedInAt ? { checkedInAt: doc.checkedInAt } : {}),
  }
}

/** City-wide admin, or community staff/admin of the community, or a grid worker for all named grids. */
export function canManage(actor: StaffActor, communityId: string, gridIds: string[]): boolean {
  if (actor.roles.includes('admin') && actor.communityIds.length === 0) return true
  const staff = actor.roles.some((r) => r === 'community_staff' || r === 'admin')
  if (staff && actor.communityIds.includes(communityId)) return true
  return (
    actor.roles.includes('grid_worker') &&
    gridIds.length > 0 &&
    gridIds.every((g) => actor.gridIds.includes(g))
  )
}

export function assertCanManage(actor: StaffActor, communityId: string, gridIds: string[]): void {
  if (!canManage(actor, communityId, gridIds))
    throw new ForbiddenError('只有本社区的工作人员可以管理活动和通知')
}
