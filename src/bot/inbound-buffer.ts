import mongoose from 'mongoose'
import type { ChatHandler } from '../handlers/chat-handler.js'
import { withTimeout } from '../lib/async.js'
import {
  DatabaseUnreachableError,
  isDatabaseUnreachable,
  retryWhileUnreachable,
} from '../lib/db-availability.js'
import type { Logger } from '../lib/logger.js'
import type { Conversations } from '../services/conversations/conversation.service.js'

export interface InboundBufferOptions {
  logger: Logger
  /** Resolves when the database answers; default a `ping` on mongoose's connection. */
  ping?: () => Promise<void>
  /** How long one message is held while the database is away before giving up; default 15 minutes. */
  maxWaitMs?: number
}

async function pingMongoose(): Promise<void> {
  const db = mongoose.connection.db
  if (!db || mongoose.connection.readyState !== 1) throw new DatabaseUnreachableError()
  await db.command({ ping: 1 })
}

/**
 * The bot's conversation log, holding on to messages while the database is away: storing a message
 * and marking its progress are retried (in memory, in order per chat, since the bot awaits them)
 * until the database answers again, instead of the message being dropped. A store retried after a
 * lost answer finds its own earlier insert; that is still the first delivery, not a re-delivery.
 */
export function holdWhileDatabaseAway(
  conversations: Conversations,
  options: InboundBufferOptions,
): Conversations {
  const retry = <T>(what: string, fn: () => Promise<T>) =>
    retryWhileUnreachable(fn, { logger: options.logger, what, maxWaitMs: options.maxWaitMs })
  return {
    ...conversations,
    storeInbound(input) {
      let attempt = 0
      return retry('store a received message', async () => {
        attempt += 1
        const stored = await conversations.storeInbound(input)
        const ownEarlierInsert =
          attempt > 1 && stored.duplicate && stored.message.messageId === input.messageId
        return ownEarlierInsert && stored.message.status === 'received'
          ? { ...stored, duplicate: false }
          : stored
      })
    },
    markProcessed: (id, outcome) =>
      retry('mark a message processed', () => conversations.markProcessed(id, outcome)),
    markFailed: (id, error) => retry('mark a message failed', () => conversations.markFailed(id, error)),
  }
}

/**
 * The chat handler, run again when it ended in an error while the database was away (the handler
 * apologises instead of throwing) and its apology could not be queued either. Handling is
 * idempotent — cases by source key, replies by `reply:<messageId>:<n>` — so a rerun completes the
 * same work rather than doubling it.
 */
export function retryHandlerWhileDatabaseAway(
  handler: ChatHandler,
  options: InboundBufferOptions,
): ChatHandler {
  const ping = options.ping ?? pingMongoose
  return (input, handleOptions) =>
    retryWhileUnreachable(
      async () => {
        const outcome = await handler(input, handleOptions)
        // Failed and not even the apology could be queued: the resident heard nothing, so run it
        // again once the database is back (with the apology queued, they were told to try again).
        if (outcome.outcome.startsWith('error:') && outcome.replies.length === 0) {
          const reachable = await withTimeout(ping(), 1500).then(
            () => true,
            (err: unknown) => !isDatabaseUnreachable(err) && !/no answer/.test(String(err)),
          )
          if (!reachable) throw new DatabaseUnreachableError()
        }
        return outcome
      },
      { logger: options.logger, what: 'handle a message', maxWaitMs: options.maxWaitMs },
    )
}
