import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.js'
import { maskText } from '../../lib/mask.js'
import { withLock } from '../../lib/storage/index.js'
import { type DeliberationDoc, DeliberationModel, OpinionModel } from '../../models/poll.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import type { StaffActor } from '../events/event.views.js'
import type { Outbox } from '../outbox/outbox.service.js'
import {
  type Audience,
  AudienceInput,
  announcement,
  audienceOf,
  canManageAudience,
  checkAudience,
  createWithCode,
  formatTime,
  gridNames,
  isMember,
  loadMember,
  maskName,
  parseInput,
  readFutureTime,
  staffListFilter,
  toStoredAudience,
} from './poll-audience.js'

export const DeliberationInput = z
  .object({
    audience: AudienceInput,
    title: z.string().trim().min(1, '请填写议事主题').max(100),
    background: z.string().trim().max(1500).default(''),
    /** End of the opinion window: `2026-12-10 18:00` (local time). */
    closesAt: z.string().trim().min(1, '请填写征求意见截止时间').max(40),
  })
  .strict()
export type DeliberationInput = z.input<typeof DeliberationInput>

export const OpinionInput = z.object({ text: z.string().trim().min(1, '请写下您的意见').max(500) }).strict()
export type OpinionInput = z.input<typeof OpinionInput>

export const DecisionInput = z
  .object({
    text: z.string().trim().min(1, '请填写议事决定').max(1000),
    basis: z.string().trim().min(1, '请写明决定的依据（如居民议事会表决、投票结果）').max(300),
    pollId: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, '投票编号格式不正确')
      .optional(),
  })
  .strict()
export type DecisionInput = z.input<typeof DecisionInput>

export interface DeliberationView {
  id: string
  code: string
  communityId: string
  audience: Audience
  title: string
  background: string
  opensAt: Date
  closesAt: Date
  status: 'open' | 'decided'
  opinions: number
  decision?: { text: string; basis: string; pollId?: string; decidedAt: Date }
}

export interface OpinionView {
  id: string
  /** Full name for staff, 「张*」 for other residents. */
  name: string
  gridName?: string
  text: string
  at: Date
}

export interface DeliberationService {
  create(input: DeliberationInput, actor: StaffActor): Promise<DeliberationView & { announced: number }>
  list(actor: StaffActor, filter?: { communityId?: string }): Promise<DeliberationView[]>
  get(id: string): Promise<DeliberationView>
  /** The topic for staff who manage it or a resident in its audience. */
  viewFor(id: string, actor: StaffActor): Promise<DeliberationView & { staffView: boolean }>
  /** Opinions: named for staff, masked names for residents in the audience. */
  opinions(id: string, actor: StaffActor): Promise<OpinionView[]>
  addOpinion(
    id: string,
    personId: string,
    input: OpinionInput,
    via?: string,
  ): Promise<{ topic: DeliberationView }>
  /** Records the decision (once), closes the topic and announces it to the audience. */
  decide(
    id: string,
    input: DecisionInput,
    actor: StaffActor,
  ): Promise<DeliberationView & { announced: number }>
  byCode(code: string): Promise<DeliberationView | undefined>
}

async function loadTopic(id: string): Promise<DeliberationDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('议事')
  const doc = await DeliberationModel.findById(id).lean<DeliberationDoc>()
  if (!doc) throw new NotFoundError('议事')
  return doc
}

function toView(d: DeliberationDoc, opinions: number): DeliberationView {
  const decision = d.decision?.decidedAt
    ? {
        decision: {
          text: d.decision.text ?? '',
          basis: d.decision.basis ?? '',
          ...(d.decision.pollId ? { pollId: String(d.decision.pollId) } : {}),
          decidedAt: d.decision.decidedAt,
        },
      }
    : {}
  return {
    id: String(d._id),
    code: d.code,
    communityId: String(d.communityId),
    audience: audienceOf(d.audience),
    title: d.title,
    background: d.background ?? '',
    opensAt: d.opensAt,
    closesAt: d.closesAt,
    status: d.status,
    opinions,
    ...decision,
  }
}

export function topicAnnouncement(t: DeliberationView): string {
  const background = t.background ? `\n${t.background}` : ''
  return `【居民议事】${t.title}${background}\n欢迎发表意见：回复「意见 您的想法」，${formatTime(t.closesAt)}前有效。意见只有社区工作人员看到完整姓名。（议事代码 ${t.code}）`
}

export function decisionText(t: DeliberationView): string {
  return `【议事结果】${t.title}\n决定：${t.decision?.text ?? ''}\n依据：${t.decision?.basis ?? ''}\n感谢大家参与议事！`
}

/** 议事 topics: staff open one, residents give opinions, staff record and announce the decision. */
export function createDeliberationService(deps: {
  clock: Clock
  outbox: Outbox
  timezone: string
}): DeliberationService {
  const now = () => deps.clock.now()
  const count = (id: string) => OpinionModel.countDocuments({ deliberationId: new Types.ObjectId(id) })
  const view = async (d: DeliberationDoc) => toView(d, await count(String(d._id)))

  async function create(raw: DeliberationInput, actor: StaffActor) {
    const input = parseInput(DeliberationInput, raw, '议事内容不完整或格式不正确')
    const audience = input.audience as Audience
    await checkAudience(actor, audience)
    const closesAt = readFutureTime(input.closesAt, deps.timezone, now(), '征求意见截止时间')
    const doc = await createWithCode('Y', (code) =>
      DeliberationModel.create({
        code,
        communityId: new Types.ObjectId(audience.communityId),
        audience: toStoredAudience(audience),
        title: input.title,
        background: input.background,
        opensAt: now(),
        closesAt,
        createdBy: new Types.ObjectId(actor.personId),
        createdAt: now(),
      }),
    )
    const topic = toView(doc.toObject() as DeliberationDoc, 0)
    const messages = await announcement(audience, {
      key: `topic:${topic.id}:open`,
      text: topicAnnouncement(topic),
      expects: { kind: 'opinion', topicId: topic.id, ttlMs: closesAt.getTime() - now().getTime() },
    })
    return { ...topic, announced: await deps.outbox.enqueueMany(messages) }
  }

  async function list(actor: StaffActor, filter: { communityId?: string } = {}) {
    const docs = await DeliberationModel.find(staffListFilter(actor, filter.communityId))
      .sort({ createdAt: -1, _id: -1 })
      .limit(200)
      .lean<DeliberationDoc[]>()
    const allowed = await Promise.all(docs.map((d) => canManageAudience(actor, audienceOf(d.audience))))
    return Promise.all(docs.filter((_d, i) => allowed[i]).map(view))
  }

  /** Staff who manage it see everything; a resident of the audience reads it; anyone else is refused. */
  async function access(id: string, actor: StaffActor) {
    const doc = await loadTopic(id)
    if (await canManageAudience(actor, audienceOf(doc.audience))) return { doc, staffView: true }
    const member = await loadMember(actor.personId)
    if (!member || !isMember(audienceOf(doc.audience), member))
      throw new ForbiddenError('这个议事不面向您，不能查看')
    return { doc, staffView: false }
  }

  async function opinions(id: string, actor: StaffActor): Promise<OpinionView[]> {
    const { staffView } = await access(id, actor)
    const rows = await OpinionModel.find({ deliberationId: new Types.ObjectId(id) })
      .sort({ at: 1 })
      .limit(500)
      .lean()
    const people = await ResidentModel.find(
      { _id: { $in: [...new Set(rows.map((r) => String(r.personId)))].map((p) => new Types.ObjectId(p)) } },
      { name: 1 },
    ).lean()
    const names = new Map(people.map((p) => [String(p._id), p.name]))
    const grids = await gridNames([...new Set(rows.flatMap((r) => (r.gridId ? [String(r.gridId)] : [])))])
    return rows.map((r) => {
      const name = names.get(String(r.personId)) ?? '居民'
      const own = String(r.personId) === actor.personId
      return {
        id: String(r._id),
        name: staffView || own ? name : maskName(name),
        ...(r.gridId ? { gridName: grids.get(String(r.gridId)) ?? '' } : {}),
        text: r.text,
        at: r.at,
      }
    })
  }

  async function addOpinion(id: string, personId: string, raw: OpinionInput, via = 'chat') {
    const input = parseInput(OpinionInput, raw, '意见内容不正确')
    const topic = await view(await loadTopic(id))
    const member = await loadMember(personId)
    if (!member || !isMember(topic.audience, member))
      throw new ForbiddenError('这个议事只面向指定范围内的居民，您不在征求意见的范围内')
    if (topic.status !== 'open' || topic.closesAt.getTime() <= now().getTime())
      throw new ConflictError(`议事「${topic.title}」已经结束征求意见了，谢谢关注`)
    await OpinionModel.create({
      deliberationId: new Types.ObjectId(id),
      personId: new Types.ObjectId(personId),
      ...(member.gridId ? { gridId: new Types.ObjectId(member.gridId) } : {}),
      text: maskText(input.text),
      via,
      at: now(),
    })
    return { topic: { ...topic, opinions: topic.opinions + 1 } }
  }

  async function decide(id: string, raw: DecisionInput, actor: StaffActor) {
    const input = parseInput(DecisionInput, raw, '议事决定不完整')
    return withLock(`deliberation:${id}`, async () => {
      const doc = await loadTopic(id)
      if (!(await canManageAudience(actor, audienceOf(doc.audience))))
        throw new ForbiddenError('只有本社区（或本网格）的工作人员可以记录议事决定')
      if (doc.status === 'decided') throw new ConflictError('这个议事已经记录过决定了')
      await DeliberationModel.updateOne(
        { _id: doc._id },
        {
          $set: {
            status: 'decided',
            decision: {
              text: input.text,
              basis: input.basis,
              ...(input.pollId ? { pollId: new Types.ObjectId(input.pollId) } : {}),
              decidedBy: new Types.ObjectId(actor.personId),
              decidedAt: now(),
            },
          },
        },
      )
      const topic = await view(await loadTopic(id))
      const messages = await announcement(topic.audience, {
        key: `topic:${id}:decision`,
        text: decisionText(topic),
      })
      return { ...topic, announced: await deps.outbox.enqueueMany(messages) }
    })
  }

  return {
    create,
    list,
    get: async (id) => view(await loadTopic(id)),
    viewFor: async (id, actor) => {
      const { doc, staffView } = await access(id, actor)
      return { ...(await view(doc)), staffView }
    },
    opinions,
    addOpinion,
    decide,
    byCode: async (code) => {
      const doc = await DeliberationModel.findOne({ code: code.toUpperCase() }).lean<DeliberationDoc>()
      return doc ? view(doc) : undefined
    },
  }
}
