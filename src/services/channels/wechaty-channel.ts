import type { ChatTransport } from '../outbox/chat-transport.js'
import {
  type Channel,
  type ChannelAddress,
  ChannelError,
  type ChannelHealth,
  MESSAGE_PURPOSES,
  type MessagePurpose,
} from './channel.js'
import type { SelfTestVerdict } from './self-test.js'

/** Failures within this window, with no success since, make the channel `degraded`. */
const ERROR_WINDOW_MS = 5 * 60_000
const DEGRADED_AFTER = 3

/** `room:<id>` / `contact:<id>` → the Wechaty target. */
export function parseWechatyAddress(id: string): { type: 'room' | 'contact'; id: string } | undefined {
  const m = /^(room|contact):(.+)$/.exec(id)
  return m ? { type: m[1] as 'room' | 'contact', id: m[2] as string } : undefined
}

export interface WechatyChannel extends Channel {
  readonly transport: ChatTransport
  /** The bot account this channel sends as (`default` for the main one). */
  readonly account: string
  /** The account's last self-test verdict (`off` when it has none). */
  selfTest(): SelfTestVerdict
}

/**
 * The Wechaty group bot as a Channel (all purposes): sends through the existing ChatTransport.
 * Health: `down` while logged out (no `self()`) or while its self-test probe does not come back
 * (silently throttled or banned), `degraded` after a few recent send errors with no success since,
 * else `up`. Every transport error is `unavailable` (Wechaty gives no error codes).
 */
export function createWechatyChannel(
  transport: ChatTransport,
  options: { now?: () => number; account?: string; selfTest?: () => SelfTestVerdict } = {},
): WechatyChannel {
  const now = options.now ?? Date.now
  const selfTest = options.selfTest ?? ((): SelfTestVerdict => ({ state: 'off' }))
  let errors: number[] = []
  let state: ChannelHealth['state'] = 'up'
  let since = new Date(now())
  function health(): ChannelHealth {
    const t = now()
    errors = errors.filter((at) => at > t - ERROR_WINDOW_MS)
    const probe = selfTest()
    const loggedOut = !transport.self()
    const next: ChannelHealth['state'] =
      loggedOut || probe.state === 'failed' ? 'down' : errors.length >= DEGRADED_AFTER ? 'degraded' : 'up'
    if (next !== state) {
      state = next
      since = new Date(t)
    }
    const detail = loggedOut
      ? '机器人已掉线'
      : state === 'down'
        ? probe.detail
        : state === 'degraded'
          ? '最近多次发送失败'
          : undefined
    return { state, detail, since }
  }
  return {
    name: 'wechaty',
    purposes: MESSAGE_PURPOSES as readonly MessagePurpose[],
    transport,
    account: options.account ?? 'default',
    selfTest,
    health,
    async send(to: ChannelAddress, message) {
      const target = parseWechatyAddress(to.id)
      if (!target) throw new ChannelError('recipient', `not a Wechaty address: ${to.id}`)
      if (!transport.self()) throw new ChannelError('unavailable', '机器人已掉线')
      try {
        if (target.type === 'room') await transport.sendToRoom(target.id, message.text)
        else await transport.sendToContact(target.id, message.text)
      } catch (err) {
        errors.push(now())
        if (err instanceof ChannelError) throw err
        throw new ChannelError('unavailable', err instanceof Error ? err.message : String(err))
      }
      errors = []
      return {}
    },
  }
}
