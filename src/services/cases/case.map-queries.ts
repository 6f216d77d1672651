import { Types } from 'mongoose'
import { CaseModel, type CaseStatus, type CaseUrgency, OPEN_CASE_STATUSES } from '../../models/case.model.js'

/** An open case as the community map needs it: where, what, how urgent, and its deadlines. */
export interface OpenCaseFacts {
  number: string
  building: string
  category: string
  urgency: CaseUrgency
  status: CaseStatus
  createdAt: Date
  deadlines?: { respondBy?: Date | null; resolveBy?: Date | null } | null
  respondedAt?: Date | null
  resolvedAt?: Date | null
  closedAt?: Date | null
}

/**
 * Every open case of a community in one read with equality filters on `location.communityId` and
 * `status` (the `location.communityId` index), projected to the few fields the map draws.
 */
export async function listOpenCasesOfCommunity(communityId: string): Promise<OpenCaseFacts[]> {
  const docs = await CaseModel.find(
    { 'location.communityId': new Types.ObjectId(communityId), status: { $in: [...OPEN_CASE_STATUSES] } },
    {
      number: 1,
      location: 1,
      category: 1,
      urgency: 1,
      status: 1,
      createdAt: 1,
      deadlines: 1,
      respondedAt: 1,
      resolvedAt: 1,
      closedAt: 1,
    },
  )
    .sort({ number: 1 })
    .lean()
  return docs.map((d) => ({
    number: d.number,
    building: d.location?.building ?? '',
    category: d.category,
    urgency: d.urgency ?? 'normal',
    status: d.status,
    createdAt: d.createdAt,
    deadlines: d.deadlines,
    respondedAt: d.respondedAt,
    resolvedAt: d.resolvedAt,
    closedAt: d.closedAt,
  }))
}
