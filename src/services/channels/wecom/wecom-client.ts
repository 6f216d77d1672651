import { type Clock, systemClock } from '../../../lib/clock.js'
import {
  type Channel,
  type ChannelAddress,
  ChannelError,
  type ChannelErrorKind,
  type ChannelHealth,
  type ChannelMessage,
  type MessagePurpose,
} from '../channel.js'

/**
 * A client of the WeCom (企业微信) server API for a self-built app, over plain HTTPS (node's fetch).
 * Documents (developer.work.weixin.qq.com/document/path/…):
 * - 获取access_token: 91039 — GET /cgi-bin/gettoken?corpid&corpsecret → access_token, expires_in (7200 s);
 *   cache it, do not call gettoken per request (the call itself is rate limited).
 * - 发送应用消息: 90236 — POST /cgi-bin/message/send?access_token; text content ≤ 2048 bytes; textcard
 *   title ≤ 128 bytes, description ≤ 512 bytes, url ≤ 2048 bytes; template_card (text_notice).
 *   Limits: one app may send the same member at most 30 messages a minute and 1000 a hour (extra
 *   messages are dropped); the daily total is 200 × the licence count (person-times).
 * - 全局错误码: 90313 — 40014 invalid access_token, 42001 expired, 40001 invalid credential, 45009 API
 *   frequency, 45033 concurrency, 60111 userid not found, 81013 all recipients invalid, 301002 no
 *   permission on the app, 45002 content too large, 44004 empty content, -1 system busy.
 * - 群机器人: 91770 — POST /cgi-bin/webhook/send?key; text ≤ 2048 bytes, markdown ≤ 4096 bytes; each
 *   robot 20 messages a minute.
 */

export const DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com'
const TOKEN_ERRORS = new Set([40014, 42001, 40001])
/** Refresh this long before the documented expiry. */
const TOKEN_MARGIN_MS = 5 * 60_000
export const TEXT_MAX_BYTES = 2048
export const MARKDOWN_MAX_BYTES = 4096
export const APP_PER_USER_PER_MINUTE = 30
export const APP_PER_USER_PER_HOUR = 1000
export const ROBOT_PER_MINUTE = 20

interface WeComReply {
  errcode?: number
  errmsg?: string
  [key: string]: unknown
}

/** The provider's errcode → what the outbox should do about it. */
export function kindOfErrcode(errcode: number): ChannelErrorKind {
  if (errcode === 45009 || errcode === 45033 || errcode === 130101) return 'rate_limited'
  if (errcode === 45047 || errcode === 45011) return 'quota_exhausted'
  if ([81013, 60111, 82001, 60103, 81010].includes(errcode)) return 'recipient'
  if (
    [40001, 40013, 40014, 41001, 42001, 40091, 60020, 301002, 301005, 40056, 93000, 48002].includes(errcode)
  ) {
    return 'auth'
  }
  if ([44004, 45002, 40008, 40058, 43004, 40003].includes(errcode)) return 'rejected'
  return errcode < 0 || errcode >= 500_000 ? 'unavailable' : 'rejected'
}

const HEALTH_TEXT: Record<ChannelErrorKind, string> = {
  rate_limited: '发送过于频繁',
  quota_exhausted: '今日发送额度已用完',
  auth: '企业微信凭据被拒绝，请检查配置',
  recipient: '收件人无法接收',
  rejected: '消息内容被拒绝',
  unavailable: '企业微信暂时无法连接',
}

/** Up/degraded/down from the last outcome: auth makes the channel down, a network error degraded. */
class HealthTracker {
  private current: ChannelHealth
  constructor(private readonly clock: Clock) {
    this.current = { state: 'up', since: clock.now() }
  }
  get(): ChannelHealth {
    return this.current
  }
  ok(): void {
    if (this.current.state !== 'up') this.current = { state: 'up', since: this.clock.now() }
  }
  /** Runs one send, recording its outcome; anything thrown leaves as a ChannelError. */
  async track<T>(send: () => Promise<T>): Promise<T> {
    try {
      const result = await send()
      this.ok()
      return result
    } catch (err) {
      const e = err instanceof ChannelError ? err : new ChannelError('unavailable', (err as Error).message)
      this.failed(e)
      throw e
    }
  }
  failed(err: ChannelError): void {
    // A recipient's or a message's own problem says nothing about the channel.
    if (err.kind === 'recipient' || err.kind === 'rejected') return
    const state = err.kind === 'auth' ? 'down' : 'degraded'
    const detail = HEALTH_TEXT[err.kind]
    if (this.current.state !== state || this.current.detail !== detail) {
      this.current = { state, detail, since: this.clock.now() }
    }
  }
}

/** A sliding window per key (one minute unless told), so we never send what WeCom would drop. */
class MinuteWindow {
  private readonly sent = new Map<string, number[]>()
  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {}
  private recent(key: string): number[] {
    const now = this.clock.now().getTime()
    const recent = (this.sent.get(key) ?? []).filter((t) => now - t < this.windowMs)
    this.sent.set(key, recent)
    return recent
  }
  allows(key: string): boolean {
    return this.recent(key).length < this.limit
  }
  take(key: string): boolean {
    const recent = this.recent(key)
    if (recent.length >= this.limit) return false
    recent.push(this.clock.now().getTime())
    return true
  }
}

async function postJson(url: string, body: unknown, timeoutMs: number): Promise<WeComReply> {
  return call(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    timeoutMs,
  )
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<WeComReply> {
  let res: Response
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new ChannelError('unavailable', `WeCom unreachable: ${(err as Error).name}`)
  }
  if (!res.ok) throw new ChannelError('unavailable', `WeCom HTTP ${res.status}`, res.status)
  try {
    return (await res.json()) as WeComReply
  } catch {
    throw new ChannelError('unavailable', 'WeCom answered with something that is not JSON')
  }
}

function errorOf(reply: WeComReply, what: string): ChannelError {
  const code = Number(reply.errcode)
  return new ChannelError(kindOfErrcode(code), `${what}: errcode ${code} ${reply.errmsg ?? ''}`.trim(), code)
}

const byteLength = (s: string) => Buffer.byteLength(s, 'utf8')

/** Cuts text into pieces of at most `max` UTF-8 bytes, preferring line breaks, never splitting a character. */
export function splitByBytes(text: string, max: number): string[] {
  const pieces: string[] = []
  let rest = text
  while (byteLength(rest) > max) {
    let cut = 0
    let bytes = 0
    for (const ch of rest) {
      const b = byteLength(ch)
      if (bytes + b > max) break
      bytes += b
      cut += ch.length
    }
    const nl = rest.lastIndexOf('\n', cut)
    const at = nl > cut / 2 ? nl + 1 : cut
    pieces.push(rest.slice(0, at).trimEnd())
    rest = rest.slice(at)
  }
  if (rest.trim()) pieces.push(rest)
  return pieces
}

/** Truncates to at most `max` UTF-8 bytes (for card titles and descriptions). */
function clipBytes(text: string, max: number): string {
  if (byteLength(text) <= max) return text
  let out = ''
  for (const ch of text) {
    if (byteLength(`${out}${ch}…`) > max) break
    out += ch
  }
  return `${out}…`
}

export interface WeComAppOptions {
  corpId: string
  secret: string
  agentId: number
  apiBase?: string
  /** Builds the link a case card opens; without it, messages go as plain text. */
  caseLink?: (caseNumber: string) => string
  /** How a case message with a link goes: 文本卡片 (textcard) or 模板卡片 (template_card, text_notice). */
  caseCard?: 'textcard' | 'template_card'
  clock?: Clock
  timeoutMs?: number
}

/** The self-built app's server API: access token, then message/send. */
export class WeComClient {
  private token?: { value: string; refreshAt: number }
  private pending?: Promise<string>
  private readonly base: string
  private readonly clock: Clock
  private readonly timeoutMs: number

  constructor(private readonly options: WeComAppOptions) {
    this.base = (options.apiBase || DEFAULT_API_BASE).replace(/\/+$/, '')
    this.clock = options.clock ?? systemClock
    this.timeoutMs = options.timeoutMs ?? 10_000
  }

  /** A cached access token, fetched again shortly before it expires (one gettoken at a time). */
  async accessToken(force = false): Promise<string> {
    if (!force && this.token && this.clock.now().getTime() < this.token.refreshAt) return this.token.value
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  private async fetchToken(): Promise<string> {
    const q = new URLSearchParams({ corpid: this.options.corpId, corpsecret: this.options.secret })
    const reply = await call(`${this.base}/cgi-bin/gettoken?${q}`, { method: 'GET' }, this.timeoutMs)
    if (reply.errcode !== 0 || typeof reply.access_token !== 'string') throw errorOf(reply, 'gettoken')
    const ttlMs = Number(reply.expires_in ?? 7200) * 1000
    this.token = {
      value: reply.access_token,
      refreshAt: this.clock.now().getTime() + Math.max(ttlMs - TOKEN_MARGIN_MS, ttlMs / 2),
    }
    return reply.access_token
  }

  /** Calls an API with the token; on a token error refreshes once and retries. */
  async post(path: string, body: unknown): Promise<WeComReply> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(attempt > 0)
      const reply = await postJson(
        `${this.base}${path}?access_token=${encodeURIComponent(token)}`,
        body,
        this.timeoutMs,
      )
      const code = Number(reply.errcode ?? 0)
      if (code === 0) return reply
      if (TOKEN_ERRORS.has(code) && attempt === 0) {
        this.token = undefined
        continue
      }
      throw errorOf(reply, path)
    }
  }

  /** message/send to one member; returns WeCom's msgid. */
  async sendToUser(userId: string, message: ChannelMessage): Promise<string | undefined> {
    const base = {
      touser: userId,
      agentid: this.options.agentId,
      enable_duplicate_check: 1,
      duplicate_check_interval: 1800,
    }
    const link = message.refs?.caseNumber && this.options.caseLink?.(message.refs.caseNumber)
    let body: Record<string, unknown>
    if (link) {
      const [first = '', ...rest] = message.text.split('\n')
      const title = first || `工单 ${message.refs?.caseNumber}`
      const detail = rest.join('\n').trim() || first
      body =
        this.options.caseCard === 'template_card'
          ? {
              ...base,
              msgtype: 'template_card',
              template_card: {
                card_type: 'text_notice',
                main_title: { title: clipBytes(title, 108), desc: `工单 ${message.refs?.caseNumber}` },
                sub_title_text: clipBytes(detail, 336),
                card_action: { type: 1, url: link },
                jump_list: [{ type: 1, title: '查看工单', url: link }],
              },
            }
          : {
              ...base,
              msgtype: 'textcard',
              textcard: {
                title: clipBytes(title, 128),
                description: clipBytes(detail, 512),
                url: link,
                btntxt: '查看工单',
              },
            }
    } else {
      if (byteLength(message.text) > TEXT_MAX_BYTES) {
        throw new ChannelError(
          'rejected',
          `text is ${byteLength(message.text)} bytes, over ${TEXT_MAX_BYTES}`,
          45002,
        )
      }
      body = { ...base, msgtype: 'text', text: { content: message.text } }
    }
    const reply = await this.post('/cgi-bin/message/send', body)
    // A partly valid send still answers errcode 0 and lists the ones it could not reach.
    const invalid = String(reply.invaliduser ?? '')
      .split('|')
      .filter(Boolean)
    if (invalid.includes(userId))
      throw new ChannelError('recipient', 'WeCom: the member cannot receive', 81013)
    return typeof reply.msgid === 'string' ? reply.msgid : undefined
  }
}

const APP_PURPOSES: readonly MessagePurpose[] = [
  'task',
  'alert',
  'digest',
  'update',
  'reply',
  'reminder',
  'notice',
]

/** The WeCom self-built app as a Channel: staff members by their WeCom userid. */
export class WeComAppChannel implements Channel {
  readonly name = 'wecom_app' as const
  readonly purposes = APP_PURPOSES
  private readonly healthState: HealthTracker
  private readonly perUser: MinuteWindow
  private readonly perUserHour: MinuteWindow

  constructor(
    readonly client: WeComClient,
    clock: Clock = systemClock,
  ) {
    this.healthState = new HealthTracker(clock)
    this.perUser = new MinuteWindow(APP_PER_USER_PER_MINUTE, clock)
    this.perUserHour = new MinuteWindow(APP_PER_USER_PER_HOUR, clock, 3600_000)
  }

  async send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }> {
    if (to.channel !== this.name || !to.id) throw new ChannelError('recipient', 'not a WeCom userid')
    // WeCom silently drops the 31st message to one member in a minute: hold it back instead.
    if (!this.perUserHour.allows(to.id) || !this.perUser.take(to.id)) {
      throw new ChannelError('rate_limited', 'over 30 a minute or 1000 an hour to one member', 45009)
    }
    this.perUserHour.take(to.id)
    const msgid = await this.healthState.track(() => this.client.sendToUser(to.id, message))
    return msgid ? { providerMessageId: msgid } : {}
  }

  health(): ChannelHealth {
    return this.healthState.get()
  }
}

export interface WeComRobotOptions {
  /** Robot name (the ChannelAddress id) → its webhook URL (…/cgi-bin/webhook/send?key=…). */
  robots: Record<string, string>
  /** markdown or text; text is split at 2048 bytes, markdown refused over 4096. */
  format?: 'text' | 'markdown'
  clock?: Clock
  timeoutMs?: number
}

/** A WeCom group robot (群机器人) webhook: posts into one group chat, 20 messages a minute. */
export class WeComRobotChannel implements Channel {
  readonly name = 'wecom_robot' as const
  readonly purposes: readonly MessagePurpose[] = ['alert', 'digest', 'notice', 'update', 'reminder']
  private readonly healthState: HealthTracker
  private readonly perRobot: MinuteWindow
  private readonly timeoutMs: number

  constructor(private readonly options: WeComRobotOptions) {
    const clock = options.clock ?? systemClock
    this.healthState = new HealthTracker(clock)
    this.perRobot = new MinuteWindow(ROBOT_PER_MINUTE, clock)
    this.timeoutMs = options.timeoutMs ?? 10_000
  }

  async send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }> {
    const url = to.channel === this.name ? this.options.robots[to.id] : undefined
    if (!url) throw new ChannelError('recipient', `no robot named ${to.id}`)
    const markdown = this.options.format === 'markdown'
    let bodies: unknown[]
    if (markdown) {
      if (byteLength(message.text) > MARKDOWN_MAX_BYTES) {
        throw new ChannelError('rejected', `markdown over ${MARKDOWN_MAX_BYTES} bytes`, 45002)
      }
      bodies = [{ msgtype: 'markdown', markdown: { content: message.text } }]
    } else {
      bodies = splitByBytes(message.text, TEXT_MAX_BYTES).map((content) => ({
        msgtype: 'text',
        text: { content },
      }))
    }
    await this.healthState.track(async () => {
      for (const body of bodies) {
        if (!this.perRobot.take(to.id))
          throw new ChannelError('rate_limited', 'over 20 messages a minute', 45009)
        const reply = await postJson(url, body, this.timeoutMs)
        if (Number(reply.errcode ?? 0) !== 0) throw errorOf(reply, 'webhook/send')
      }
    })
    return {}
  }

  health(): ChannelHealth {
    return this.healthState.get()
  }
}
