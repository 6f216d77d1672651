import { randomInt } from 'node:crypto'
import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import {
  ConflictError,
  describeIssues,
  ForbiddenError,
  InvalidInputError,
  isDuplicateKeyError,
  NotFoundError,
} from '../../lib/errors.js'
import type { LngLat } from '../../lib/geo.js'
import { maskText } from '../../lib/mask.js'
import { claimKey, dropKey } from '../../lib/storage/index.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import {
  type VolunteerAssignmentDoc,
  VolunteerAssignmentModel,
  type VolunteerNeedDoc,
  VolunteerNeedModel,
  type VolunteerProfileDoc,
  VolunteerProfileModel,
} from '../../models/volunteer.model.js'
import type { CaseForNeed } from '../cases/case.volunteer.js'
import { parseEventTime } from '../events/event.time.js'
import { canManage, type StaffActor } from '../events/event.views.js'
import type { Outbox } from '../outbox/outbox.service.js'
import type { PointsService } from '../points/points.service.js'
import type { ProxyService } from '../proxies/proxy.service.js'
import { type Candidate, isAvailable, rankCandidates } from './volunteer.match.js'
import { say } from './volunteer.texts.js'
import {
  type AssignmentView,
  type NeedView,
  type ProfileView,
  toAssignmentView,
  toNeedView,
  toProfileView,
} from './volunteer.views.js'

const ObjectIdString = z.string({ error: '编号要是文字' }).regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
const Hhmm = z
  .string({ error: '时间要写成 08:00 这样' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间要写成 08:00 这样')

export interface VolunteerSettings {
  timezone: string
  /** The skills volunteers register and needs ask for. */
  skills: readonly string[]
  /** How many matching volunteers each need is offered to. */
  offerTo: number
}

export function profileInput(skills: readonly string[]) {
  return z
    .object({
      skills: z
        .array(z.enum(skills as [string, ...string[]], { error: `技能请从这些里选：${skills.join('、')}` }), {
          error: '技能要是列表',
        })
        .min(1, `请至少选一项技能：${skills.join('、')}`)
        .max(skills.length),
      note: z.string({ error: '备注要是文字' }).trim().max(200, '备注最多 200 字').default(''),
      availability: z
        .object({
          days: z
            .array(z.number().int().min(1, '星期要写 1–7').max(7, '星期要写 1–7'), {
              error: '可服务的日子要是 1–7 的列表',
            })
            .min(1, '请至少选一天')
            .max(7),
          from: Hhmm,
          to: Hhmm,
        })
        .strict()
        .refine((a) => a.from < a.to, '结束时间要晚于开始时间')
        .optional(),
    })
    .strict()
}

export function needInput(skills: readonly string[]) {
  return z
    .object({
      communityId: ObjectIdString,
      skill: z.enum(skills as [string, ...string[]], { error: `技能请从这些里选：${skills.join('、')}` }),
      description: z
        .string({ error: '请填写需要帮什么忙' })
        .trim()
        .min(2, '请简单写一下需要帮什么忙')
        .max(300, '说明最多 300 字'),
      startsAt: z.union([z.date(), z.string().min(1).max(40)], {
        error: '时间格式不正确，请写成 2026-12-01 09:30',
      }),
      place: z.string({ error: '地点要是文字' }).trim().max(100, '地点最多 100 字').default(''),
      householdId: ObjectIdString.optional(),
      requesterId: ObjectIdString.optional(),
      volunteersNeeded: z
        .number({ error: '人数要填数字' })
        .int('人数要是整数')
        .min(1, '至少 1 人')
        .max(10, '最多 10 人')
        .default(1),
      caseNumber: z.string().trim().max(20).optional(),
    })
    .strict()
}

function parse<T>(schema: z.ZodType<T>, input: unknown, fallback: string): T {
  const r = schema.safeParse(input)
  if (r.success) return r.data
  throw new InvalidInputError(r.error.issues[0]?.message ?? fallback, describeIssues(r.error.issues))
}

function oid(id: string, what: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError(what)
  return new Types.ObjectId(id)
}

const CODE_ALPHABET = '23456789'
const newCode = () =>
  `V${Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('')}`

export interface VolunteerServiceDeps {
  clock: Clock
  outbox: Outbox
  settings: VolunteerSettings
  points?: Pick<PointsService, 'credit'>
  proxies: Pick<ProxyService, 'assertProxy'>
  /** A need posted from a case reports its outcome to the case's timeline (taken, done, cancelled). */
  onCaseNeed?: (n: { caseNumber: string; code: string }, note: string) => Promise<void>
}

/** The case a need is posted from (需要志愿者): the caller has checked the actor may flag it. */
export type NeedCase = CaseForNeed

/** What staff add when flagging a case: the skill and time; the description defaults to the case's words. */
export const CaseNeedInput = z
  .object({
    skill: z.string({ error: '请选择需要的技能' }).trim().min(1, '请选择需要的技能').max(20),
    startsAt: z.string({ error: '请填写时间，例如 2026-12-01 09:30' }).min(1).max(40),
    description: z.string({ error: '说明要是文字' }).trim().max(300, '说明最多 300 字').optional(),
    place: z.string({ error: '地点要是文字' }).trim().max(100, '地点最多 100 字').optional(),
  })
  .strict()
export type CaseNeedInput = z.input<typeof CaseNeedInput>

export type VolunteerService = ReturnType<typeof createVolunteerService>

/**
 * Volunteers matched to needs (志愿服务): profiles, needs offered to the best-matching volunteers,
 * accept (a unique insert decides), check-in, done with hours (points once), and the requester's
 * (or their proxy's) rating.
 */
export function createVolunteerService(deps: VolunteerServiceDeps) {
  const { clock, outbox, settings } = deps
  const ProfileInput = profileInput(settings.skills)
  const NeedInput = needInput(settings.skills)

  async function loadNeed(idOrCode: string): Promise<VolunteerNeedDoc> {
    const query = Types.ObjectId.isValid(idOrCode)
      ? { _id: new Types.ObjectId(idOrCode) }
      : { code: idOrCode.toUpperCase() }
    const doc = await VolunteerNeedModel.findOne(query).lean<VolunteerNeedDoc>()
    if (!doc) throw new NotFoundError('志愿需求')
    return doc
  }

  /** Creates a need (a fresh code, retried on a clash) and offers it to the matching volunteers. */
  async function createNeed(
    input: z.output<typeof NeedInput>,
    actorId: string,
    fromCase?: { _id: Types.ObjectId; caseId: string },
  ): Promise<VolunteerNeedDoc> {
    const startsAt =
      input.startsAt instanceof Date ? input.startsAt : parseEventTime(input.startsAt, settings.timezone)
    if (!startsAt || Number.isNaN(startsAt.getTime()))
      throw new InvalidInputError('时间格式不正确，请写成 2026-12-01 09:30')
    const communityId = new Types.ObjectId(input.communityId)
    const hh = input.householdId ? await HouseholdModel.findById(input.householdId).lean() : undefined
    if (input.householdId && !hh?.communityId.equals(communityId))
      throw new InvalidInputError('所选住户不属于该社区')
    const at = clock.now()
    const fields = {
      ...(fromCase ? { _id: fromCase._id, caseId: new Types.ObjectId(fromCase.caseId) } : {}),
      communityId,
      gridId: hh?.gridId,
      householdId: hh?._id,
      building: hh?.building ?? '',
      requesterId: input.requesterId ? new Types.ObjectId(input.requesterId) : undefined,
      skill: input.skill,
      description: maskText(input.description),
      place: maskText(input.place),
      startsAt,
      volunteersNeeded: input.volunteersNeeded,
      caseNumber: input.caseNumber,
      createdById: new Types.ObjectId(actorId),
      createdAt: at,
      updatedAt: at,
    }
    let doc: VolunteerNeedDoc | undefined
    for (let i = 0; !doc && i < 5; i++) {
      try {
        doc = (await VolunteerNeedModel.create({ ...fields, code: newCode() })).toObject() as VolunteerNeedDoc
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
      }
    }
    if (!doc) throw new ConflictError('暂时无法生成需求编号，请再试一次')
    await service.offer(doc)
    return loadNeed(String(doc._id))
  }

  /** The need another request is creating right now (it claimed the case first). */
  async function awaitNeed(id: string): Promise<VolunteerNeedDoc> {
    for (let i = 0; i < 50; i++) {
      const doc = await VolunteerNeedModel.findById(id).lean<VolunteerNeedDoc>()
      if (doc) return doc
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new ConflictError('这个工单的志愿需求正在发布，请稍后刷新')
  }

  /** Tells the case a need came from what became of it. */
  async function toCase(need: VolunteerNeedDoc, note: string): Promise<void> {
    if (need.caseNumber && need.caseId && deps.onCaseNeed)
      await deps.onCaseNeed({ caseNumber: need.caseNumber, code: need.code }, note)
  }

  async function needView(doc: VolunteerNeedDoc): Promise<NeedView> {
    const assignments = await VolunteerAssignmentModel.find({ needId: doc._id }).lean<
      VolunteerAssignmentDoc[]
    >()
    const names = await namesOf([
      ...assignments.map((a) => a.personId),
      ...doc.offeredTo.map((o) => o.personId),
    ])
    return toNeedView(doc, assignments, names)
  }

  async function namesOf(ids: Array<Types.ObjectId | null | undefined>): Promise<Map<string, string>> {
    const list = ids.filter((i): i is Types.ObjectId => Boolean(i))
    if (list.length === 0) return new Map()
    const people = await ResidentModel.find({ _id: { $in: list } }, { name: 1 }).lean()
    return new Map(people.map((p) => [String(p._id), p.name]))
  }

  /** Building points of a community's grids: `<gridId>|<building>` → point. */
  async function buildingPoints(communityId: Types.ObjectId): Promise<Map<string, LngLat>> {
    const grids = await GridModel.find({ communityId }, { buildingPlaces: 1 }).lean()
    const points = new Map<string, LngLat>()
    for (const g of grids)
      for (const p of g.buildingPlaces ?? [])
        if (typeof p.lng === 'number' && typeof p.lat === 'number')
          points.set(`${String(g._id)}|${p.building}`, { lng: p.lng, lat: p.lat })
    return points
  }

  async function assignmentOf(need: VolunteerNeedDoc, personId: string): Promise<VolunteerAssignmentDoc> {
    const a = await VolunteerAssignmentModel.findOne({
      needId: need._id,
      personId: oid(personId, '志愿者'),
    }).lean<VolunteerAssignmentDoc>()
    if (!a) throw new ForbiddenError('您没有接这个需求')
    return a
  }

  const service = {
    skills: settings.skills,

    async register(personId: string, raw: unknown, options: { channel?: string } = {}): Promise<ProfileView> {
      const input = parse(ProfileInput, raw, '志愿者信息不正确')
      const person = await ResidentModel.findById(oid(personId, '居民'), { communityId: 1, gridId: 1 }).lean()
      if (!person) throw new NotFoundError('居民')
      const at = clock.now()
      const set = {
        skills: [...new Set(input.skills)],
        note: maskText(input.note),
        ...(input.availability ? { availability: input.availability } : {}),
        communityId: person.communityId,
        gridId: person.gridId,
        active: true,
        updatedAt: at,
      }
      const existing = await VolunteerProfileModel.findOne({ personId: person._id }).lean()
      if (existing) await VolunteerProfileModel.updateOne({ _id: existing._id }, { $set: set })
      else
        await VolunteerProfileModel.create({
          ...set,
          personId: person._id,
          channel: options.channel ?? 'api',
          createdAt: at,
        }).catch(async (err: unknown) => {
          if (!isDuplicateKeyError(err)) throw err
          await VolunteerProfileModel.updateOne({ personId: person._id }, { $set: set })
        })
      return (await service.profileOf(personId)) as ProfileView
    },

    async profileOf(personId: string): Promise<ProfileView | undefined> {
      if (!Types.ObjectId.isValid(personId)) return undefined
      const doc = await VolunteerProfileModel.findOne({
        personId: new Types.ObjectId(personId),
      }).lean<VolunteerProfileDoc>()
      if (!doc) return undefined
      const hours = await VolunteerAssignmentModel.find(
        { personId: doc.personId, status: 'done' },
        { hours: 1 },
      ).lean()
      const names = await namesOf([doc.personId])
      return toProfileView(
        doc,
        names,
        hours.reduce((s, a) => s + (a.hours ?? 0), 0),
      )
    },

    async listVolunteers(communityId: string, actor: StaffActor): Promise<ProfileView[]> {
      if (!canManage(actor, communityId, [])) throw new ForbiddenError('只能查看本社区的志愿者')
      const docs = await VolunteerProfileModel.find({ communityId: oid(communityId, '社区'), active: true })
        .sort({ createdAt: 1 })
        .limit(500)
        .lean<VolunteerProfileDoc[]>()
      const names = await namesOf(docs.map((d) => d.personId))
      const done = await VolunteerAssignmentModel.find(
        { personId: { $in: docs.map((d) => d.personId) }, status: 'done' },
        { personId: 1, hours: 1 },
      ).lean()
      const hours = new Map<string, number>()
      for (const a of done)
        hours.set(String(a.personId), (hours.get(String(a.personId)) ?? 0) + (a.hours ?? 0))
      return docs.map((d) => toProfileView(d, names, hours.get(String(d.personId)) ?? 0))
    },

    /** Posts a need and offers it to the best-matching volunteers. */
    async postNeed(raw: unknown, actor: StaffActor): Promise<NeedView> {
      const input = parse(NeedInput, raw, '志愿需求信息不正确')
      if (!canManage(actor, input.communityId, []))
        throw new ForbiddenError('只有本社区的工作人员可以发布志愿需求')
      return needView(await createNeed(input, actor.personId))
    },

    /**
     * 需要志愿者: the one need of a case (keyed by the case: a repeat or a race returns the first),
     * offered to matching volunteers through the outbox; `created` is false for a repeat.
     */
    async postNeedForCase(
      c: NeedCase,
      raw: unknown,
      actorId: string,
    ): Promise<NeedView & { created: boolean }> {
      const extra = parse(CaseNeedInput, raw, '志愿需求信息不正确')
      const input = parse(
        NeedInput,
        {
          communityId: c.communityId,
          skill: extra.skill,
          startsAt: extra.startsAt,
          description: extra.description || `工单 ${c.number}：${c.text}`.slice(0, 300),
          ...(extra.place ? { place: extra.place } : {}),
          ...(c.householdId ? { householdId: c.householdId } : {}),
          ...(c.reporterId ? { requesterId: c.reporterId } : {}),
          caseNumber: c.number,
        },
        '志愿需求信息不正确',
      )
      const id = new Types.ObjectId()
      const claim = await claimKey('volunteer-case', c.caseId, String(id), clock.now())
      if (!claim.claimed) return { ...(await needView(await awaitNeed(claim.ref))), created: false }
      try {
        return {
          ...(await needView(await createNeed(input, actorId, { _id: id, caseId: c.caseId }))),
          created: true,
        }
      } catch (err) {
        await dropKey('volunteer-case', c.caseId)
        throw err
      }
    },

    /** The volunteers who fit: skill, free at that time, same grid first, then nearest. */
    async matches(
      needIdOrDoc: string | VolunteerNeedDoc,
      limit = 20,
    ): Promise<Array<ProfileView & { sameGrid: boolean }>> {
      const need = typeof needIdOrDoc === 'string' ? await loadNeed(needIdOrDoc) : needIdOrDoc
      const profiles = await VolunteerProfileModel.find({
        communityId: need.communityId,
        skills: need.skill,
        active: true,
      })
        .limit(500)
        .lean<VolunteerProfileDoc[]>()
      const free = profiles.filter(
        (p) =>
          isAvailable(p.availability as never, need.startsAt, settings.timezone) &&
          !p.personId.equals(need.requesterId ?? ''),
      )
      const homes = await ResidentModel.find(
        { _id: { $in: free.map((p) => p.personId) } },
        { householdId: 1 },
      ).lean()
      const households = await HouseholdModel.find(
        { _id: { $in: homes.map((h) => h.householdId).filter(Boolean) } },
        { gridId: 1, building: 1 },
      ).lean()
      const points = await buildingPoints(need.communityId)
      const homeOf = new Map(homes.map((h) => [String(h._id), String(h.householdId ?? '')]))
      const placeOf = new Map(
        households.map((h) => [String(h._id), points.get(`${String(h.gridId)}|${h.building}`)]),
      )
      const candidates: Array<Candidate & { doc: VolunteerProfileDoc }> = free.map((p) => ({
        personId: String(p.personId),
        gridId: p.gridId ? String(p.gridId) : undefined,
        point: placeOf.get(homeOf.get(String(p.personId)) ?? ''),
        doc: p,
      }))
      const needGrid = need.gridId ? String(need.gridId) : undefined
      const ranked = rankCandidates(candidates, {
        gridId: needGrid,
        point: need.gridId ? points.get(`${String(need.gridId)}|${need.building}`) : undefined,
      }).slice(0, limit)
      const names = await namesOf(ranked.map((c) => c.doc.personId))
      return ranked.map((c) => ({
        ...toProfileView(c.doc, names),
        sameGrid: needGrid !== undefined && c.gridId === needGrid,
      }))
    },

    /** Queues the need to the top matches not offered yet (outbox key per need and person: once). */
    async offer(need: VolunteerNeedDoc): Promise<number> {
      const offered = new Set(need.offeredTo.map((o) => String(o.personId)))
      const picks = (await service.matches(need, settings.offerTo + offered.size))
        .filter((m) => !offered.has(m.personId))
        .slice(0, settings.offerTo)
      if (picks.length === 0) return 0
      const at = clock.now()
      for (const m of picks)
        await outbox.enqueue({
          key: `volunteer-offer:${String(need._id)}:${m.personId}`,
          to: { type: 'person', id: m.personId },
          text: say.offer(need, settings.timezone),
          kind: 'volunteer_offer',
        })
      await VolunteerNeedModel.updateOne(
        { _id: need._id },
        {
          $push: {
            offeredTo: { $each: picks.map((m) => ({ personId: new Types.ObjectId(m.personId), at })) },
          },
        },
      )
      return picks.length
    },

    async getNeed(idOrCode: string): Promise<NeedView> {
      return needView(await loadNeed(idOrCode))
    },

    async listNeeds(
      communityId: string,
      actor: StaffActor,
      options: { limit?: number } = {},
    ): Promise<NeedView[]> {
      if (!canManage(actor, communityId, [])) throw new ForbiddenError('只能查看本社区的志愿需求')
      const docs = await VolunteerNeedModel.find({ communityId: oid(communityId, '社区') })
        .sort({ createdAt: -1 })
        .limit(options.limit ?? 50)
        .lean<VolunteerNeedDoc[]>()
      return Promise.all(docs.map((d) => needView(d)))
    },

    /** The open needs offered to this person (for 「志愿需求」 in chat). */
    async offersFor(personId: string): Promise<NeedView[]> {
      const docs = await VolunteerNeedModel.find({
        'offeredTo.personId': oid(personId, '志愿者'),
        status: 'open',
      })
        .sort({ startsAt: 1 })
        .limit(10)
        .lean<VolunteerNeedDoc[]>()
      return Promise.all(docs.map((d) => needView(d)))
    },

    /**
     * Accepts a need: the insert of (need, slot) decides, so of many volunteers accepting at once only
     * as many as the need asks for succeed; the others are told it is taken.
     */
    async accept(
      idOrCode: string,
      personId: string,
      options: { channel?: string } = {},
    ): Promise<AssignmentView & { already: boolean }> {
      const need = await loadNeed(idOrCode)
      const person = oid(personId, '志愿者')
      const profile = await VolunteerProfileModel.findOne({ personId: person, active: true }).lean()
      if (!profile) throw new ForbiddenError('请先登记成为志愿者，再来接需求')
      if (!profile.communityId?.equals(need.communityId)) throw new ForbiddenError('只能接本社区的志愿需求')
      const mine = await VolunteerAssignmentModel.findOne({
        needId: need._id,
        personId: person,
      }).lean<VolunteerAssignmentDoc>()
      if (mine) return { ...toAssignmentView(mine, need), already: true }
      if (need.status === 'cancelled' || need.status === 'done') throw new ConflictError('这个需求已经结束了')
      const at = clock.now()
      for (let slot = 1; slot <= (need.volunteersNeeded ?? 1); slot++) {
        try {
          const doc = await VolunteerAssignmentModel.create({
            needId: need._id,
            slot,
            personId: person,
            acceptedAt: at,
            channel: options.channel ?? 'api',
          })
          const taken = await VolunteerAssignmentModel.countDocuments({ needId: need._id })
          if (taken >= (need.volunteersNeeded ?? 1))
            await VolunteerNeedModel.updateOne(
              { _id: need._id, status: 'open' },
              { $set: { status: 'filled', updatedAt: at } },
            )
          await toCase(need, `志愿者已接单（志愿需求 ${need.code}）`)
          if (need.requesterId)
            await outbox.enqueue({
              key: `volunteer-accepted:${String(need._id)}:${slot}`,
              to: { type: 'person', id: String(need.requesterId) },
              text: say.accepted(need, settings.timezone),
              kind: 'volunteer_update',
            })
          return { ...toAssignmentView(doc.toObject() as VolunteerAssignmentDoc, need), already: false }
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err
          const again = await VolunteerAssignmentModel.findOne({
            needId: need._id,
            personId: person,
          }).lean<VolunteerAssignmentDoc>()
          if (again) return { ...toAssignmentView(again, need), already: true }
        }
      }
      throw new ConflictError('这个需求已经有志愿者接了，谢谢您的热心')
    },

    async checkIn(idOrCode: string, personId: string): Promise<AssignmentView> {
      const need = await loadNeed(idOrCode)
      const a = await assignmentOf(need, personId)
      if (a.status === 'accepted')
        await VolunteerAssignmentModel.updateOne(
          { _id: a._id, status: 'accepted' },
          { $set: { status: 'checked_in', checkedInAt: clock.now() } },
        )
      return toAssignmentView(
        (await VolunteerAssignmentModel.findById(a._id).lean<VolunteerAssignmentDoc>()) ?? a,
        need,
      )
    },

    /** Done with hours: points for the hours once (ledger refKey per need and volunteer). */
    async complete(
      idOrCode: string,
      personId: string,
      hours: number,
    ): Promise<AssignmentView & { pointsCredited: number }> {
      if (!(hours > 0 && hours <= 24)) throw new InvalidInputError('服务时长要在 0 到 24 小时之间')
      const need = await loadNeed(idOrCode)
      const a = await assignmentOf(need, personId)
      const at = clock.now()
      if (a.status !== 'done')
        await VolunteerAssignmentModel.updateOne(
          { _id: a._id },
          { $set: { status: 'done', doneAt: at, hours, ...(a.checkedInAt ? {} : { checkedInAt: at }) } },
        )
      const credit = await deps.points?.credit({
        personId,
        reason: 'volunteer_hours',
        refKey: `volunteer:${String(need._id)}:${personId}`,
        units: a.hours ?? hours,
      })
      const credited = credit && !credit.duplicate ? credit.credited : 0
      if (credited > 0)
        await VolunteerAssignmentModel.updateOne({ _id: a._id }, { $set: { pointsCredited: credited } })
      const left = await VolunteerAssignmentModel.countDocuments({
        needId: need._id,
        status: { $ne: 'done' },
      })
      if (left === 0) {
        const res = await VolunteerNeedModel.updateOne(
          { _id: need._id, status: { $ne: 'done' } },
          { $set: { status: 'done', updatedAt: at } },
        )
        if (res.modifiedCount === 1) await toCase(need, `志愿服务已完成（志愿需求 ${need.code}）`)
        if (need.requesterId)
          await outbox.enqueue({
            key: `volunteer-done:${String(need._id)}`,
            to: { type: 'person', id: String(need.requesterId) },
            text: say.askRating(need),
            kind: 'volunteer_update',
          })
      }
      const after = (await VolunteerAssignmentModel.findById(a._id).lean<VolunteerAssignmentDoc>()) ?? a
      return { ...toAssignmentView(after, need), pointsCredited: credited }
    },

    /** The requester, or a proxy of the need's household, rates the help 1–5 (once). */
    async rate(idOrCode: string, personId: string, score: number, comment = ''): Promise<NeedView> {
      if (!Number.isInteger(score) || score < 1 || score > 5)
        throw new InvalidInputError('评分请打 1 到 5 分')
      const need = await loadNeed(idOrCode)
      const isRequester = need.requesterId && String(need.requesterId) === personId
      let proxyFor: Types.ObjectId | undefined
      if (!isRequester) {
        if (!need.householdId) throw new ForbiddenError('只有求助的居民或他的代办人可以评价')
        await deps.proxies.assertProxy(personId, String(need.householdId))
        proxyFor = need.householdId
      }
      if (need.status !== 'done') throw new ConflictError('志愿服务完成后才能评价')
      if (need.rating) throw new ConflictError('这次服务已经评价过了，谢谢')
      const res = await VolunteerNeedModel.updateOne(
        { _id: need._id, rating: { $exists: false } },
        {
          $set: {
            rating: {
              score,
              comment: maskText(comment).slice(0, 200),
              byId: new Types.ObjectId(personId),
              proxyForHouseholdId: proxyFor,
              at: clock.now(),
            },
            updatedAt: clock.now(),
          },
        },
      )
      if (res.modifiedCount === 0) throw new ConflictError('这次服务已经评价过了，谢谢')
      return needView(await loadNeed(String(need._id)))
    },

    async cancelNeed(id: string, actor: StaffActor): Promise<NeedView> {
      const need = await loadNeed(id)
      if (!canManage(actor, String(need.communityId), []))
        throw new ForbiddenError('只能管理本社区的志愿需求')
      if (need.status === 'done') throw new ConflictError('已完成的需求不能取消')
      const res = await VolunteerNeedModel.updateOne(
        { _id: need._id, status: { $ne: 'cancelled' } },
        { $set: { status: 'cancelled', updatedAt: clock.now() } },
      )
      if (res.modifiedCount === 1) await toCase(need, `志愿需求 ${need.code} 已取消`)
      return needView(await loadNeed(id))
    },
  }
  return service
}
