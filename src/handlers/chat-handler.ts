import { DomainError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { containsPersonalNumber } from '../lib/mask.js'
import { type Conversations, chatKeyOf } from '../services/conversations/conversation.service.js'
import type { Outbox } from '../services/outbox/outbox.service.js'
import type { RoomBindings } from '../services/rooms/room-binding.service.js'
import { bindingHandler } from './binding.handler.js'
import type { ChatInput, ChatOutcome } from './chat-input.js'
import { type ChatContext, type ChatMiddleware, compose, createContext } from './composer.js'
import { splitTrigger, stripMentions } from './etiquette.js'
import type { ChatFlows } from './flows.js'
import { TEXT } from './replies.js'
import {
  digitHandler,
  intentHandler,
  keywordHandler,
  pendingHandler,
  privacyGuardHandler,
  type ResidentFlowDeps,
} from './resident.handlers.js'

export interface ChatHandlerDeps {
  outbox: Outbox
  conversations: Conversations
  rooms: RoomBindings
  logger: Logger
  /** The bot's display name: `@name` and a message starting with it address the bot. */
  botName: string
  flows: ChatFlows
  /** More handlers (the grid workers' inbox) run after etiquette and binding, before the resident flows. */
  extra?: ChatMiddleware[]
  pendingTtlMs?: number
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

function prepare(deps: ChatHandlerDeps): ChatMiddleware {
  return async (ctx, next) => {
    const { trigger, rest } = splitTrigger(stripMentions(ctx.input.text, deps.botName), deps.botName)
    ctx.text = rest
    ctx.trigger = trigger
    ctx.pending = await deps.conversations.getState(ctx.input.sender.contactId, ctx.chatKey)
    await next()
  }
}

/** In a group the bot speaks only when addressed; chit-chat passes by in silence. */
const etiquette: ChatMiddleware = async (ctx, next) => {
  if (!ctx.isGroup) return next()
  const { input, pending } = ctx
  const awaited = pending !== undefined && (pending.flow !== 'follow_up' || input.type !== 'text')
  ctx.addressed = input.mentionsBot || ctx.trigger !== undefined || input.quoted?.fromBot === true || awaited
  if (!ctx.addressed) {
    ctx.outcome = 'ignored:chit-chat'
    return
  }
  await next()
}

function roomBinding(rooms: RoomBindings): ChatMiddleware {
  return async (ctx, next) => {
    const room = ctx.input.room
    if (!room) return next()
    ctx.binding = await rooms.resolve(room)
    if (!ctx.binding && (await rooms.claimUnboundNotice(room.id))) await ctx.reply(TEXT.unbound)
    await next()
  }
}

/** Personal numbers posted in a group: the bot says so privately and never repeats them there. */
const privacy: ChatMiddleware = async (ctx, next) => {
  if (ctx.isGroup && containsPersonalNumber(ctx.input.text)) await ctx.reply(TEXT.privacy, { private: true })
  await next()
}

const voiceWithoutText: ChatMiddleware = async (ctx, next) => {
  if (ctx.input.type !== 'voice' || ctx.text !== '' || ctx.pending?.flow === 'follow_up') return next()
  ctx.outcome = 'voice:kept'
  await ctx.reply(TEXT.voiceNote)
}

/**
 * The chat dispatcher: small handlers composed in order (prepare → binding commands → etiquette →
 * room binding → privacy → extra → pending flow → digits → keywords → intent), inside one error
 * boundary that logs the failure with its context and apologises in Chinese.
 */
export function createChatHandler(deps: ChatHandlerDeps): ChatHandler {
  const flowDeps: ResidentFlowDeps = {
    flows: deps.flows,
    conversations: deps.conversations,
    pendingTtlMs: deps.pendingTtlMs ?? 10 * 60_000,
    followUpTtlMs: deps.followUpTtlMs ?? 10 * 60_000,
  }
  const run = compose([
    prepare(deps),
    bindingHandler(deps.rooms),
    etiquette,
    roomBinding(deps.rooms),
    privacy,
    voiceWithoutText,
    privacyGuardHandler(),
    ...(deps.extra ?? []),
    pendingHandler(flowDeps),
    digitHandler(flowDeps),
    keywordHandler(flowDeps),
    intentHandler(flowDeps),
  ])
  return async (input, options = {}) => {
    const ctx = createContext(input, chatKeyOf(input.room?.id, input.sender.contactId), deps)
    try {
      await run(ctx)
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
