import { DomainError } from '../lib/errors.js'
import type { Ask } from '../services/conversations/asks.service.js'
import type { DeliberationService } from '../services/polls/deliberation.service.js'
import type { PollService, PollView } from '../services/polls/poll.service.js'
import { pollAnnouncement } from '../services/polls/poll.service.js'
import type { ChatServices } from './chat-handler.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'

/** 「投票」「投票 2」「投票 1 3」「投票 T4K2」「投票 T4K2 2」 */
const VOTE_RE = /^投票\s*(?:([Tt][A-Za-z0-9]{3})(?![A-Za-z0-9]))?\s*([0-9０-９\s,，、]*)$/
/** 「意见 …」「意见：…」「意见 Y4K2 …」 */
const OPINION_RE = /^意见[\s:：]*(?:([Yy][A-Za-z0-9]{3})(?![A-Za-z0-9])[\s:：]*)?([\s\S]*)$/

export type PollChatServices = {
  polls: Pick<PollService, 'vote' | 'openFor' | 'byCode' | 'get'>
  deliberations: Pick<DeliberationService, 'addOpinion' | 'byCode'>
}

const halfWidth = (s: string) => s.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))

function readChoices(text: string): number[] {
  return (halfWidth(text).match(/\d+/g) ?? []).map(Number)
}

/** The distinct polls (or topics) the bot announced or showed in this chat, as recorded. */
function askedIds(asks: Ask[], kind: 'poll' | 'opinion'): string[] {
  const ids = asks.flatMap((a) => (a.kind === kind ? [(kind === 'poll' ? a.pollId : a.topicId) ?? ''] : []))
  return [...new Set(ids.filter((id) => id !== ''))]
}

/**
 * Replies go privately to the sender when the command came in a group: a vote or a refusal names
 * the household's choice, which the neighbours need not read.
 */
const privately = (ctx: ChatContext, text: string) => ctx.reply(text, { private: ctx.isGroup })

/** Records in data that this poll was shown to the person here, so 「投票 2」 next means this poll. */
async function showPoll(ctx: ChatContext, services: ChatServices, poll: PollView): Promise<void> {
  const me = await ctx.me()
  const ttlMs = Math.max(poll.deadline.getTime() - services.clock.now().getTime(), 60_000)
  await services.asks.record(
    { type: 'person', id: me.id },
    { kind: 'poll', pollId: poll.id, chat: 'dm', ttlMs },
  )
  await ctx.reply(pollAnnouncement(poll), { private: true })
}

async function listPolls(ctx: ChatContext, services: ChatServices, polls: PollChatServices['polls']) {
  ctx.outcome = 'poll:list'
  const open = await polls.openFor((await ctx.me()).id)
  if (open.length === 0) return privately(ctx, TEXT.noPolls)
  if (open.length === 1) return showPoll(ctx, services, open[0] as PollView)
  const lines = open.map((p) => `${p.code}：${p.question}`)
  await privately(ctx, say.pollList({ lines }))
}

async function castVote(
  ctx: ChatContext,
  polls: PollChatServices['polls'],
  pollId: string,
  choices: number[],
) {
  ctx.outcome = 'poll:vote'
  const me = await ctx.me()
  const receipt = await polls.vote(pollId, me.id, { choices }, 'wechat')
  const picked = receipt.choices.map((c) => `${c}. ${receipt.poll.options[c - 1] ?? ''}`).join('、')
  await privately(
    ctx,
    say.voted({ question: receipt.poll.question, picked, household: receipt.forHousehold }),
  )
}

async function runVote(
  ctx: ChatContext,
  services: ChatServices,
  polls: PollChatServices['polls'],
  m: RegExpExecArray,
) {
  const choices = readChoices(m[2] ?? '')
  if (m[1]) {
    const poll = await polls.byCode(m[1])
    if (!poll) return privately(ctx, TEXT.pollNotFound)
    if (choices.length === 0) return showPoll(ctx, services, poll)
    return castVote(ctx, polls, poll.id, choices)
  }
  if (choices.length === 0) return listPolls(ctx, services, polls)
  const asked = askedIds(ctx.asks, 'poll')
  // Only the poll recorded for this chat is meant; with none or several, the person chooses.
  if (asked.length !== 1) return listPolls(ctx, services, polls)
  return castVote(ctx, polls, asked[0] as string, choices)
}

async function runOpinion(ctx: ChatContext, topics: PollChatServices['deliberations'], m: RegExpExecArray) {
  ctx.outcome = 'opinion'
  // A leading word shaped like a code (「意见 Yeah …」) that names no topic is part of the opinion.
  const named = m[1] ? await topics.byCode(m[1]) : undefined
  const text = (named ? (m[2] ?? '') : ctx.text.replace(/^意见[\s:：]*/, '')).trim()
  if (text === '') return privately(ctx, TEXT.opinionEmpty)
  const asked = askedIds(ctx.asks, 'opinion')
  const topicId = named?.id ?? (asked.length === 1 ? asked[0] : undefined)
  if (!topicId) return privately(ctx, TEXT.opinionWhich)
  const { topic } = await topics.addOpinion(topicId, (await ctx.me()).id, { text }, 'wechat')
  await privately(ctx, say.opinionRecorded({ title: topic.title }))
}

/** 「投票 …」 and 「意见 …」: votes in polls and opinions on 议事 topics, in a group or a direct chat. */
export function pollsHandler(services: ChatServices): ChatMiddleware {
  return async (ctx, next) => {
    const { polls, deliberations } = services
    const vote = VOTE_RE.exec(ctx.text)
    const opinion = vote ? null : OPINION_RE.exec(ctx.text)
    if (!polls || !deliberations || (!vote && !opinion)) return next()
    try {
      if (vote) return await runVote(ctx, services, polls, vote)
      return await runOpinion(ctx, deliberations, opinion as RegExpExecArray)
    } catch (err) {
      const sentence = politeError(err)
      if (!sentence) throw err
      ctx.outcome += ':refused'
      // The generic FORBIDDEN sentence speaks of cases; a poll's refusal says what it is itself.
      const refusal = err instanceof DomainError && (err.code === 'FORBIDDEN' || err.code === 'CONFLICT')
      await privately(ctx, refusal ? `抱歉，${err.message.replace(/[。！!]+$/, '')}。` : sentence)
    }
  }
}
