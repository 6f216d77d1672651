import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import {
  ConflictError,
  describeIssues,
  InvalidInputError,
  isDuplicateKeyError,
  NotFoundError,
} from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import {
  NoticeAckModel,
  type NoticeDoc,
  NoticeHouseholdAckModel,
  NoticeModel,
} from '../../models/notice.model.js'
import { OUTBOX_STATUSES, OutboxModel, type OutboxStatus } from '../../models/outbox.model.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { parseEventTime } from '../events/event.time.js'
import { assertCanManage, type StaffActor } from '../events/event.views.js'
import type { Outbox, OutboxInput } from '../outbox/outbox.service.js'
import { type AudienceScope, personsInScope, roomsInScope, type ScopePerson } from './audience.js'
import { type BatchNoticeInput, type BatchNoticeResult, createBatchNotices } from './notice.batch.js'

const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

export const NoticeInput = z.object({
  communityId: ObjectIdString,
  gridIds: z.array(ObjectIdString).max(500).default([]),
  tags: z.array(z.string().trim().min(1).max(20)).max(10).default([]),
  /** Default: tagged notices go to each person, others to the bound groups. */
  channels: z
    .array(z.enum(['rooms', 'persons']))
    .min(1)
    .max(2)
    .optional(),
  title: z.string().trim().min(1, '请填写通知标题').max(60),
  body: z.string().trim().min(1, '请填写通知内容').max(1500),
  requireAck: z.boolean().default(false),
})
export type NoticeInput = z.input<typeof NoticeInput>

export const SendOptions = z.object({
  confirm: z.boolean().optional(),
  at: z.union([z.date(), z.string().min(1).max(40)]).optional(),
})
export type SendOptions = z.input<typeof SendOptions>

export interface NoticeSettings {
  timezone: string
  confirmAboveRooms: number
  confirmAbovePersons: number
  /** Residents with these tags are the vulnerable ones a notice must not miss (独居老人 …). */
  vulnerableTags?: readonly string[]
}

export interface NoticeView {
  id: string
  communityId: string
  gridIds: string[]
  tags: string[]
  toRooms: boolean
  toPersons: boolean
  title: string
  body: string
  requireAck: boolean
  status: NoticeDoc['status']
  scheduledAt?: Date
  sentAt?: Date
  planned: { rooms: number; persons: number }
  /** Sent to many communities at once (街道、城市通知): the same on each community's notice. */
  batchId?: string
}

export interface DeliveryReport {
  noticeId: string
  status: NoticeDoc['status']
  totals: Record<OutboxStatus, number>
  rooms: Array<{ roomId: string; status: OutboxStatus; sentAt?: Date; lastError?: string }>
  persons: Record<OutboxStatus, number>
}

export interface AckPerson {
  personId: string
  name: string
  gridId?: string
  tags: string[]
  at?: Date
  /** 「5号楼2单元301」: tells apart three residents named 王丽娟. */
  address?: string
  /** Acknowledged for the whole household by its proxy (代办确认): who acted. */
  proxyAck?: { actedById: string; actedByName: string }
  /** Who visits or calls when they do not answer: the household's party member, else the grid worker. */
  follower?: { personId: string; name: string; role: 'party_member' | 'grid_worker' }
}

/** Before sending: whom a notice will reach, and the vulnerable residents no message will reach. */
export interface ReachPreview {
  noticeId: string
  rooms: Array<{ roomId: string; topic: string; gridId?: string }>
  persons: number
  /** Residents in scope with a WeChat contact or the mini-program (reachable directly). */
  withWeChat: number
  vulnerable: {
    tags: string[]
    persons: number
    /** Vulnerable residents in scope without WeChat: someone has to tell them in person. */
    withoutWeChat: AckPerson[]
  }
}

/** A household's 收到 given by its proxy. */
export interface HouseholdAck {
  noticeId: string
  title: string
  householdId: string
  proxyFor: { householdId: string; actedById: string }
  at: Date
  recorded: boolean
}

export interface AckReport {
  noticeId: string
  acknowledged: AckPerson[]
  pending: AckPerson[]
}

export interface NoticeService {
  create(input: NoticeInput, actor: StaffActor): Promise<NoticeView>
  /**
   * Sends now, or schedules for `at`. A scope larger than the configured limits needs
   * `confirm: true`; without it a CONFLICT error says how many would receive it.
   */
  send(id: string, options: SendOptions, actor: StaffActor): Promise<NoticeView & { enqueued: number }>
  /** Sends every scheduled notice whose time has come (and finishes interrupted sends); for the job. */
  sendDue(
    now: Date,
    each?: (noticeId: string, fn: () => Promise<number>) => Promise<unknown>,
  ): Promise<number>
  get(id: string): Promise<NoticeView>
  delivery(id: string): Promise<DeliveryReport>
  /** Records a resident's 收到; false when it was recorded before. */
  acknowledge(noticeId: string, personId: string, via?: string): Promise<{ recorded: boolean }>
  /** The bot's "1" reply: acknowledges the latest notice asking for it that reached this resident. */
  acknowledgeLatest(
    personId: string,
    via?: string,
  ): Promise<{ noticeId: string; title: string; recorded: boolean } | undefined>
  /**
   * A proxy's 收到 for a household it is linked to (the caller checks the link): once per household
   * and notice, whoever gives it; `recorded` is false for a repeat. NOT_FOUND when the notice does
   * not reach that household.
   */
  acknowledgeForHousehold(
    noticeId: string,
    householdId: string,
    actedById: string,
    via?: string,
  ): Promise<HouseholdAck>
  /** The latest notice asking for 收到 (past 7 days) that reached the household, acknowledged by its proxy. */
  acknowledgeLatestForHousehold(
    householdId: string,
    actedById: string,
    via?: string,
  ): Promise<HouseholdAck | undefined>
  acks(id: string): Promise<AckReport>
  /** Whom the notice will reach (groups, persons, the vulnerable residents it covers), before sending. */
  reach(id: string): Promise<ReachPreview>
  /**
   * Asks the pending resident's follower (party member, else grid worker) to tell them in person;
   * once per notice and resident (a second click says it was already asked).
   */
  followUp(id: string, personId: string): Promise<{ follower: AckPerson['follower']; queued: boolean }>
  /**
   * One notice for many communities (街道、城市通知), to their bound groups, sent now: one notice per
   * community reached. `requestKey` (the request's Idempotency-Key) makes a retry queue nothing twice.
   */
  sendBatch(input: BatchNoticeInput, actor: StaffActor, requestKey: string): Promise<BatchNoticeResult>
}

function parse<S extends z.ZodType>(schema: S, input: unknown, message: string): z.output<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new InvalidInputError(message, describeIssues(result.error.issues))
  return result.data
}

async function loadNotice(id: string): Promise<NoticeDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('通知')
  const doc = await NoticeModel.findById(id).lean<NoticeDoc>()
  if (!doc) throw new NotFoundError('通知')
  return doc
}

export function scopeOf(n: Pick<NoticeDoc, 'communityId' | 'gridIds' | 'tags'>): AudienceScope {
  return { communityId: String(n.communityId), gridIds: (n.gridIds ?? []).map(String), tags: n.tags ?? [] }
}

function toView(n: NoticeDoc): NoticeView {
  return {
    id: String(n._id),
    communityId: String(n.communityId),
    gridIds: (n.gridIds ?? []).map(String),
    tags: n.tags ?? [],
    toRooms: n.toRooms ?? true,
    toPersons: n.toPersons ?? false,
    title: n.title,
    body: n.body,
    requireAck: n.requireAck ?? false,
    status: n.status,
    ...(n.scheduledAt ? { scheduledAt: n.scheduledAt } : {}),
    ...(n.sentAt ? { sentAt: n.sentAt } : {}),
    planned: { rooms: n.planned?.rooms ?? 0, persons: n.planned?.persons ?? 0 },
    ...(n.batchId ? { batchId: n.batchId } : {}),
  }
}

/**
 * Each person's household address and follower (the household's party member, else the grid's
 * worker): three lookups by `_id`/`$in`, whatever the number of people.
 */
async function placesOf(
  people: Array<{ personId: string; householdId?: string; gridId?: string }>,
): Promise<(p: { householdId?: string; gridId?: string }) => Pick<AckPerson, 'address' | 'follower'>> {
  const householdIds = [...new Set(people.map((p) => p.householdId).filter((h): h is string => !!h))]
  const gridIds = [...new Set(people.map((p) => p.gridId).filter((g): g is string => !!g))]
  const [households, grids] = await Promise.all([
    HouseholdModel.find(
      { _id: { $in: householdIds.map((h) => new Types.ObjectId(h)) } },
      { building: 1, unit: 1, room: 1, partyMemberId: 1 },
    ).lean(),
    GridModel.find(
      { _id: { $in: gridIds.map((g) => new Types.ObjectId(g)) } },
      { primaryWorkerId: 1 },
    ).lean(),
  ])
  const byHousehold = new Map(households.map((h) => [String(h._id), h]))
  const workerOf = new Map(
    grids.map((g) => [String(g._id), g.primaryWorkerId ? String(g.primaryWorkerId) : undefined]),
  )
  const followerIds = [
    ...new Set(
      [
        ...households.map((h) => (h.partyMemberId ? String(h.partyMemberId) : undefined)),
        ...workerOf.values(),
      ].filter((x): x is string => !!x),
    ),
  ]
  const names = new Map(
    (
      await ResidentModel.find(
        { _id: { $in: followerIds.map((f) => new Types.ObjectId(f)) } },
        { name: 1 },
      ).lean()
    ).map((r) => [String(r._id), r.name]),
  )
  return (p) => {
    const h = byHousehold.get(p.householdId ?? '')
    const address = h ? `${h.building}号楼${h.unit ? `${h.unit}单元` : ''}${h.room}` : undefined
    const party = h?.partyMemberId ? String(h.partyMemberId) : undefined
    const worker = workerOf.get(p.gridId ?? '')
    const followerId = party ?? worker
    const follower = followerId
      ? {
          personId: followerId,
          name: names.get(followerId) ?? '',
          role: party ? ('party_member' as const) : ('grid_worker' as const),
        }
      : undefined
    return { ...(address ? { address } : {}), ...(follower ? { follower } : {}) }
  }
}

/** How long a notice's 收到 question stays open. */
const ACK_WINDOW_MS = 7 * 24 * 3600_000

export function noticeText(n: Pick<NoticeDoc, 'title' | 'body' | 'requireAck'>): string {
  return `【社区通知】${n.title}\n${n.body}${n.requireAck ? '\n收到请回复1。' : ''}`
}

const emptyCounts = () =>
  Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>

/** Does the notice reach a person or household of its community (its grids, its tags)? */
function reaches(n: NoticeDoc, p: { gridId?: Types.ObjectId | null; tags: string[] }): boolean {
  const grids = n.gridIds ?? []
  const tags = n.tags ?? []
  return (
    (grids.length === 0 || grids.some((g) => String(g) === String(p.gridId))) &&
    (tags.length === 0 || tags.some((t) => p.tags.includes(t)))
  )
}

/** The notice's household acknowledgements by proxies: household id → when and who acted. */
async function householdAcksOf(
  noticeId: Types.ObjectId,
): Promise<Map<string, { at: Date; by: { actedById: string; actedByName: string } }>> {
  const rows = await NoticeHouseholdAckModel.find({ noticeId }).lean()
  if (rows.length === 0) return new Map()
  const names = new Map(
    (await ResidentModel.find({ _id: { $in: rows.map((r) => r.actedById) } }, { name: 1 }).lean()).map(
      (r) => [String(r._id), r.name],
    ),
  )
  return new Map(
    rows.map((r) => [
      String(r.householdId),
      { at: r.at, by: { actedById: String(r.actedById), actedByName: names.get(String(r.actedById)) ?? '' } },
    ]),
  )
}

/** A notice's outbox messages: one per group and per person it reaches, keyed by the notice. */
function messagesFor(
  n: Pick<NoticeDoc, '_id' | 'title' | 'body' | 'requireAck'>,
  rooms: { roomId: string }[],
  persons: ScopePerson[],
): OutboxInput[] {
  const text = noticeText(n)
  const refs = { noticeId: String(n._id) }
  // A notice that asks for 收到 records that question for every group and person it reaches.
  const expects = n.requireAck
    ? { expects: { kind: 'ack' as const, noticeId: String(n._id), ttlMs: ACK_WINDOW_MS } }
    : {}
  const to = [
    ...rooms.map((r) => ({ type: 'room' as const, id: r.roomId })),
    ...persons.map((p) => ({ type: 'person' as const, id: p.personId })),
  ]
  return to.map((t) => ({
    key: `notice:${n._id}:${t.type}:${t.id}`,
    to: t,
    text,
    kind: 'notice',
    refs,
    ...expects,
  }))
}

/** Notices 通知: written by staff, planned into outbox messages per group and person, acknowledged. */
export function createNoticeService(deps: {
  clock: Clock
  outbox: Outbox
  settings: NoticeSettings
}): NoticeService {
  async function audience(n: NoticeDoc) {
    const scope = scopeOf(n)
    const rooms = n.toRooms ? await roomsInScope(scope) : []
    const persons = n.toPersons ? await personsInScope(scope) : []
    return { rooms, persons }
  }

  const NOTICE_LOCK = { ttlMs: 60_000, waitMs: 30_000 }

  /**
   * Enqueues a notice loaded under its lock: marks it `sending` (with `set`, what a send-now also
   * records), queues its messages in one bulk insert, marks it `sent`. Safe to repeat (outbox keys):
   * the job finishes a send interrupted after `sending`. Returns the stored state and the count.
   */
  async function enqueueLocked(
    n: NoticeDoc,
    planned: Awaited<ReturnType<typeof audience>> | undefined,
    set: Partial<NoticeDoc> = {},
  ): Promise<{ doc: NoticeDoc; enqueued: number }> {
    const sending = { ...set, status: 'sending' as const, updatedAt: deps.clock.now() }
    await NoticeModel.updateOne({ _id: n._id }, { $set: sending })
    // A send-now reuses the audience it was just confirmed with; a scheduled one plans afresh.
    const { rooms, persons } = planned ?? (await audience(n))
    const enqueued = await deps.outbox.enqueueMany(messagesFor(n, rooms, persons))
    const now = deps.clock.now()
    const sent = {
      status: 'sent' as const,
      sentAt: now,
      updatedAt: now,
      planned: { rooms: rooms.length, persons: persons.length },
    }
    await NoticeModel.updateOne({ _id: n._id }, { $set: sent })
    return { doc: { ...n, ...sending, ...sent } as NoticeDoc, enqueued }
  }

  /** Plans and enqueues one notice due (or interrupted) for the job; 0 when already sent or withdrawn. */
  async function deliver(id: string): Promise<number> {
    return withLock(
      `notice:${id}`,
      async () => {
        const n = await loadNotice(id)
        if (n.status === 'sent' || n.status === 'cancelled' || n.status === 'draft') return 0
        return (await enqueueLocked(n, undefined)).enqueued
      },
      NOTICE_LOCK,
    )
  }

  async function create(raw: NoticeInput, actor: StaffActor): Promise<NoticeView> {
    const input = parse(NoticeInput, raw, '通知内容不完整或格式不正确')
    assertCanManage(actor, input.communityId, input.gridIds)
    const channels = input.channels ?? (input.tags.length > 0 ? ['persons'] : ['rooms'])
    const now = deps.clock.now()
    const doc = await NoticeModel.create({
      ...input,
      gridIds: input.gridIds.map((g) => new Types.ObjectId(g)),
      toRooms: channels.includes('rooms'),
      toPersons: channels.includes('persons'),
      createdBy: new Types.ObjectId(actor.personId),
      createdAt: now,
      updatedAt: now,
    })
    return toView(doc.toObject() as NoticeDoc)
  }

  /**
   * Checks, plans and (now, or at `at`) sends, all under the notice's lock: a second send at the same
   * moment finds it sent. Sending now costs the lock, one read, the audience, two writes of the
   * notice and one bulk insert of its messages, however many groups it reaches.
   */
  async function send(id: string, raw: SendOptions, actor: StaffActor) {
    const options = parse(SendOptions, raw ?? {}, '发送参数不正确')
    if (!Types.ObjectId.isValid(id)) throw new NotFoundError('通知')
    const at = readAt(options.at)
    return withLock(
      `notice:${id}`,
      async () => {
        const n = await loadNotice(id)
        assertCanManage(actor, String(n.communityId), (n.gridIds ?? []).map(String))
        if (n.status === 'sent' || n.status === 'sending') throw new ConflictError('这条通知已经发送过了')
        if (n.status === 'cancelled') throw new ConflictError('这条通知已撤销')
        const planned = await audience(n)
        const { rooms, persons } = planned
        if (rooms.length === 0 && persons.length === 0)
          throw new ConflictError('该范围内没有已绑定的群或居民，通知无法送达')
        const large =
          rooms.length > deps.settings.confirmAboveRooms || persons.length > deps.settings.confirmAbovePersons
        if (large && !options.confirm) {
          throw new ConflictError(
            `本通知将发送到 ${rooms.length} 个群、${persons.length} 位居民，范围较大，请确认后再发送`,
            { rooms: rooms.length, persons: persons.length, needsConfirmation: true },
          )
        }
        const now = deps.clock.now()
        if (at && at > now) {
          const set = { status: 'scheduled' as const, scheduledAt: at, confirmedLarge: large, updatedAt: now }
          await NoticeModel.updateOne({ _id: n._id }, { $set: set })
          return { ...toView({ ...n, ...set } as NoticeDoc), enqueued: 0 }
        }
        const { doc, enqueued } = await enqueueLocked(n, planned, { scheduledAt: now, confirmedLarge: large })
        return { ...toView(doc), enqueued }
      },
      NOTICE_LOCK,
    )
  }

  function readAt(at: Date | string | undefined): Date | undefined {
    if (at === undefined) return undefined
    const d = at instanceof Date ? at : parseEventTime(at, deps.settings.timezone)
    if (!d || Number.isNaN(d.getTime()))
      throw new InvalidInputError('定时发送时间格式不正确，请写成 2026-12-01 09:30')
    return d
  }

  async function sendDue(
    now: Date,
    each?: (noticeId: string, fn: () => Promise<number>) => Promise<unknown>,
  ) {
    const due = await NoticeModel.find(
      { $or: [{ status: 'scheduled', scheduledAt: { $lte: now } }, { status: 'sending' }] },
      { _id: 1 },
    ).lean()
    for (const n of due) {
      const id = String(n._id)
      if (each) await each(id, () => deliver(id))
      else await deliver(id)
    }
    return due.length
  }

  async function delivery(id: string): Promise<DeliveryReport> {
    const n = await loadNotice(id)
    const msgs = await OutboxModel.find(
      { 'refs.noticeId': String(n._id) },
      { to: 1, status: 1, sentAt: 1, lastError: 1 },
    )
      .sort({ _id: 1 })
      .lean()
    const totals = emptyCounts()
    const persons = emptyCounts()
    const rooms: DeliveryReport['rooms'] = []
    for (const m of msgs) {
      totals[m.status] += 1
      if (m.to?.type === 'room') {
        rooms.push({
          roomId: m.to.id,
          status: m.status,
          ...(m.sentAt ? { sentAt: m.sentAt } : {}),
          ...(m.lastError ? { lastError: m.lastError } : {}),
        })
      } else persons[m.status] += 1
    }
    return { noticeId: id, status: n.status, totals, rooms, persons }
  }

  async function acknowledge(noticeId: string, personId: string, via = 'chat') {
    const n = await loadNotice(noticeId)
    if (!Types.ObjectId.isValid(personId)) throw new NotFoundError('居民')
    if (!n.requireAck) throw new ConflictError('这条通知不需要回复确认')
    try {
      await NoticeAckModel.create({
        noticeId: n._id,
        personId: new Types.ObjectId(personId),
        at: deps.clock.now(),
        via,
      })
      return { recorded: true }
    } catch (err) {
      if (isDuplicateKeyError(err)) return { recorded: false }
      throw err
    }
  }

  async function acknowledgeLatest(personId: string, via = 'chat') {
    if (!Types.ObjectId.isValid(personId)) return undefined
    const p = await ResidentModel.findById(personId, { communityId: 1, gridId: 1, tags: 1 }).lean()
    if (!p?.communityId) return undefined
    const target = (await recentAckNotices(p.communityId)).find((n) =>
      reaches(n, { gridId: p.gridId, tags: p.tags ?? [] }),
    )
    if (!target) return undefined
    const { recorded } = await acknowledge(String(target._id), personId, via)
    return { noticeId: String(target._id), title: target.title, recorded }
  }

  /** Sent notices of the community asking for 收到 in the past 7 days, newest first. */
  async function recentAckNotices(communityId: Types.ObjectId): Promise<NoticeDoc[]> {
    const since = new Date(deps.clock.now().getTime() - ACK_WINDOW_MS)
    return NoticeModel.find({ communityId, requireAck: true, status: 'sent', sentAt: { $gte: since } })
      .sort({ sentAt: -1 })
      .lean<NoticeDoc[]>()
  }

  /** The household, its grid and the tags its living residents carry (a tagged notice reaches it by them). */
  async function householdReach(householdId: string) {
    if (!Types.ObjectId.isValid(householdId)) throw new NotFoundError('住户')
    const hh = await HouseholdModel.findById(householdId, { communityId: 1, gridId: 1 }).lean()
    if (!hh) throw new NotFoundError('住户')
    const members = await ResidentModel.find({ householdId: hh._id, erasedAt: null }, { tags: 1 }).lean()
    return { hh, gridId: hh.gridId, tags: members.flatMap((m) => m.tags ?? []) }
  }

  async function recordHouseholdAck(
    n: NoticeDoc,
    householdId: Types.ObjectId,
    actedById: string,
    via: string,
  ): Promise<HouseholdAck> {
    if (!n.requireAck) throw new ConflictError('这条通知不需要回复确认')
    const base = { noticeId: String(n._id), title: n.title, householdId: String(householdId) }
    try {
      const doc = await NoticeHouseholdAckModel.create({
        noticeId: n._id,
        householdId,
        actedById: new Types.ObjectId(actedById),
        at: deps.clock.now(),
        via,
      })
      return { ...base, proxyFor: { householdId: base.householdId, actedById }, at: doc.at, recorded: true }
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      const first = await NoticeHouseholdAckModel.findOne({ noticeId: n._id, householdId }).lean()
      if (!first) throw err
      const by = String(first.actedById)
      return {
        ...base,
        proxyFor: { householdId: base.householdId, actedById: by },
        at: first.at,
        recorded: false,
      }
    }
  }

  async function acknowledgeForHousehold(
    noticeId: string,
    householdId: string,
    actedById: string,
    via = 'api',
  ) {
    const n = await loadNotice(noticeId)
    const place = await householdReach(householdId)
    if (!place.hh.communityId.equals(n.communityId) || !reaches(n, place))
      throw new NotFoundError('发给这户的这条通知')
    return recordHouseholdAck(n, place.hh._id, actedById, via)
  }

  async function acknowledgeLatestForHousehold(householdId: string, actedById: string, via = 'chat') {
    const place = await householdReach(householdId)
    const target = (await recentAckNotices(place.hh.communityId)).find((n) => reaches(n, place))
    return target ? recordHouseholdAck(target, place.hh._id, actedById, via) : undefined
  }

  async function acks(id: string): Promise<AckReport> {
    const n = await loadNotice(id)
    const [people, rows, byHousehold] = await Promise.all([
      personsInScope(scopeOf(n)),
      NoticeAckModel.find({ noticeId: n._id }).lean(),
      householdAcksOf(n._id),
    ])
    const ackedAt = new Map(rows.map((r) => [String(r.personId), r.at]))
    const places = await placesOf(people)
    const view = (p: ScopePerson): AckPerson => ({
      personId: p.personId,
      name: p.name,
      gridId: p.gridId,
      tags: p.tags,
      ...places(p),
    })
    const acked = (p: ScopePerson): AckPerson | undefined => {
      const own = ackedAt.get(p.personId)
      if (own) return { ...view(p), at: own }
      const proxy = byHousehold.get(p.householdId ?? '')
      return proxy ? { ...view(p), at: proxy.at, proxyAck: proxy.by } : undefined
    }
    const acknowledged: AckPerson[] = []
    const pending: AckPerson[] = []
    for (const p of people) {
      const a = acked(p)
      if (a) acknowledged.push(a)
      else pending.push(view(p))
    }
    return { noticeId: id, acknowledged, pending }
  }

  async function reach(id: string): Promise<ReachPreview> {
    const n = await loadNotice(id)
    const scope = scopeOf(n)
    const [rooms, people] = await Promise.all([roomsInScope(scope), personsInScope(scope)])
    const tags = [...(deps.settings.vulnerableTags ?? [])]
    const contacts = await ResidentModel.find(
      { _id: { $in: people.map((p) => new Types.ObjectId(p.personId)) } },
      { wechat: 1 },
    ).lean()
    const onWeChat = new Set(
      contacts.filter((c) => c.wechat?.contactId || c.wechat?.openid).map((c) => String(c._id)),
    )
    const vulnerable = people.filter((p) => p.tags.some((t) => tags.includes(t)))
    const unreached = vulnerable.filter((p) => !onWeChat.has(p.personId))
    const places = await placesOf(unreached)
    return {
      noticeId: id,
      rooms: n.toRooms === false ? [] : rooms,
      persons: people.length,
      withWeChat: people.filter((p) => onWeChat.has(p.personId)).length,
      vulnerable: {
        tags,
        persons: vulnerable.length,
        withoutWeChat: unreached.map((p) => ({
          personId: p.personId,
          name: p.name,
          tags: p.tags,
          ...(p.gridId ? { gridId: p.gridId } : {}),
          ...places(p),
        })),
      },
    }
  }

  async function followUp(id: string, personId: string) {
    const n = await loadNotice(id)
    const report = await acks(id)
    const pending = report.pending.find((p) => p.personId === personId)
    if (!pending) {
      const done = report.acknowledged.some((p) => p.personId === personId)
      throw done
        ? new ConflictError('这位居民已经确认收到，不用再跟进')
        : new NotFoundError('这条通知范围内的这位居民')
    }
    const follower = pending.follower
    if (!follower) throw new ConflictError('这户没有联系的党员，网格也没有网格员，请直接电话联系')
    const queued = await deps.outbox.enqueue({
      key: `notice:${id}:follow-up:${personId}`,
      to: { type: 'person', id: follower.personId },
      text: `【走访提醒】通知《${n.title}》，${pending.address ? `${pending.address} ` : ''}${pending.name} 还没有确认收到，请您上门或电话告知，谢谢！`,
      kind: 'task',
      refs: { noticeId: id },
    })
    return { follower, queued }
  }

  return {
    create,
    send,
    sendDue,
    get: async (id) => toView(await loadNotice(id)),
    delivery,
    acknowledge,
    acknowledgeLatest,
    acknowledgeForHousehold,
    acknowledgeLatestForHousehold,
    acks,
    reach,
    followUp,
    sendBatch: createBatchNotices({
      ...deps,
      messagesFor: (n, rooms) => messagesFor(n, rooms, []),
    }),
  }
}
