import { maskText } from '../lib/mask.js'
import type { TriageResult } from '../services/cases/triage.service.js'
import type { Ask } from '../services/conversations/asks.service.js'
import type { Outbox } from '../services/outbox/outbox.service.js'
import type { ResidentView } from '../services/registry/registry.views.js'
import type { RoomBinding } from '../services/rooms/room-binding.service.js'
import type { ChatInput, ChatReply } from './chat-input.js'

/** Everything a handler sees about one message while it is handled. */
export interface ChatContext {
  readonly input: ChatInput
  readonly isGroup: boolean
  /** `room:<id>` or `dm:<contactId>`. */
  readonly chatKey: string
  /** The text without @-mentions and without the trigger word that addressed the bot. */
  text: string
  /** The trigger word the message started with, if any. */
  trigger?: string
  /** Whether the bot was addressed (always true in a direct chat). */
  addressed: boolean
  binding?: RoomBinding
  /** The rules layer's reading of the text (no LLM): intent, urgency, danger, place. */
  triaged?: TriageResult
  /** The bot's open questions this message may answer, newest first. */
  asks: Ask[]
  outcome: string
  readonly replies: ChatReply[]
  /** The registry person behind the sender (created on first contact), looked up once. */
  me(): Promise<ResidentView>
  /** Queues a reply in the same chat (masked in groups), or privately to the sender. */
  /**
   * Queues a reply. To a group, phone and ID numbers are masked, except `publicNumbers` (numbers a
   * published policy document gives, such as an office's hotline).
   */
  reply(text: string, options?: { private?: boolean; publicNumbers?: readonly string[] }): Promise<void>
}

/** A small handler: does its part and calls `next()` when the message is not (only) its business. */
export type ChatMiddleware = (ctx: ChatContext, next: () => Promise<void>) => Promise<void>

/** Runs middlewares in order, grammY-style: each decides whether to pass the message on. */
export function compose(middlewares: readonly ChatMiddleware[]): (ctx: ChatContext) => Promise<void> {
  return async (ctx) => {
    async function run(i: number): Promise<void> {
      const mw = middlewares[i]
      if (!mw) return
      await mw(ctx, () => run(i + 1))
    }
    await run(0)
  }
}

export interface ContextDeps {
  outbox: Outbox
  /** Finds (or creates) the person behind the sender; `home` is where a new contact belongs. */
  personOf(ctx: ChatContext): Promise<ResidentView>
}

/**
 * Builds the context of one message. Replies are outbox messages keyed `reply:<messageId>:<n>`, so a
 * message handled again after a crash queues the same keys and nothing is sent twice.
 */
export function createContext(input: ChatInput, chatKey: string, deps: ContextDeps): ChatContext {
  let n = 0
  let person: Promise<ResidentView> | undefined
  const ctx: ChatContext = {
    input,
    isGroup: input.room !== undefined,
    chatKey,
    text: input.text.trim(),
    addressed: input.room === undefined,
    asks: [],
    outcome: 'unhandled',
    replies: [],
    me() {
      person ??= deps.personOf(ctx)
      return person
    },
    async reply(text, options = {}) {
      n += 1
      const toRoom = input.room !== undefined && !options.private
      const reply: ChatReply = {
        key: `reply:${input.messageId}:${n}`,
        to:
          toRoom && input.room
            ? { type: 'room', id: input.room.id }
            : { type: 'contact', id: input.sender.contactId },
        text: toRoom ? maskText(text, options.publicNumbers) : text,
      }
      await deps.outbox.enqueue({ ...reply, kind: 'reply', refs: { messageId: input.messageId } })
      ctx.replies.push(reply)
    },
  }
  return ctx
}
