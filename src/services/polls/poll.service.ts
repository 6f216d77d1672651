import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  isDuplicateKeyError,
  NotFoundError,
} from '../../lib/errors.js'
import { withLock } from '../../lib/storage/index.js'
import {
  type PollDoc,
  PollModel,
  PollVoteModel,
  RESULTS_VISIBILITY,
  type ResultsVisibility,
  VOTE_UNITS,
  type VoteUnit,
} from '../../models/poll.model.js'
import { HouseholdModel } from '../../models/registry.model.js'
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
  householdFilter,
  isMember,
  loadMember,
  type Member,
  membersOf,
  parseInput,
  readFutureTime,
  staffListFilter,
  toStoredAudience,
} from './poll-audience.js'

export const PollInput = z
  .object({
    audience: AudienceInput,
    question: z.string().trim().min(1, '请填写投票问题').max(200),
    options: z
      .array(z.string().trim().min(1, '选项不能为空').max(60))
      .min(2, '至少要有两个选项')
      .max(9, '最多九个选项'),
    voteUnit: z.enum(VOTE_UNITS).default('household'),
    maxChoices: z.number().int().min(1).max(9).default(1),
    /** `2026-12-10 18:00` (local time) or an ISO time with its zone. */
    deadline: z.string().trim().min(1, '请填写截止时间').max(40),
    resultsVisibleTo: z.enum(RESULTS_VISIBILITY).default('after_close'),
  })
  .strict()
export type PollInput = z.input<typeof PollInput>

export const VoteInput = z.object({ choices: z.array(z.number().int().min(1).max(9)).min(1).max(9) }).strict()
export type VoteInput = z.input<typeof VoteInput>

export interface PollView {
  id: string
  code: string
  communityId: string
  audience: Audience
  question: string
  options: string[]
  voteUnit: VoteUnit
  maxChoices: number
  deadline: Date
  resultsVisibleTo: ResultsVisibility
  status: 'open' | 'closed'
  closedAt?: Date
  createdAt: Date
}

export interface GridTurnout {
  gridId: string
  gridName: string
  voted: number
  eligible: number
  /** voted / eligible, 0–1 (0 when nobody is eligible). */
  turnout: number
}

export interface PollResults {
  pollId: string
  /** Votes per option, in option order. */
  counts: number[]
  voted: number
  eligible: number
  turnout: number
  grids: GridTurnout[]
}

/** What a resident sees of a poll: their own vote, and the results once they may see them. */
export interface ResidentPollView extends PollView {
  myVote?: { choices: number[]; at: Date }
  results?: PollResults
}

export interface VoteReceipt {
  poll: PollView
  choices: number[]
  /** True for a household vote (the sentence says 「您家」). */
  forHousehold: boolean
}

export interface PollService {
  create(input: PollInput, actor: StaffActor): Promise<PollView & { announced: number }>
  list(actor: StaffActor, filter?: { communityId?: string; status?: 'open' | 'closed' }): Promise<PollView[]>
  get(id: string): Promise<PollView>
  /** The poll for staff who manage its audience, else for a resident in it (results only when visible). */
  viewFor(id: string, actor: StaffActor): Promise<ResidentPollView>
  results(id: string): Promise<PollResults>
  /** Closes it and tells the audience the results when they may see them. */
  close(id: string, actor: StaffActor): Promise<PollView & { announced: number }>
  /** Closes every open poll whose deadline has passed (for the job); returns how many. */
  closeDue(now: Date): Promise<number>
  /**
   * Records a vote: one per household (or person). A second vote is refused with the first choice
   * named; the race between two members is decided by the unique `_id` insert.
   */
  vote(id: string, personId: string, input: VoteInput, via?: string): Promise<VoteReceipt>
  /** Open polls this resident may vote in, newest first. */
  openFor(personId: string): Promise<PollView[]>
  byCode(code: string): Promise<PollView | undefined>
}

function toView(p: PollDoc): PollView {
  return {
    id: String(p._id),
    code: p.code,
    communityId: String(p.communityId),
    audience: audienceOf(p.audience),
    question: p.question,
    options: p.options,
    voteUnit: p.voteUnit,
    maxChoices: p.maxChoices ?? 1,
    deadline: p.deadline,
    resultsVisibleTo: p.resultsVisibleTo,
    status: p.status,
    ...(p.closedAt ? { closedAt: p.closedAt } : {}),
    createdAt: p.createdAt,
  }
}

async function loadPoll(id: string): Promise<PollDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('投票')
  const doc = await PollModel.findById(id).lean<PollDoc>()
  if (!doc) throw new NotFoundError('投票')
  return doc
}

/** The chat sentence announcing a poll: question, numbered options, deadline, how to vote. */
export function pollAnnouncement(p: PollView): string {
  const options = p.options.map((o, i) => `${i + 1}. ${o}`).join('\n')
  const unit = p.voteUnit === 'household' ? '每户一票（家里一位成员投即可）' : '每人一票'
  const how =
    p.maxChoices > 1
      ? `回复「投票 序号」参与，可选 ${p.maxChoices} 项，例如「投票 1 3」`
      : '回复「投票 序号」参与，例如「投票 1」'
  const seen = { all: '随时可查看结果', staff: '结果由社区汇总', after_close: '截止后公布结果' }[
    p.resultsVisibleTo
  ]
  return `【社区投票】${p.question}\n${options}\n${how}。${unit}，投出后不能更改；${formatTime(p.deadline)}截止，${seen}。（投票代码 ${p.code}）`
}

/** The results as a chat sentence (no names: counts and turnout only). */
export function resultsText(p: PollView, r: PollResults): string {
  const lines = p.options.map((o, i) => `${i + 1}. ${o}：${r.counts[i] ?? 0} 票`).join('\n')
  const unit = p.voteUnit === 'household' ? '户' : '人'
  return `【投票结果】${p.question}\n${lines}\n共 ${r.voted} ${unit}参与，参与率 ${Math.round(r.turnout * 100)}%。谢谢大家！`
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000)

/** Polls 投票: staff open one to an audience; residents vote in chat or the mini-program; staff close it. */
export function createPollService(deps: { clock: Clock; outbox: Outbox; timezone: string }): PollService {
  const now = () => deps.clock.now()

  async function create(raw: PollInput, actor: StaffActor) {
    const input = parseInput(PollInput, raw, '投票内容不完整或格式不正确')
    const audience = parseInput(AudienceInput, input.audience, '投票范围不正确') as Audience
    await checkAudience(actor, audience)
    if (input.maxChoices > input.options.length) throw new InvalidInputError('可选项数不能多于选项数')
    const deadline = readFutureTime(input.deadline, deps.timezone, now(), '截止时间')
    const doc = await createWithCode('T', (code) =>
      PollModel.create({
        ...input,
        code,
        communityId: new Types.ObjectId(audience.communityId),
        audience: toStoredAudience(audience),
        deadline,
        createdBy: new Types.ObjectId(actor.personId),
        createdAt: now(),
      }),
    )
    const poll = toView(doc.toObject() as PollDoc)
    const messages = await announcement(audience, {
      key: `poll:${poll.id}:open`,
      text: pollAnnouncement(poll),
      expects: { kind: 'poll', pollId: poll.id, ttlMs: deadline.getTime() - now().getTime() },
    })
    return { ...poll, announced: await deps.outbox.enqueueMany(messages) }
  }

  async function list(actor: StaffActor, filter: { communityId?: string; status?: 'open' | 'closed' } = {}) {
    const q = {
      ...staffListFilter(actor, filter.communityId),
      ...(filter.status ? { status: filter.status } : {}),
    }
    const docs = await PollModel.find(q).sort({ createdAt: -1, _id: -1 }).limit(200).lean<PollDoc[]>()
    const views = docs.map(toView)
    const allowed = await Promise.all(views.map((v) => canManageAudience(actor, v.audience)))
    return views.filter((_v, i) => allowed[i])
  }

  async function results(id: string): Promise<PollResults> {
    const p = toView(await loadPoll(id))
    const votes = await PollVoteModel.find(
      { pollId: new Types.ObjectId(id) },
      { choices: 1, gridId: 1 },
    ).lean()
    const counts = p.options.map((_o, i) => votes.filter((v) => v.choices.includes(i + 1)).length)
    const eligibleByGrid = new Map<string, number>()
    if (p.voteUnit === 'household') {
      const households = await HouseholdModel.find(householdFilter(p.audience), { gridId: 1 }).lean()
      for (const h of households)
        eligibleByGrid.set(String(h.gridId), (eligibleByGrid.get(String(h.gridId)) ?? 0) + 1)
    } else {
      for (const m of await membersOf(p.audience)) {
        const g = m.gridId ?? ''
        eligibleByGrid.set(g, (eligibleByGrid.get(g) ?? 0) + 1)
      }
    }
    const votedByGrid = new Map<string, number>()
    for (const v of votes)
      votedByGrid.set(String(v.gridId ?? ''), (votedByGrid.get(String(v.gridId ?? '')) ?? 0) + 1)
    const gridIds = [...new Set([...eligibleByGrid.keys(), ...votedByGrid.keys()])].filter((g) => g !== '')
    const names = await gridNames(gridIds)
    const grids = gridIds
      .map((g) => {
        const voted = votedByGrid.get(g) ?? 0
        const eligible = eligibleByGrid.get(g) ?? 0
        return { gridId: g, gridName: names.get(g) ?? '', voted, eligible, turnout: ratio(voted, eligible) }
      })
      .sort((a, b) => a.gridName.localeCompare(b.gridName, 'zh'))
    const eligible = [...eligibleByGrid.values()].reduce((a, b) => a + b, 0)
    return {
      pollId: id,
      counts,
      voted: votes.length,
      eligible,
      turnout: ratio(votes.length, eligible),
      grids,
    }
  }

  const isOver = (p: PollView) => p.status === 'closed' || p.deadline.getTime() <= now().getTime()
  const residentsSee = (p: PollView) =>
    p.resultsVisibleTo === 'all' || (p.resultsVisibleTo === 'after_close' && isOver(p))

  /** Closes once (under the poll's lock) and tells the audience the results when they may see them. */
  async function closeAs(id: string, actor: StaffActor | undefined) {
    return withLock(`poll:${id}`, async () => {
      const before = toView(await loadPoll(id))
      if (actor && !(await canManageAudience(actor, before.audience)))
        throw new ForbiddenError('只有本社区（或本网格）的工作人员可以结束投票')
      if (before.status === 'closed') throw new ConflictError('这次投票已经结束了')
      const by = actor ? { closedBy: new Types.ObjectId(actor.personId) } : {}
      await PollModel.updateOne(
        { _id: new Types.ObjectId(id) },
        { $set: { status: 'closed', closedAt: now(), ...by } },
      )
      const poll = toView(await loadPoll(id))
      if (poll.resultsVisibleTo === 'staff') return { ...poll, announced: 0 }
      const text = resultsText(poll, await results(id))
      const messages = await announcement(poll.audience, { key: `poll:${id}:results`, text })
      return { ...poll, announced: await deps.outbox.enqueueMany(messages) }
    })
  }

  function readChoices(p: PollView, input: VoteInput): number[] {
    const parsed = VoteInput.safeParse(input)
    const choices = parsed.success ? [...new Set(parsed.data.choices)].sort((a, b) => a - b) : []
    const n = p.options.length
    if (choices.length === 0 || choices.some((c) => c > n))
      throw new InvalidInputError(`请回复选项前面的数字，1 到 ${n} 之间`)
    if (choices.length > p.maxChoices)
      throw new InvalidInputError(
        p.maxChoices === 1 ? '这次投票只能选一项' : `这次投票最多选 ${p.maxChoices} 项`,
      )
    return choices
  }

  async function voterKey(
    p: PollView,
    m: Member,
  ): Promise<{ key: string; gridId?: string; householdId?: string }> {
    if (!isMember(p.audience, m))
      throw new ForbiddenError('这次投票只面向指定范围内的居民，您不在投票范围内。如有疑问请联系网格员')
    if (p.voteUnit === 'person') return { key: `${p.id}:${m.personId}`, gridId: m.gridId }
    if (!m.householdId)
      throw new ConflictError(
        '这次投票按户进行，您还没有登记住户，暂时不能投票。请在邻里小程序扫描家门口的门牌码登记，或请网格员帮您登记',
      )
    const h = await HouseholdModel.findById(m.householdId, { gridId: 1 }).lean()
    return {
      key: `${p.id}:${m.householdId}`,
      gridId: h ? String(h.gridId) : m.gridId,
      householdId: m.householdId,
    }
  }

  async function vote(id: string, personId: string, input: VoteInput, via = 'chat'): Promise<VoteReceipt> {
    const poll = toView(await loadPoll(id))
    const member = await loadMember(personId)
    if (!member) throw new ForbiddenError('只有登记过的居民可以投票')
    if (isOver(poll)) throw new ConflictError(`投票「${poll.question}」已经结束了，谢谢关注`)
    const choices = readChoices(poll, input)
    const voter = await voterKey(poll, member)
    const forHousehold = poll.voteUnit === 'household'
    try {
      await PollVoteModel.create({
        _id: voter.key,
        pollId: new Types.ObjectId(id),
        choices,
        personId: new Types.ObjectId(personId),
        ...(voter.householdId ? { householdId: new Types.ObjectId(voter.householdId) } : {}),
        ...(voter.gridId ? { gridId: new Types.ObjectId(voter.gridId) } : {}),
        via,
        at: now(),
      })
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
      const first = await PollVoteModel.findById(voter.key, { choices: 1 }).lean()
      const named = (first?.choices ?? []).map((c) => `${c}. ${poll.options[c - 1] ?? ''}`).join('、')
      throw new ConflictError(
        `${forHousehold ? '您家' : '您'}已经投过票了（选的是「${named}」），${forHousehold ? '每户' : '每人'}一票，投出后不能更改`,
        { choices: first?.choices ?? [] },
      )
    }
    return { poll, choices, forHousehold }
  }

  async function viewFor(id: string, actor: StaffActor): Promise<ResidentPollView> {
    const poll = toView(await loadPoll(id))
    if (await canManageAudience(actor, poll.audience)) return { ...poll, results: await results(id) }
    const member = await loadMember(actor.personId)
    if (!member || !isMember(poll.audience, member)) throw new ForbiddenError('这次投票不面向您，不能查看')
    const key = poll.voteUnit === 'household' ? member.householdId : member.personId
    const mine = key ? await PollVoteModel.findById(`${id}:${key}`, { choices: 1, at: 1 }).lean() : null
    return {
      ...poll,
      ...(mine ? { myVote: { choices: mine.choices, at: mine.at } } : {}),
      ...(residentsSee(poll) ? { results: await results(id) } : {}),
    }
  }

  async function openFor(personId: string): Promise<PollView[]> {
    const member = await loadMember(personId)
    if (!member?.communityId) return []
    const docs = await PollModel.find({
      communityId: new Types.ObjectId(member.communityId),
      status: 'open',
      deadline: { $gt: now() },
    })
      .sort({ createdAt: -1 })
      .limit(50)
      .lean<PollDoc[]>()
    return docs.map(toView).filter((p) => isMember(p.audience, member))
  }

  async function closeDue(at: Date): Promise<number> {
    const due = await PollModel.find({ status: 'open', deadline: { $lte: at } }, { _id: 1 }).lean()
    let closed = 0
    for (const p of due) {
      try {
        await closeAs(String(p._id), undefined)
        closed += 1
      } catch (err) {
        // Closed by staff meanwhile: nothing left to do.
        if (!(err instanceof ConflictError)) throw err
      }
    }
    return closed
  }

  return {
    create,
    list,
    close: (id, actor) => closeAs(id, actor),
    closeDue,
    get: async (id) => toView(await loadPoll(id)),
    viewFor,
    results,
    vote,
    openFor,
    byCode: async (code) => {
      const doc = await PollModel.findOne({ code: code.toUpperCase() }).lean<PollDoc>()
      return doc ? toView(doc) : undefined
    },
  }
}
