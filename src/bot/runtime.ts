import { type ChatHandler, type ChatServices, createChatHandler } from '../handlers/chat-handler.js'
import type { Config } from '../lib/config.js'
import { fieldCryptoFromConfig } from '../lib/crypto.js'
import type { Logger } from '../lib/logger.js'
import type { Channel } from '../services/channels/channel.js'
import { createChannelRegistry } from '../services/channels/channels.registry.js'
import { createWechatyChannel } from '../services/channels/wechaty-channel.js'
import type { Conversations } from '../services/conversations/conversation.service.js'
import { createOutboxSender, type OutboxSender } from '../services/outbox/outbox.sender.js'
import type { RoomBindings } from '../services/rooms/room-binding.service.js'
import { type Bot, createBot, type Transcribe } from './bot.js'
import { holdWhileDatabaseAway, retryHandlerWhileDatabaseAway } from './inbound-buffer.js'
import { createMockWorld, type MockWorld } from './mock-world.js'

export const MOCK_PUPPET = 'wechaty-puppet-mock'

export interface BotRuntimeOptions {
  config: Config
  logger: Logger
  /** The services the chat calls (built once in main.ts). */
  services: ChatServices
  /** The conversation log the bot stores every message in first. */
  conversations: Conversations
  transcribe?: Transcribe
  attachmentsDir?: string
  /** Start the outbox sender too (default true). */
  send?: boolean
  /** Channels besides the Wechaty bot (WeCom app, subscribe messages, SMS), tried in `channels.order`. */
  channels?: Channel[]
  /** Sender tuning for tests. */
  sender?: { retryBaseMs?: number; idleMs?: number }
}

export interface BotRuntime {
  bot: Bot
  sender: OutboxSender
  handler: ChatHandler
  conversations: Conversations
  rooms: RoomBindings
  /** Present with the mock puppet: the world the simulator and tests drive. */
  mock?: MockWorld
  stop(): Promise<void>
}

/**
 * Starts the bot and the outbox sender: the puppet from configuration (the mock world with
 * `wechaty-puppet-mock`, logged in at once), then replays messages stored before the last stop,
 * then drains the outbox. `main.ts` calls this behind `wechaty.enabled`.
 */
export async function startBotRuntime(options: BotRuntimeOptions): Promise<BotRuntime> {
  const { config, logger, services, conversations } = options
  const { clock, rooms, outbox } = services
  const handler = createChatHandler({ services, logger, botName: config.wechaty.botName })
  const world = config.wechaty.puppet === MOCK_PUPPET ? createMockWorld(config.wechaty.botName) : undefined
  // While the database is away, received messages are held and retried instead of dropped.
  const held = { logger }
  const bot = createBot({
    config,
    logger,
    handler: retryHandlerWhileDatabaseAway(handler, held),
    conversations: holdWhileDatabaseAway(conversations, held),
    rooms,
    clock,
    puppet: world?.puppet,
    transcribe: options.transcribe,
    attachmentsDir: options.attachmentsDir,
    printQr: !world && process.stdout.isTTY === true,
    afterStart: world
      ? () => {
          if (!world.puppet.isLoggedIn) world.mocker.login(world.botUser)
        }
      : undefined,
  })
  const sender = createOutboxSender({
    limits: config.outbox,
    outbox,
    timezone: config.timezone,
    logger,
    transport: bot.transport,
    channels: createChannelRegistry({
      channels: [createWechatyChannel(bot.transport), ...(options.channels ?? [])],
      config: config.channels,
      timezone: config.timezone,
    }),
    crypto: fieldCryptoFromConfig(config, logger),
    conversations,
    clock,
    ...options.sender,
  })
  await bot.start()
  await waitForLogin(bot, world ? 5000 : 0)
  if (options.send !== false) await sender.start()
  // Messages stored before the last stop are replayed in the background: after a crash with a
  // backlog the service answers (and sends replies) at once instead of after the whole replay.
  void bot.recover().then(
    (replayed) => {
      if (replayed > 0) logger.info({ replayed }, 'replayed messages stored before the last stop')
    },
    (err: unknown) => logger.error({ err }, 'messages stored before the last stop could not be replayed'),
  )
  return {
    bot,
    sender,
    handler,
    conversations,
    rooms,
    mock: world,
    async stop() {
      await sender.stop()
      await bot.stop()
    },
  }
}

async function waitForLogin(bot: Bot, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!bot.status().loggedIn && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}
