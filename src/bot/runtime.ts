import { type ChatHandler, type ChatServices, createChatHandler } from '../handlers/chat-handler.js'
import type { Config } from '../lib/config.js'
import { fieldCryptoFromConfig } from '../lib/crypto.js'
import type { Logger } from '../lib/logger.js'
import type { Channel, ChannelSource } from '../services/channels/channel.js'
import { createChannelRegistry } from '../services/channels/channels.registry.js'
import { answerSelfTest, createSelfTest, type SelfTest } from '../services/channels/self-test.js'
import { createWechatyChannel, type WechatyChannel } from '../services/channels/wechaty-channel.js'
import type { Conversations } from '../services/conversations/conversation.service.js'
import { type BotReach, MAIN_ACCOUNT } from '../services/outbox/bot-accounts.js'
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
  /** The pool's memory of which account reaches which group or person (main.ts's, shared with the outbox). */
  botReach?: BotReach
  /** Self-test timing for tests, in ms (default from `wechaty.selfTest`). */
  selfTestMs?: { interval?: number; timeout?: number; first?: number }
}

export interface BotAccountRuntime {
  /** `default` for the main account; the pool's others as configured (`wechaty.accounts`). */
  id: string
  bot: Bot
  sender: OutboxSender
  channel: WechatyChannel
  /** Absent when the account has no probe contact (a lone real account without `selfTest.contact`). */
  selfTest?: SelfTest
  /** Present with the mock puppet. */
  mock?: MockWorld
}

export interface BotRuntime {
  /** The main account's bot, sender and mock world. */
  bot: Bot
  sender: OutboxSender
  handler: ChatHandler
  conversations: Conversations
  rooms: RoomBindings
  /** Present with the mock puppet: the world the simulator and tests drive. */
  mock?: MockWorld
  /** Every account of the pool, the main one first. */
  accounts: BotAccountRuntime[]
  /** Each account's Wechaty channel, then the official channels once. */
  channelSources(): ChannelSource[]
  stop(): Promise<void>
}

interface AccountSpec {
  id: string
  config: Config
  limits: Config['outbox']
  selfTestContact?: string
}

/** The main account and the pool's others, each with the settings its bot and sender run with. */
function accountSpecs(config: Config): AccountSpec[] {
  const main: AccountSpec = {
    id: MAIN_ACCOUNT,
    config,
    limits: config.outbox,
    selfTestContact: config.wechaty.selfTest.contact,
  }
  return [
    main,
    ...config.wechaty.accounts.map((a) => ({
      id: a.id,
      config: {
        ...config,
        wechaty: {
          ...config.wechaty,
          puppet: a.puppet ?? config.wechaty.puppet,
          puppetToken: a.tokenEnv ? process.env[a.tokenEnv] : undefined,
          botName: a.botName ?? config.wechaty.botName,
        },
      },
      limits: {
        ...config.outbox,
        perMinute: a.perMinute ?? config.outbox.perMinute,
        dailyBudget: a.dailyBudget ?? config.outbox.dailyBudget,
      },
      selfTestContact: a.selfTestContact,
    })),
  ]
}

/**
 * Starts the bot accounts and their outbox senders: per account the puppet from configuration (a
 * mock world with `wechaty-puppet-mock`, logged in at once), its sender (its own lease, pace and
 * budget) and its self-test; then replays messages stored before the last stop, then drains the
 * outbox. `main.ts` calls this behind `wechaty.enabled`.
 */
export async function startBotRuntime(options: BotRuntimeOptions): Promise<BotRuntime> {
  const { config, logger, services, conversations } = options
  const { clock, rooms, outbox } = services
  const handler = createChatHandler({ services, logger, botName: config.wechaty.botName })
  const reach = options.botReach
  const crypto = fieldCryptoFromConfig(config, logger)
  const held = { logger }
  const specs = accountSpecs(config)
  const accounts: BotAccountRuntime[] = []
  const tests: SelfTest[] = []
  const selfTest = config.wechaty.selfTest

  for (const [i, spec] of specs.entries()) {
    const mock =
      spec.config.wechaty.puppet === MOCK_PUPPET ? createMockWorld(spec.config.wechaty.botName) : undefined
    const accountLog = specs.length > 1 ? logger.child({ account: spec.id }) : logger
    let test: SelfTest | undefined
    // While the database is away, received messages are held and retried instead of dropped.
    const bot = createBot({
      config: spec.config,
      logger: accountLog,
      name: spec.id === MAIN_ACCOUNT ? 'linli' : `linli-${spec.id}`,
      handler: retryHandlerWhileDatabaseAway(handler, held),
      conversations: holdWhileDatabaseAway(conversations, held),
      rooms,
      clock,
      puppet: mock?.puppet,
      transcribe: options.transcribe,
      attachmentsDir: options.attachmentsDir,
      printQr: !mock && process.stdout.isTTY === true,
      afterStart: mock
        ? () => {
            if (!mock.puppet.isLoggedIn) mock.mocker.login(mock.botUser)
          }
        : undefined,
      intercept: async ({ text, fromContactId, inRoom }) =>
        !inRoom &&
        (await answerSelfTest({ text, fromContactId, transport: bot.transport, tests, now: clock.now() })),
      onHeard: reach ? (target) => reach.note(spec.id, target) : undefined,
      onLogin: () => void test?.runOnce(),
    })
    // The probe goes to the configured contact, the mock world's watch contact, or the next account
    // of the pool while that one is logged in (its bot sends the receipt).
    const peer = () => accounts[(i + 1) % specs.length]
    const contact = (): string | undefined => {
      if (spec.selfTestContact) return spec.selfTestContact
      if (mock) return mock.watch.contact.id
      const other = specs.length > 1 ? peer()?.bot.status() : undefined
      return other?.loggedIn ? other.user?.id : undefined
    }
    if (selfTest.enabled && (spec.selfTestContact || mock || specs.length > 1)) {
      test = createSelfTest({
        account: spec.id,
        transport: bot.transport,
        contact,
        clock,
        intervalMs: options.selfTestMs?.interval ?? selfTest.intervalMinutes * 60_000,
        timeoutMs: options.selfTestMs?.timeout ?? selfTest.timeoutMinutes * 60_000,
        firstDelayMs: options.selfTestMs?.first,
        logger: accountLog,
      })
      tests.push(test)
    }
    const probe = test
    const channel = createWechatyChannel(bot.transport, {
      account: spec.id,
      selfTest: probe ? () => probe.verdict() : undefined,
    })
    const sender = createOutboxSender({
      account: spec.id,
      limits: spec.limits,
      outbox,
      timezone: config.timezone,
      logger: accountLog,
      transport: bot.transport,
      channels: createChannelRegistry({
        channels: [channel, ...(options.channels ?? [])],
        config: config.channels,
        timezone: config.timezone,
      }),
      crypto,
      conversations,
      clock,
      ...options.sender,
    })
    accounts.push({ id: spec.id, bot, sender, channel, selfTest: test, mock })
  }

  for (const a of accounts) {
    await a.bot.start()
    await waitForLogin(a.bot, a.mock ? 5000 : 0)
    if (options.send !== false) await a.sender.start()
    a.selfTest?.start()
  }
  const main = accounts[0] as BotAccountRuntime
  // Messages stored before the last stop are replayed in the background (by the main account: the
  // log is shared): after a crash with a backlog the service answers at once instead of after it.
  void main.bot.recover().then(
    (replayed) => {
      if (replayed > 0) logger.info({ replayed }, 'replayed messages stored before the last stop')
    },
    (err: unknown) => logger.error({ err }, 'messages stored before the last stop could not be replayed'),
  )
  return {
    bot: main.bot,
    sender: main.sender,
    handler,
    conversations,
    rooms,
    mock: main.mock,
    accounts,
    channelSources() {
      const wechaty: ChannelSource[] = accounts.map((a) => ({
        channel: 'wechaty',
        account: a.id,
        health: () => a.channel.health(),
        selfTest: () => a.channel.selfTest(),
      }))
      const official: ChannelSource[] = (options.channels ?? []).map((c) => ({
        channel: c.name,
        account: MAIN_ACCOUNT,
        health: () => c.health(),
      }))
      return [...wechaty, ...official]
    },
    async stop() {
      for (const a of accounts) {
        await a.selfTest?.stop()
        await a.sender.stop()
        await a.bot.stop()
      }
    },
  }
}

async function waitForLogin(bot: Bot, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!bot.status().loggedIn && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}
