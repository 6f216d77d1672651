import { createHash } from 'node:crypto'
import { Types } from 'mongoose'
import pMap from 'p-map'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { ConflictError, describeIssues, ForbiddenError, InvalidInputError } from '../../lib/errors.js'
import { NoticeModel } from '../../models/notice.model.js'
import { CommunityModel } from '../../models/registry.model.js'
import type { StaffActor } from '../events/event.views.js'
import type { Outbox, OutboxInput } from '../outbox/outbox.service.js'
import { roomsInScope, type ScopeRoom } from './audience.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

/**
 * One notice for many communities (街道、城市通知: a water cut across a district): to the bound groups
 * of each. Without `communityIds`, every community the sender serves (a city admin: the whole city).
 */
export const BatchNoticeInput = z
  .object({
    communityIds: z.array(ObjectIdString).min(1, '请至少选择一个社区').max(500).optional(),
    title: z.string().trim().min(1, '请填写通知标题').max(60),
    body: z.string().trim().min(1, '请填写通知内容').max(1500),
    requireAck: z.boolean().default(false),
    confirm: z.boolean().optional(),
    /** Only say whom it would reach (the console's preview): nothing is written or sent. */
    dryRun: z.boolean().optional(),
  })
  .strict()
export type BatchNoticeInput = z.input<typeof BatchNoticeInput>

export interface BatchNoticeResult {
  batchId: string
  /** One notice per community reached (its own delivery and 收到 reports). */
  notices: Array<{ id: string; communityId: string; communityName: string; rooms: number }>
  rooms: number
  enqueued: number
  /** Communities in scope without a bound group: nothing was sent there. */
  skipped: Array<{ communityId: string; communityName: string }>
  /** The same request (same sender and Idempotency-Key) was sent before: nothing new was queued. */
  replayed: boolean
  /** A preview: the notices it would write (with the ids they will have), nothing sent. */
  dryRun?: boolean
}

/** How many communities' groups are read at once while planning. */
const READS_AT_ONCE = 8

/** A notice's `_id`, the same for the same batch and community: a retried request writes nothing new. */
function noticeIdOf(batchId: string, communityId: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(`${batchId}|${communityId}`).digest().subarray(0, 12))
}

/** May the actor send to this community: a city admin anywhere, street and community staff where they serve. */
export function serves(actor: StaffActor, communityId: string): boolean {
  if (actor.roles.includes('admin') && actor.communityIds.length === 0) return true
  const staff = actor.roles.some((r) => r === 'admin' || r === 'street_staff' || r === 'community_staff')
  return staff && actor.communityIds.includes(communityId)
}

/**
 * A notice for many communities, planned and queued at once: one notice per community (each keeps
 * its own delivery and 收到 reports and shows in that community's list), written together with one
 * insert, their group messages queued with one bulk insert. Each community's groups are one indexed
 * read. Retrying with the same key is safe: the notices' ids come from the batch id, and the outbox
 * keys from the notices, so a retry (or a crash halfway, which the notice job finishes: the notices
 * are stored as `sending`) queues nothing twice.
 */
export function createBatchNotices(deps: {
  clock: Clock
  outbox: Outbox
  settings: { confirmAboveRooms: number }
  messagesFor: (
    n: { _id: Types.ObjectId; title: string; body: string; requireAck: boolean },
    rooms: ScopeRoom[],
  ) => OutboxInput[]
}) {
  async function communitiesOf(actor: StaffActor, ids: string[] | undefined) {
    const cityWide = actor.roles.includes('admin') && actor.communityIds.length === 0
    const wanted = ids ?? actor.communityIds
    if (wanted.length === 0 && !cityWide) throw new ForbiddenError('您的账号没有负责的社区，无法发送通知')
    const denied = wanted.filter((c) => !serves(actor, c))
    if (denied.length > 0)
      throw new ForbiddenError('只能向您负责的社区发送通知', { communityIds: denied.slice(0, 20) })
    // A city admin's notice without a list goes to the whole city (163 communities in Ordos' centre).
    const docs =
      wanted.length === 0
        ? await CommunityModel.find({}, { name: 1 }).sort({ _id: 1 }).lean()
        : await CommunityModel.find(
            { _id: { $in: [...new Set(wanted)].map((c) => new Types.ObjectId(c)) } },
            { name: 1 },
          )
            .sort({ _id: 1 })
            .lean()
    if (wanted.length > 0 && docs.length < new Set(wanted).size)
      throw new InvalidInputError('有的社区不存在，请检查所选社区')
    return docs.map((d) => ({ id: String(d._id), name: d.name }))
  }

  /** Each community's groups: one indexed read a community, a few at a time. */
  function roomsOf(communities: Array<{ id: string }>): Promise<ScopeRoom[][]> {
    return pMap(communities, (c) => roomsInScope({ communityId: c.id }), { concurrency: READS_AT_ONCE })
  }

  return async function sendBatch(
    raw: BatchNoticeInput,
    actor: StaffActor,
    requestKey: string,
  ): Promise<BatchNoticeResult> {
    const parsed = BatchNoticeInput.safeParse(raw)
    if (!parsed.success)
      throw new InvalidInputError('通知内容不完整或格式不正确', describeIssues(parsed.error.issues))
    const input = parsed.data
    const communities = await communitiesOf(actor, input.communityIds)
    const rooms = await roomsOf(communities)
    const total = rooms.reduce((n, r) => n + r.length, 0)
    if (total === 0) throw new ConflictError('所选社区都没有已绑定的群，通知无法送达')
    if (total > deps.settings.confirmAboveRooms && !input.confirm && !input.dryRun)
      throw new ConflictError(
        `本通知将发送到 ${communities.length} 个社区的 ${total} 个群，范围较大，请确认后再发送`,
        { communities: communities.length, rooms: total, persons: 0, needsConfirmation: true },
      )

    const batchId = createHash('sha256').update(`${actor.personId}|${requestKey}`).digest('hex').slice(0, 24)
    const now = deps.clock.now()
    const reached = communities.flatMap((c, i) => {
      const list = rooms[i] ?? []
      return list.length > 0 ? [{ community: c, rooms: list, _id: noticeIdOf(batchId, c.id) }] : []
    })
    const docs = reached.map((r) => ({
      _id: r._id,
      batchId,
      communityId: new Types.ObjectId(r.community.id),
      gridIds: [],
      tags: [],
      toRooms: true,
      toPersons: false,
      title: input.title,
      body: input.body,
      requireAck: input.requireAck,
      // Stored as being sent: should this process stop before the end, the notice job finishes it.
      status: 'sending' as const,
      scheduledAt: now,
      confirmedLarge: total > deps.settings.confirmAboveRooms,
      planned: { rooms: r.rooms.length, persons: 0 },
      createdBy: new Types.ObjectId(actor.personId),
      createdAt: now,
      updatedAt: now,
    }))
    const outcome = (enqueued: number, replayed: boolean): BatchNoticeResult => ({
      batchId,
      notices: reached.map((r) => ({
        id: String(r._id),
        communityId: r.community.id,
        communityName: r.community.name,
        rooms: r.rooms.length,
      })),
      rooms: total,
      enqueued,
      skipped: communities
        .filter((_, i) => (rooms[i] ?? []).length === 0)
        .map((c) => ({ communityId: c.id, communityName: c.name })),
      replayed,
      ...(input.dryRun ? { dryRun: true } : {}),
    })
    if (input.dryRun) return outcome(0, false)
    const inserted = await insertNew(docs)
    const enqueued = await deps.outbox.enqueueMany(
      reached.flatMap((r) =>
        deps.messagesFor(
          { _id: r._id, title: input.title, body: input.body, requireAck: input.requireAck },
          r.rooms,
        ),
      ),
    )
    const sentAt = deps.clock.now()
    await NoticeModel.updateMany(
      { batchId, status: 'sending' },
      { $set: { status: 'sent', sentAt, updatedAt: sentAt } },
    )
    return outcome(enqueued, inserted === 0 && enqueued === 0)
  }
}

/** Inserts the notices not stored yet (a retried batch finds them all): how many were new. */
async function insertNew(docs: Record<string, unknown>[]): Promise<number> {
  try {
    return (await NoticeModel.insertMany(docs, { ordered: false, rawResult: true })).insertedCount
  } catch (err) {
    const e = err as { insertedDocs?: unknown[]; writeErrors?: Array<{ code?: number }> }
    const refused = Array.isArray(e.writeErrors) ? e.writeErrors : []
    if (refused.length === 0 || !refused.every((w) => w.code === 11000)) throw err
    return docs.length - refused.length
  }
}
