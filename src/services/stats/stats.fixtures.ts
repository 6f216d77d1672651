import { randomUUID } from 'node:crypto'
import { Types } from 'mongoose'
import type { CaseStatus } from '../../models/case.model.js'
import { CaseModel } from '../../models/case.model.js'
import { CommunityModel, GridModel, ResidentModel } from '../../models/registry.model.js'

const HOUR = 3_600_000

/** What a statistics test says about a case; everything else gets a plain default. */
export interface CaseSpec {
  communityId: Types.ObjectId
  gridId?: Types.ObjectId
  assigneeId?: Types.ObjectId
  departmentId?: Types.ObjectId
  category?: string
  urgency?: 'urgent' | 'normal'
  status?: CaseStatus
  createdAt: Date
  /** Hours after createdAt; default 2 h / 48 h. */
  respondWithinH?: number
  resolveWithinH?: number
  /** Hours after createdAt; omitted: not yet. */
  respondedAfterH?: number
  resolvedAfterH?: number
  rating?: number
  ratedAt?: Date
  /** Times a low rating sent the case back (不满意重办). */
  reworkCount?: number
  /** Default 1. */
  building?: string
}

let serial = 0

/** Inserts a case directly (no routing, no notices) with the deadlines and times a test needs. */
export async function insertCase(spec: CaseSpec): Promise<Types.ObjectId> {
  const at = (h: number | undefined) =>
    h === undefined ? undefined : new Date(spec.createdAt.getTime() + h * HOUR)
  serial++
  const resolvedAt = at(spec.resolvedAfterH)
  const doc = await CaseModel.create({
    number: `TEST-${String(serial).padStart(5, '0')}-${randomUUID().slice(0, 6)}`,
    sourceKey: `test:${randomUUID()}`,
    channel: 'cli',
    category: spec.category ?? 'facility_repair',
    urgency: spec.urgency ?? 'normal',
    location: { communityId: spec.communityId, gridId: spec.gridId, building: spec.building ?? '1' },
    description: '楼道灯坏了',
    status: spec.status ?? (resolvedAt ? 'resolved' : 'assigned'),
    assigneeId: spec.assigneeId,
    departmentId: spec.departmentId,
    deadlines: { respondBy: at(spec.respondWithinH ?? 2), resolveBy: at(spec.resolveWithinH ?? 48) },
    respondedAt: at(spec.respondedAfterH),
    resolvedAt,
    rating:
      spec.rating === undefined
        ? undefined
        : { score: spec.rating, at: spec.ratedAt ?? resolvedAt ?? spec.createdAt },
    reworkCount: spec.reworkCount ?? 0,
    createdAt: spec.createdAt,
    updatedAt: spec.createdAt,
  })
  return doc._id
}

/** A community with two grids, each with its grid worker. */
export async function insertCommunity(code = 'KH') {
  const community = await CommunityModel.create({ code, name: '康和社区' })
  const workerA = await ResidentModel.create({ name: '王网格', roles: ['grid_worker'], token: randomUUID() })
  const workerB = await ResidentModel.create({ name: '李网格', roles: ['grid_worker'], token: randomUUID() })
  const gridA = await GridModel.create({
    code: `${code}-01`,
    name: '一网格',
    communityId: community._id,
    primaryWorkerId: workerA._id,
    token: randomUUID(),
  })
  const gridB = await GridModel.create({
    code: `${code}-02`,
    name: '二网格',
    communityId: community._id,
    primaryWorkerId: workerB._id,
    token: randomUUID(),
  })
  return {
    communityId: community._id,
    gridA: gridA._id,
    gridB: gridB._id,
    workerA: workerA._id,
    workerB: workerB._id,
    otherCommunityId: new Types.ObjectId(),
  }
}
