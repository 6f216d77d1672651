import { loadConfig } from '../lib/config.js'
import { silentLogger } from '../lib/logger.js'
import { buildServices, type Services } from '../main.js'
import type { Channel } from '../services/channels/channel.js'
import { type BotRuntime, startBotRuntime } from './runtime.js'

/** The configuration tests run the bot with: the mock puppet, a fast sender unless told otherwise. */
export function botTestConfig(outbox: Record<string, number> = {}, wechaty: Record<string, unknown> = {}) {
  return loadConfig(
    {},
    {
      overrides: {
        env: 'test',
        wechaty: { puppet: 'wechaty-puppet-mock', botName: '邻里小助手', ...wechaty },
        outbox: { perMinute: 60_000, jitterMs: 0, dailyBudget: 1000, maxAttempts: 3, ...outbox },
      },
    },
  )
}

/** A running bot on the mock puppet against the test database, over the real services. */
export async function startTestBot(
  options: {
    send?: boolean
    outbox?: Record<string, number>
    /** Bot settings over the test ones (a pool's `accounts`, `selfTest`). */
    wechaty?: Record<string, unknown>
    /** Self-test timing in ms (default: none within a test's time). */
    selfTestMs?: { interval?: number; timeout?: number; first?: number }
    attachmentsDir?: string
    /** Channels beside the bot (scripted ones in tests). */
    channels?: Channel[]
    /** Changes a service for the test (a failure injected into one call). */
    adjust?: (services: Services) => Services
    /** Settings over the test configuration (e.g. `speech.endpoint` of a stand-in). */
    config?: Record<string, unknown>
  } = {},
): Promise<BotRuntime & { world: NonNullable<BotRuntime['mock']>; services: Services }> {
  const config = { ...botTestConfig(options.outbox, options.wechaty), ...options.config } as ReturnType<
    typeof botTestConfig
  >
  const built = buildServices(config, silentLogger)
  const services = options.adjust ? options.adjust(built) : built
  const runtime = await startBotRuntime({
    config,
    logger: silentLogger,
    services,
    conversations: services.conversations,
    send: options.send,
    attachmentsDir: options.attachmentsDir,
    sender: { retryBaseMs: 30, idleMs: 20 },
    botReach: services.botReach,
    channels: options.channels,
    selfTestMs: options.selfTestMs,
    transcribe: services.transcribe,
  })
  if (!runtime.mock) throw new Error('the test bot needs the mock puppet')
  return { ...runtime, world: runtime.mock, services }
}

/** Polls until `check` returns true (or fails after `ms`). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
