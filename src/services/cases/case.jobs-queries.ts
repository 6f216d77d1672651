import { type CaseDoc, CaseModel, type CaseUrgency, OPEN_CASE_STATUSES } from '../../models/case.model.js'

/** What the SLA watch reads of an open case. */
export type SlaCase = Pick<
  CaseDoc,
  | '_id'
  | 'number'
  | 'status'
  | 'urgency'
  | 'createdAt'
  | 'deadlines'
  | 'respondedAt'
  | 'assigneeId'
  | 'departmentId'
  | 'location'
  | 'description'
  | 'claimDeadline'
  | 'postedDepartmentIds'
>

/** An open case as a grid worker's morning digest lists it. */
export interface DigestCase {
  number: string
  description: string
  deadlines?: { resolveBy?: Date | null } | null
}

/** A resolved, unrated case due for its 回访, and where to send it. */
export interface FollowUpCase {
  id: string
  number: string
  /** The reporter as a person, else as a bare WeChat contact; neither when unknown. */
  to?: { type: 'person' | 'contact'; id: string }
  /** Resolutions before this one (reopenings + re-works): 0 for the first, so each one gets its 回访. */
  round: number
}

/** Every open case of one urgency, with the fields the SLA watch needs. */
export async function listOpenCasesForSla(urgency: CaseUrgency): Promise<SlaCase[]> {
  return CaseModel.find({ status: { $in: [...OPEN_CASE_STATUSES] }, urgency })
    .select(
      'number status urgency createdAt deadlines respondedAt assigneeId departmentId location description claimDeadline postedDepartmentIds',
    )
    .lean<SlaCase[]>()
}

/** A person's open cases, the soonest resolution deadline first (morning digest). */
export async function listOpenCasesOfAssignee(personId: string): Promise<DigestCase[]> {
  return CaseModel.find({ assigneeId: personId, status: { $in: [...OPEN_CASE_STATUSES] } })
    .select('number description deadlines')
    .sort({ 'deadlines.resolveBy': 1 })
    .lean<DigestCase[]>()
}

/**
 * Resolved cases whose resolution falls in [from, to] (the 回访 window) and is not rated yet. A case
 * sent back for re-work keeps its earlier low rating, so "not rated" means no rating since resolvedAt.
 */
export async function listFollowUpDue(from: Date, to: Date): Promise<FollowUpCase[]> {
  const docs = await CaseModel.find({ status: 'resolved', resolvedAt: { $lte: to, $gte: from } })
    .select('number reporterId reporter resolvedAt rating.at reopenedCount reworkCount')
    .lean()
  return docs
    .filter((c) => !c.rating?.at || (c.resolvedAt && c.rating.at.getTime() < c.resolvedAt.getTime()))
    .map((c) => ({
      id: String(c._id),
      number: c.number,
      round: (c.reopenedCount ?? 0) + (c.reworkCount ?? 0),
      to: c.reporterId
        ? { type: 'person' as const, id: String(c.reporterId) }
        : c.reporter?.contactId
          ? { type: 'contact' as const, id: c.reporter.contactId }
          : undefined,
    }))
}
