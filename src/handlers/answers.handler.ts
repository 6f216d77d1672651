import { ConflictError } from '../lib/errors.js'
import { maskText } from '../lib/mask.js'
import { SYSTEM_ACTOR } from '../services/cases/case.service.js'
import { handlerNameOf } from '../services/cases/case.texts.js'
import type { Ask, AskSubject } from '../services/conversations/asks.service.js'
import { findPlace } from '../services/registry/registry.places.js'
import type { ChatServices, ChatSettings } from './chat-handler.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { isAck, isCourtesy, isGreeting, isRatingShaped, readRating } from './etiquette.js'
import { runPolicy, runReport } from './report.flow.js'

/** The subject an open question was recorded for, to settle it once answered. */
function subjectsOf(ctx: ChatContext, personId: string | undefined): AskSubject[] {
  const contact: AskSubject = { type: 'contact', id: ctx.input.sender.contactId }
  return personId ? [{ type: 'person', id: personId }, contact] : [contact]
}

async function settle(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<void> {
  const me = ctx.isGroup ? undefined : await ctx.me()
  const match = { kind: ask.kind, caseNumber: ask.caseNumber, noticeId: ask.noticeId }
  for (const s of subjectsOf(ctx, me?.id)) await services.asks.settle(s, match)
}

/** A rating of the case the bot asked about; 1–2 sends the case back for re-work. */
async function answerRating(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<boolean> {
  const rating = readRating(ctx.text)
  if (!rating || !ask.caseNumber) return false
  ctx.outcome = 'rate'
  if (rating.score < 1 || rating.score > 5) {
    await ctx.reply(TEXT.ratingRange)
    return true
  }
  const me = await ctx.me()
  try {
    await services.cases.rate(ask.caseNumber, { personId: me.id }, rating.score, maskText(rating.comment))
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err
    ctx.outcome = 'rate:already'
    await settle(ctx, services, ask)
    await ctx.reply(say.refusedWithReason({ message: err.message.replace(/[。！!]+$/, '') }))
    return true
  }
  await settle(ctx, services, ask)
  const slots = { score: rating.score, caseNumber: ask.caseNumber }
  await ctx.reply(rating.score <= 2 ? say.ratedLow(slots) : say.rated(slots))
  return true
}

/** 「收到」「1」 under a notice that asked for it: in a group the bot records it quietly. */
async function answerAck(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<boolean> {
  if (!isAck(ctx.text) || !ask.noticeId) return false
  ctx.outcome = 'notice:ack'
  const me = await ctx.me()
  await services.notices.acknowledge(ask.noticeId, me.id, 'wechat')
  if (ctx.isGroup) return true
  await settle(ctx, services, ask)
  const notice = await services.notices.get(ask.noticeId)
  await ctx.reply(say.acknowledged({ title: notice.title }))
  return true
}

/** The place a stranger was asked for: the held case goes to the grid that holds it. */
async function answerLocation(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<boolean> {
  if (!ask.caseNumber || ctx.text === '' || /^\d$/.test(ctx.text)) return false
  const community = await services.registry.findCommunityInText(ctx.text)
  if (!community && !isPlaceAnswer(ctx)) return false
  ctx.outcome = 'location'
  await settle(ctx, services, ask)
  const place = ctx.triaged?.location ?? {}
  const me = await ctx.me()
  if (!community) {
    // The desk keeps the case and reads what was said; a person calls to settle the place.
    await services.cases.comment(ask.caseNumber, { personId: me.id, roles: ['resident'] }, maskText(ctx.text))
    ctx.outcome = 'location:not-understood'
    await ctx.reply(TEXT.locationNotUnderstood)
    return true
  }
  await services.registry.personOfContact(
    { contactId: ctx.input.sender.contactId, name: ctx.input.sender.name },
    { communityId: community.id },
  )
  const moved = await services.cases.relocate(
    ask.caseNumber,
    { personId: me.id, roles: ['resident'] },
    { communityId: community.id, building: place.building, unit: place.unit, room: place.room },
  )
  await ctx.reply(say.relocated({ caseNumber: moved.number, handler: await handlerNameOf(moved) }))
  return true
}

/**
 * A WeChat location message answering 「哪里」 or sent right after a report: the case is placed at the
 * nearest building (or the grid whose outline holds the point) and keeps the point. The chat layer
 * acts as the system here: the resident reported the case minutes ago, or was asked for the place.
 */
async function answerPoint(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<boolean> {
  const point = ctx.input.location
  if (!point || !ask.caseNumber || (ask.kind !== 'location' && ask.kind !== 'follow_up')) return false
  await settle(ctx, services, ask)
  const hit = await findPlace(point)
  if (!hit) {
    ctx.outcome = 'location:outside'
    await ctx.reply(TEXT.locationOutside)
    return true
  }
  ctx.outcome = 'location:point'
  const note = ['居民发送了位置', point.name].filter(Boolean).join('：').slice(0, 200)
  const moved = await services.cases.relocate(ask.caseNumber, SYSTEM_ACTOR, {
    gridId: String(hit.gridId),
    ...(hit.building ? { building: hit.building } : {}),
    lng: point.lng,
    lat: point.lat,
    note,
  })
  const handler = await handlerNameOf(moved)
  await ctx.reply(say.placedByLocation({ caseNumber: moved.number, building: hit.building, handler }))
  return true
}

/**
 * Whether a message without a known community still answers 「哪个社区、几号楼」: a building, or a
 * short place name the registry does not know. Thanks, greetings, questions and new reports are
 * handled as what they are, and the question stays open.
 */
function isPlaceAnswer(ctx: ChatContext): boolean {
  const t = ctx.triaged
  if (isCourtesy(ctx.text) || isGreeting(ctx.text) || t?.intent === 'question' || t?.intent === 'request')
    return false
  return Boolean(t?.location.building) || ctx.text.length <= 20
}

/** A detail or photo for the case just reported (in a group only as a reply to the bot). */
async function answerFollowUp(ctx: ChatContext, services: ChatServices, ask: Ask): Promise<boolean> {
  if (!ask.caseNumber || !isFollowUp(ctx) || (await isAnotherReport(ctx, services, ask.caseNumber)))
    return false
  ctx.outcome = 'follow_up'
  const me = await ctx.me()
  const attachments = ctx.input.attachments
    .slice(0, 9)
    .map((a) => ({ kind: a.kind, ref: a.path, name: a.name }))
  const note = ctx.text || (attachments.length > 0 ? '居民补充了照片' : '居民补充了说明')
  await services.cases.comment(
    ask.caseNumber,
    { personId: me.id, roles: ['resident'] },
    maskText(note),
    attachments,
  )
  await ctx.reply(say.followUpAdded({ caseNumber: ask.caseNumber }))
  return true
}

/** A sentence that ends as a question (「…吗？」「…吗」「…呢?」). */
const QUESTION_END = /[?？]\s*$|[吗呢][。！!～~]?$/

function isFollowUp(ctx: ChatContext): boolean {
  if (ctx.input.attachments.length > 0) return true
  if (ctx.isGroup && !ctx.input.quoted?.fromBot) return false
  if (ctx.text === '' || /^\d$/.test(ctx.text) || isCourtesy(ctx.text)) return false
  // 「4 处理得挺快」 with no rating asked (a repeat of one just given): feedback, not a detail.
  if (isRatingShaped(ctx.text, ctx.triaged)) return false
  // A question, small talk or a danger is a new topic, not a detail of the report.
  if (QUESTION_END.test(ctx.text)) return false
  return ctx.triaged?.intent !== 'question' && ctx.triaged?.intent !== 'chat' && !ctx.triaged?.hazard
}

/**
 * A complete report of its own, not a detail of the case just reported: a request naming its own
 * building where the case is elsewhere or about something else (「我家厨房下水道堵了，3号楼1单元502」
 * after a stairwell light). A bare place (「在3号楼」) or a detail without a place stays a follow-up.
 */
async function isAnotherReport(
  ctx: ChatContext,
  services: ChatServices,
  caseNumber: string,
): Promise<boolean> {
  const t = ctx.triaged
  if (t?.intent !== 'request' || !t.location.building) return false
  const reported = await services.cases.get(caseNumber)
  const building = reported.location.building || undefined
  return (building !== undefined && building !== t.location.building) || reported.category !== t.category
}

/** The description or question the bot asked for after a menu choice. */
async function answerPending(
  ctx: ChatContext,
  services: ChatServices,
  settings: ChatSettings,
  ask: Ask,
): Promise<boolean> {
  if (ctx.text === '' || /^\d$/.test(ctx.text) || ctx.trigger) return false
  await settle(ctx, services, ask)
  await (ask.kind === 'report'
    ? runReport(ctx, services, settings, ctx.text)
    : runPolicy(ctx, services, settings, ctx.text))
  return true
}

/**
 * Replies are read against what the bot asked first, newest question first: a rating, a notice's
 * 收到, the place, the description after 「1」, a detail of the case just reported.
 */
export function answersHandler(services: ChatServices, settings: ChatSettings): ChatMiddleware {
  return async (ctx, next) => {
    for (const ask of ctx.asks) {
      // Polls and 议事 are answered by their own commands (polls.handler.ts), never by free text.
      if (ask.kind === 'poll' || ask.kind === 'opinion') continue
      const answered = ctx.input.location
        ? await answerPoint(ctx, services, ask)
        : ask.kind === 'rating'
          ? await answerRating(ctx, services, ask)
          : ask.kind === 'ack'
            ? await answerAck(ctx, services, ask)
            : ask.kind === 'location'
              ? await answerLocation(ctx, services, ask)
              : ask.kind === 'follow_up'
                ? await answerFollowUp(ctx, services, ask)
                : await answerPending(ctx, services, settings, ask)
      if (answered) return
    }
    if (ctx.input.type === 'location') {
      // A point with no report to place: nothing is opened from a location alone.
      ctx.outcome = 'location:no-report'
      return ctx.reply(TEXT.locationWithoutReport)
    }
    await next()
  }
}
