import type {
  NeedStatus,
  VolunteerAssignmentDoc,
  VolunteerNeedDoc,
  VolunteerProfileDoc,
} from '../../models/volunteer.model.js'

export interface ProfileView {
  personId: string
  name: string
  communityId?: string
  gridId?: string
  skills: string[]
  note: string
  availability: { days: number[]; from: string; to: string }
  active: boolean
  /** Hours served on finished needs. */
  hours: number
}

export interface AssignmentView {
  needId: string
  code: string
  personId: string
  name?: string
  slot: number
  status: 'accepted' | 'checked_in' | 'done'
  acceptedAt: Date
  checkedInAt?: Date
  doneAt?: Date
  hours?: number
  pointsCredited: number
}

export interface NeedView {
  id: string
  code: string
  communityId: string
  gridId?: string
  householdId?: string
  building: string
  requesterId?: string
  skill: string
  description: string
  place: string
  startsAt: Date
  volunteersNeeded: number
  status: NeedStatus
  caseNumber?: string
  offeredTo: Array<{ personId: string; name: string; at: Date }>
  assignments: AssignmentView[]
  rating?: { score: number; comment?: string; byProxy: boolean; at: Date }
  createdAt: Date
}

export function toProfileView(d: VolunteerProfileDoc, names: Map<string, string>, hours = 0): ProfileView {
  return {
    personId: String(d.personId),
    name: names.get(String(d.personId)) ?? '',
    ...(d.communityId ? { communityId: String(d.communityId) } : {}),
    ...(d.gridId ? { gridId: String(d.gridId) } : {}),
    skills: d.skills ?? [],
    note: d.note ?? '',
    availability: {
      days: d.availability?.days ?? [],
      from: d.availability?.from ?? '08:00',
      to: d.availability?.to ?? '20:00',
    },
    active: d.active ?? true,
    hours,
  }
}

export function toAssignmentView(
  a: VolunteerAssignmentDoc,
  need: Pick<VolunteerNeedDoc, 'code'>,
  names?: Map<string, string>,
): AssignmentView {
  return {
    needId: String(a.needId),
    code: need.code,
    personId: String(a.personId),
    ...(names ? { name: names.get(String(a.personId)) ?? '' } : {}),
    slot: a.slot,
    status: a.status ?? 'accepted',
    acceptedAt: a.acceptedAt,
    ...(a.checkedInAt ? { checkedInAt: a.checkedInAt } : {}),
    ...(a.doneAt ? { doneAt: a.doneAt } : {}),
    ...(a.hours ? { hours: a.hours } : {}),
    pointsCredited: a.pointsCredited ?? 0,
  }
}

export function toNeedView(
  d: VolunteerNeedDoc,
  assignments: VolunteerAssignmentDoc[],
  names: Map<string, string>,
): NeedView {
  return {
    id: String(d._id),
    code: d.code,
    communityId: String(d.communityId),
    ...(d.gridId ? { gridId: String(d.gridId) } : {}),
    ...(d.householdId ? { householdId: String(d.householdId) } : {}),
    building: d.building ?? '',
    ...(d.requesterId ? { requesterId: String(d.requesterId) } : {}),
    skill: d.skill,
    description: d.description,
    place: d.place ?? '',
    startsAt: d.startsAt,
    volunteersNeeded: d.volunteersNeeded ?? 1,
    status: d.status ?? 'open',
    ...(d.caseNumber ? { caseNumber: d.caseNumber } : {}),
    offeredTo: (d.offeredTo ?? []).map((o) => ({
      personId: String(o.personId),
      name: names.get(String(o.personId)) ?? '',
      at: o.at as Date,
    })),
    assignments: assignments.sort((a, b) => a.slot - b.slot).map((a) => toAssignmentView(a, d, names)),
    ...(d.rating
      ? {
          rating: {
            score: d.rating.score,
            ...(d.rating.comment ? { comment: d.rating.comment } : {}),
            byProxy: Boolean(d.rating.proxyForHouseholdId),
            at: d.rating.at,
          },
        }
      : {}),
    createdAt: d.createdAt,
  }
}
