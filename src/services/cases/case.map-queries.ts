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
 * Every open case of a community: one read per open status, each two top-level equalities
 * (`communityId`, `status`: the index `communityId, status, _id`), projected to the few fields the map
 * draws, merged by case number.
 */
export async function listOpenCasesOfCommunity(communityId: string): Promise<OpenCaseFacts[]> {
  const community = new Types.ObjectId(communityId)
  const lists = await Promise.all(OPEN_CASE_STATUSES.map((status) => openCasesIn(community, status)))
  const docs = lists.flat().sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0))
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

function openCasesIn(communityId: Types.ObjectId, status: CaseStatus) {
  return CaseModel.find(
    { communityId, status },
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
    .lean()
    .exec()
}
