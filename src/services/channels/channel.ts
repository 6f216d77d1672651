/**
 * The channel layer's contract (issue 15): every outgoing message names a recipient and a purpose;
 * the outbox picks a channel from the recipient's reachable channels, the purpose and each channel's
 * limits, records which channel delivered it, and fails over in a configured order.
 *
 * A Channel is one official or unofficial transport (the Wechaty group bot, a WeCom self-built app,
 * a WeCom group robot webhook, 微信客服, mini-program subscribe messages, SMS). It only delivers; choosing,
 * pacing, retry and failover are the outbox's.
 */

/** The transports Linli knows. */
export const CHANNEL_NAMES = [
  'wechaty',
  'wecom_app',
  'wecom_robot',
  'wecom_kf',
  'mp_subscribe',
  'sms',
] as const
export type ChannelName = (typeof CHANNEL_NAMES)[number]

/** Why a message is sent: decides which channels may carry it (e.g. SMS only for updates/alerts). */
export const MESSAGE_PURPOSES = [
  'reply',
  'alert',
  'task',
  'update',
  'rating',
  'reminder',
  'notice',
  'digest',
] as const
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number]

/** Where a channel delivers: its own address kind (a Wechaty room/contact, a WeCom userid, an openid, a phone). */
export interface ChannelAddress {
  channel: ChannelName
  /** wechaty: `room:<id>` or `contact:<id>`; wecom_app: WeCom userid; wecom_robot: webhook name in config;
   *  wecom_kf: the resident's external_userid at the 微信客服 account; mp_subscribe: the mini-program openid; sms: the phone number (E.164 or 11-digit CN mobile). */
  id: string
}

/** What is sent. `template` carries the fields template-based channels need (subscribe messages, SMS). */
export interface ChannelMessage {
  /** The outbox key: unique per message; a channel that supports idempotency passes it on. */
  key: string
  purpose: MessagePurpose
  text: string
  /** For template channels: the template's name in configuration and its parameters, in order. */
  template?: { name: string; params: Record<string, string> }
  /** Case number etc., for a WeCom template card's link or a subscribe message's page. */
  refs?: { caseNumber?: string; noticeId?: string; eventId?: string }
}

/** A failed send, classified so the outbox knows whether to retry, wait, or fail over. */
export type ChannelErrorKind =
  | 'rate_limited' // slow down and retry this channel later (e.g. WeCom 45009, robot 130101)
  | 'quota_exhausted' // this channel's budget is spent for the period: fail over
  | 'auth' // token/signature/credentials rejected after one refresh: channel unhealthy, fail over
  | 'recipient' // this address cannot receive (not subscribed, not a member, bad phone): fail over
  | 'rejected' // the service refused the content (template mismatch, too long): do not retry as is
  | 'unavailable' // network error, 5xx, logged out bot: retry later or fail over
export class ChannelError extends Error {
  constructor(
    readonly kind: ChannelErrorKind,
    message: string,
    /** The provider's own code (WeCom errcode, SMS Code…), for logs and metrics. */
    readonly providerCode?: string | number,
  ) {
    super(message)
    this.name = 'ChannelError'
  }
}

export interface ChannelHealth {
  state: 'up' | 'degraded' | 'down'
  /** Human-readable, Chinese, for the console and alerts: 「已掉线」「发送过于频繁」. */
  detail?: string
  since: Date
}

export interface Channel {
  readonly name: ChannelName
  /** Purposes this channel may carry (configuration can narrow it further). */
  readonly purposes: readonly MessagePurpose[]
  /** Sends one message; resolves with the provider's message id when it gives one; throws ChannelError. */
  send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }>
  /** The channel's current health as this process sees it (login state, last errors, self-test). */
  health(): ChannelHealth
}

/** One channel of one bot account, as /readyz, /metrics and the console show it. */
export interface ChannelSource {
  channel: ChannelName
  /** The bot account (`default` for the main one; official channels are the deployment's, `default`). */
  account: string
  health(): ChannelHealth
  /** A Wechaty account's last self-test verdict. */
  selfTest?(): { state: 'ok' | 'failed' | 'pending' | 'off'; at?: Date; detail?: string }
}

/** Channels of one account as sources (tests, and processes with one account). */
export function sourcesOf(channels: readonly Channel[], account = 'default'): ChannelSource[] {
  return channels.map((c) => ({ channel: c.name, account, health: () => c.health() }))
}
