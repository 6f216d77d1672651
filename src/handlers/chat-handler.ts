import type { Clock } from '../lib/clock.js'
import { DomainError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { containsPersonalNumber } from '../lib/mask.js'
import type { CaseService } from '../services/cases/case.service.js'
import type { Hazard } from '../services/cases/triage.hazard.js'
import type { Triage } from '../services/cases/triage.service.js'
import type { Asks } from '../services/conversations/asks.service.js'
import { chatKeyOf } from '../services/conversations/conversation.service.js'
import type { EventService } from '../services/events/event.service.js'
import type { KbService } from '../services/kb/kb.service.js'
import type { NoticeService } from '../services/notices/notice.service.js'
import type { Outbox } from '../services/outbox/outbox.service.js'
import type { PointsService } from '../services/points/points.service.js'
import type { DeliberationService } from '../services/polls/deliberation.service.js'
import type { PollService } from '../services/polls/poll.service.js'
import { withRegistrySnapshot } from '../services/registry/registry.cache.js'
import type { RegistryService } from '../services/registry/registry.service.js'
import type { EmergencyAdvice } from '../services/responsibility/emergency.config.js'
import type { RoomBindings } from '../services/rooms/room-binding.service.js'
import type { ShopService } from '../services/shop/shop.service.js'
import { answersHandler } from './answers.handler.js'
import { bindingHandler } from './binding.handler.js'
import type { ChatInput, ChatOutcome } from './chat-input.js'
import { TEXT } from './chat-texts.js'
import { type ChatContext, type ChatMiddleware, compose, createContext } from './composer.js'
import { emergencyHandler } from './emergency.handler.js'
import { isAnswerShaped, splitTrigger, stripMentions } from './etiquette.js'
import { eventsHandler } from './events.handler.js'
import { pointsHandler } from './points.handler.js'
import { pollsHandler } from './polls.handler.js'
import { answerOverheard, runReport } from './report.flow.js'
import { intentHandler, keywordHandler, menuDigitHandler, privacyGuardHandler } from './resident.handlers.js'
import { type VolunteerChatServices, volunteersHandler } from './volunteers.handler.js'
import { workerCommands } from './worker-commands.js'

/** The services the chat calls, as the HTTP routes call them (built once in main.ts). */
export interface ChatServices extends VolunteerChatServices {
  clock: Clock
  cases: CaseService
  kb: Pick<KbService, 'ask'>
  events: Pick<EventService, 'listForPerson' | 'signUp' | 'cancelSignup' | 'setReminders'>
  notices: Pick<NoticeService, 'acknowledge' | 'get' | 'acknowledgeLatestForHousehold'>
  /** Polls and 议事 (「投票 2」「意见 …」); a chat without them leaves those words to the other handlers. */
  polls?: Pick<PollService, 'vote' | 'openFor' | 'byCode' | 'get'>
  deliberations?: Pick<DeliberationService, 'addOpinion' | 'byCode'>
  registry: RegistryService
  triage: Pick<Triage, 'classifyByRules'>
  asks: Asks
  outbox: Outbox
  rooms: RoomBindings
  /** Points and the points shop (「积分」「兑换 3」). */
  points: Pick<PointsService, 'balances' | 'statement' | 'monthOf'>
  shop: Pick<ShopService, 'listItems' | 'redeem' | 'recordMenu' | 'menuItem'>
  /** The safety advice and numbers for a danger, per community (config/emergency.yaml). */
  emergencyAdvice(hazard: Hazard, communityCode?: string): EmergencyAdvice
}

export interface ChatHandlerDeps {
  services: ChatServices
  logger: Logger
  /** The bot's display name: `@name` and a message starting with it address the bot. */
  botName: string
  /** How long a question of the bot (a menu choice, the place) waits for the answer. */
  pendingTtlMs?: number
  /** How long after a report a photo or detail is added to that case. */
  followUpTtlMs?: number
}

/** How the caller of a ChatHandler wants a failure treated. */
export interface HandleOptions {
  /** Failures the caller will retry (transient ones): thrown to it instead of apologised for. */
  retryable?: (err: unknown) => boolean
}

/**
 * Handles one inbound message; never throws for a handler failure (it apologises instead), except a
 * failure the caller said it retries.
 */
export type ChatHandler = (input: ChatInput, options?: HandleOptions) => Promise<ChatOutcome>

/** Settings every chat feature reads. */
export interface ChatSettings {
  pendingTtlMs: number
  followUpTtlMs: number
}

/**
 * Reads what the message is before anyone acts on it: the text without mentions and trigger, the
 * group's binding, the rules' triage (no LLM: it runs on every group message), and the bot's open
 * questions of this sender in this chat.
 */
function prepare(deps: ChatHandlerDeps): ChatMiddleware {
  const { services, botName } = deps
  return async (ctx, next) => {
    const { trigger, rest } = splitTrigger(stripMentions(ctx.input.text, botName), botName)
    ctx.text = rest
    ctx.trigger = trigger
    const room = ctx.input.room
    if (room) ctx.binding = await services.rooms.resolve(room)
    if (ctx.text !== '') ctx.triaged = services.triage.classifyByRules(ctx.text)
    const contactId = ctx.input.sender.contactId
    // In a direct chat the person is needed anyway; in a group only the contact's and the room's
    // questions are read (no registry look-up for chatter that passes by).
    const personId = room ? undefined : (await ctx.me()).id
    ctx.asks = await services.asks.openFor({ personId, contactId }, room?.id)
    await next()
  }
}

/**
 * In a group the bot speaks only when addressed (an @, a trigger word, a reply to the bot, an answer
 * to a question it asked there); danger is the exception, handled before this.
 */
function etiquette(services: ChatServices): ChatMiddleware {
  return async (ctx, next) => {
    if (!ctx.isGroup) return next()
    const { input } = ctx
    ctx.addressed =
      input.mentionsBot ||
      ctx.trigger !== undefined ||
      input.quoted?.fromBot === true ||
      ctx.asks.some((a) => isAnswerShaped(a.kind, ctx.text, input))
    if (ctx.addressed) return next()
    // A policy question put to the group (「请问高龄津贴多大年龄可以领」) is answered when the documents
    // answer it; otherwise the bot stays out of the neighbours' conversation and opens nothing.
    if (isOverheardQuestion(ctx) && (await answerOverheard(ctx, services))) return
    ctx.outcome = 'ignored:chit-chat'
  }
}

/** A short policy question of its own (not a reply to a neighbour), as the rules read it. */
function isOverheardQuestion(ctx: ChatContext): boolean {
  const t = ctx.triaged
  if (!t || t.intent !== 'question' || t.category !== 'policy_consult') return false
  if (ctx.input.quoted && ctx.input.quoted.fromBot !== true) return false
  return ctx.text.length >= 4 && ctx.text.length <= 80
}

function unboundNote(rooms: RoomBindings): ChatMiddleware {
  return async (ctx, next) => {
    const room = ctx.input.room
    if (room && !ctx.binding && (await rooms.claimUnboundNotice(room.id))) await ctx.reply(TEXT.unbound)
    await next()
  }
}

/** Personal numbers posted in a group: the bot says so privately and never repeats them there. */
const privacy: ChatMiddleware = async (ctx, next) => {
  if (ctx.isGroup && containsPersonalNumber(ctx.input.text)) await ctx.reply(TEXT.privacy, { private: true })
  await next()
}

/**
 * A voice message nobody transcribed: a case with the recording for the worker to listen to (a
 * follow-up to a recent report joins that case instead); the resident is never asked to type.
 */
function voiceWithoutText(services: ChatServices, settings: ChatSettings): ChatMiddleware {
  return async (ctx, next) => {
    if (ctx.input.type !== 'voice' || ctx.text !== '') return next()
    if (ctx.asks.some((a) => a.kind === 'follow_up')) return next()
    await runReport(ctx, services, settings, '居民发来语音留言，请收听录音', { voice: true })
    ctx.outcome = 'voice:forwarded'
  }
}

/**
 * The chat dispatcher: small handlers composed in order (prepare → binding commands → danger →
 * etiquette → unbound note → privacy → inbox commands → events → keywords → answers to the bot's
 * questions → menu digits → intent), inside one error boundary that logs the failure with its context
 * and apologises in Chinese.
 */
export function createChatHandler(deps: ChatHandlerDeps): ChatHandler {
  const { services } = deps
  const settings: ChatSettings = {
    pendingTtlMs: deps.pendingTtlMs ?? 10 * 60_000,
    followUpTtlMs: deps.followUpTtlMs ?? 10 * 60_000,
  }
  const run = compose([
    prepare(deps),
    bindingHandler(services.rooms),
    emergencyHandler(services, settings),
    etiquette(services),
    unboundNote(services.rooms),
    privacy,
    voiceWithoutText(services, settings),
    privacyGuardHandler(),
    volunteersHandler(services, settings),
    workerCommands(services),
    eventsHandler(services),
    pollsHandler(services),
    pointsHandler(services),
    keywordHandler(services),
    answersHandler(services, settings),
    menuDigitHandler(services, settings),
    intentHandler(services, settings),
  ])
  const personOf = (ctx: ChatContext) => {
    const home = ctx.binding ? { communityId: ctx.binding.communityId, gridId: ctx.binding.gridId } : {}
    return services.registry.personOfContact(
      { contactId: ctx.input.sender.contactId, name: ctx.input.sender.name },
      home,
    )
  }
  return async (input, options = {}) => {
    const ctx = createContext(input, chatKeyOf(input.room?.id, input.sender.contactId), {
      outbox: services.outbox,
      personOf,
    })
    try {
      // The registry (the sender, the staff who take a case) as of the message's start: its version
      // is read once for the whole message (see registry.cache.ts).
      await withRegistrySnapshot(() => run(ctx))
    } catch (err) {
      if (options.retryable?.(err)) throw err
      await apologise(ctx, err, deps.logger)
    }
    return { outcome: ctx.outcome, replies: ctx.replies }
  }
}

async function apologise(ctx: ChatContext, err: unknown, logger: Logger): Promise<void> {
  const known = err instanceof DomainError && err.code !== 'INTERNAL'
  logger.error(
    {
      err: known ? { code: err.code, message: err.message } : err,
      messageId: ctx.input.messageId,
      roomId: ctx.input.room?.id,
      outcome: ctx.outcome,
    },
    `chat handler failed in ${ctx.outcome}`,
  )
  ctx.outcome = `error:${ctx.outcome}`
  const text = known && err.code !== 'UNAVAILABLE' ? `抱歉，${err.message}。` : TEXT.apology
  await ctx.reply(text).catch((e: unknown) => logger.error({ err: e }, 'could not queue the apology'))
}
