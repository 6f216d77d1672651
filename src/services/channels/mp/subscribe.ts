import { ResidentModel } from '../../../models/registry.model.js'
import {
  type Channel,
  type ChannelAddress,
  ChannelError,
  type ChannelErrorKind,
  type ChannelMessage,
  type MessagePurpose,
} from '../channel.js'
import { TrackedChannel } from '../health.js'
import type { MpSubscriptions, MpTemplates } from './subscriptions.js'

/**
 * Mini-program subscribe messages (小程序订阅消息), plain HTTPS with node's fetch.
 * Docs: 「获取接口调用凭据」 getAccessToken
 *   https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-access-token/getAccessToken.html
 * 「发送订阅消息」 sendMessage (field rules, error codes)
 *   https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
 * 「小程序订阅消息」 guide (one-time vs long-term subscriptions)
 *   https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html
 */
export interface MpSettings {
  appId?: string
  appSecret?: string
  apiBase: string
  timeoutMs: number
  templates: MpTemplates
}

/** The kind of a WeChat errcode returned by subscribe/send. */
export function classifyWechatErrcode(code: number): ChannelErrorKind {
  if (code === 40001 || code === 42001 || code === 40014 || code === 40125 || code === 40013) return 'auth'
  if (code === 43101 || code === 40003) return 'recipient'
  if (code === 45009 || code === 45011) return 'rate_limited'
  if (code === -1) return 'unavailable'
  return 'rejected' // 47003 data invalid, 40037 template id invalid, 41030 page invalid…
}

const chars = (s: string) => Array.from(s)
const cut = (s: string, n: number) => {
  const c = chars(s.trim())
  return c.length <= n ? c.join('') : `${c.slice(0, n - 1).join('')}…`
}

/** 2026年12月7日 14:05 in Beijing time, the format the `time`/`date` fields take. */
function beijing(value: string, withTime: boolean): string {
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value.trim()
  const b = new Date(d.getTime() + 8 * 3600_000)
  const date = `${b.getUTCFullYear()}年${b.getUTCMonth() + 1}月${b.getUTCDate()}日`
  const hm = `${String(b.getUTCHours()).padStart(2, '0')}:${String(b.getUTCMinutes()).padStart(2, '0')}`
  return withTime ? `${date} ${hm}` : date
}

/**
 * Formats one template value by its field's type (the key without its number: thing1 → thing), per the
 * sendMessage doc: thing ≤ 20 characters, character_string ≤ 32 letters/digits/symbols, number ≤ 32 digits,
 * letter ≤ 32, symbol ≤ 5, phrase ≤ 5 Chinese characters, name ≤ 10, phone_number ≤ 17, car_number ≤ 8,
 * time 「2019年10月1日 15:01」, date 「2019年10月1日」.
 */
export function formatField(field: string, value: string): string {
  const type = field.replace(/\d+$/, '')
  switch (type) {
    case 'thing':
      return cut(value, 20)
    case 'character_string':
      return chars(value.replace(/[^\x21-\x7e]/g, ''))
        .slice(0, 32)
        .join('')
    case 'number':
      return value.replace(/[^\d.]/g, '').slice(0, 32)
    case 'letter':
      return value.replace(/[^A-Za-z]/g, '').slice(0, 32)
    case 'symbol':
      return chars(value.replace(/[\p{L}\p{N}\s]/gu, ''))
        .slice(0, 5)
        .join('')
    case 'phrase':
      return chars(value.replace(/[^\p{Script=Han}]/gu, ''))
        .slice(0, 5)
        .join('')
    case 'name':
      return chars(value.trim()).slice(0, 10).join('')
    case 'phone_number':
      return value.replace(/[^\d+-]/g, '').slice(0, 17)
    case 'car_number':
      return chars(value.replace(/\s/g, '')).slice(0, 8).join('')
    case 'time':
      return beijing(value, true)
    case 'date':
      return beijing(value, false)
    default:
      return cut(value, 20)
  }
}

/** access_token from cgi-bin/token, cached until shortly before it expires; `invalidate` after 40001/42001. */
export function createWechatTokenSource(s: MpSettings, now: () => number = Date.now) {
  let cached: { token: string; until: number } | undefined
  let pending: Promise<string> | undefined
  async function fetchToken(): Promise<string> {
    if (!s.appId || !s.appSecret)
      throw new ChannelError('auth', '小程序未配置 AppID 或 AppSecret', 'NotConfigured')
    const url = new URL('/cgi-bin/token', s.apiBase)
    url.search = new URLSearchParams({
      grant_type: 'client_credential',
      appid: s.appId,
      secret: s.appSecret,
    }).toString()
    const body = await getJson(url, undefined, s.timeoutMs)
    const token = body.access_token
    if (typeof token !== 'string' || !token) {
      throw new ChannelError(
        'auth',
        `获取小程序接口凭据失败（${body.errcode ?? '?'}）`,
        Number(body.errcode ?? 0),
      )
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 7200
    cached = { token, until: now() + Math.max(60, expiresIn - 300) * 1000 }
    return token
  }
  return {
    async get(): Promise<string> {
      if (cached && cached.until > now()) return cached.token
      pending ??= fetchToken().finally(() => {
        pending = undefined
      })
      return pending
    },
    invalidate(token: string): void {
      if (cached?.token === token) cached = undefined
    },
  }
}

async function getJson(url: URL, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new ChannelError('unavailable', `微信接口连接失败：${(err as Error).message}`)
  }
  if (res.status >= 500) throw new ChannelError('unavailable', `微信接口暂时不可用（HTTP ${res.status}）`)
  const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined
  if (!json) throw new ChannelError('unavailable', `微信接口回复无法识别（HTTP ${res.status}）`)
  return json
}

const MP_PURPOSES = ['update', 'rating', 'reminder'] as const satisfies readonly MessagePurpose[]

/**
 * Subscribe messages as a Channel. The address is the resident's mini-program openid; the template is
 * `miniprogram.templates.<purpose>`; each send spends one of the person's recorded subscriptions (one-time
 * templates) before calling WeChat, and gives it back when WeChat did not deliver for a reason that leaves
 * the subscription unspent (rate, unavailable, rejected data).
 */
export class MpSubscribeChannel extends TrackedChannel implements Channel {
  readonly name = 'mp_subscribe' as const
  readonly purposes: readonly MessagePurpose[] = MP_PURPOSES
  private readonly token: ReturnType<typeof createWechatTokenSource>

  constructor(
    private readonly settings: MpSettings,
    private readonly subscriptions: MpSubscriptions,
    private readonly now: () => number = Date.now,
  ) {
    super(now)
    this.token = createWechatTokenSource(settings, now)
  }

  async send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }> {
    this.admit(to, message, '订阅消息')
    const template = this.settings.templates[message.purpose]
    if (!template)
      throw new ChannelError('rejected', `没有配置「${message.purpose}」的订阅消息模板`, 'NoTemplate')
    const person = await ResidentModel.findOne({ 'wechat.openid': to.id, erasedAt: null }, { _id: 1 }).lean()
    if (!person) throw new ChannelError('recipient', '找不到这个小程序用户', 40003)
    const data = this.data(template.fields, message)
    const spent = await this.subscriptions.consume(String(person._id), template.id, message.key)
    if (!spent) throw new ChannelError('recipient', '居民没有订阅这类消息或订阅已用完', 43101)
    const page =
      template.page && message.refs?.caseNumber
        ? `${template.page}?number=${message.refs.caseNumber}`
        : template.page
    const payload = {
      touser: to.id,
      template_id: template.id,
      ...(page ? { page } : {}),
      data,
      lang: 'zh_CN',
    }
    try {
      await this.post(payload)
      this.tracker.mark('up')
      return {}
    } catch (err) {
      if (!(err instanceof ChannelError) || err.kind !== 'recipient') await spent.release()
      this.tracker.failed(err, { auth: '小程序接口凭据被拒绝', unavailable: '微信接口暂时不可用' })
      throw err
    }
  }

  private data(fields: Record<string, string>, message: ChannelMessage): Record<string, { value: string }> {
    const out: Record<string, { value: string }> = {}
    for (const [field, param] of Object.entries(fields)) {
      const raw =
        message.template?.params[param] ??
        (param === 'text'
          ? message.text
          : (message.refs as Record<string, string | undefined> | undefined)?.[param])
      if (raw === undefined || raw === '') {
        throw new ChannelError('rejected', `订阅消息模板缺少「${param}」`, 'MissingParams')
      }
      out[field] = { value: formatField(field, raw) }
    }
    return out
  }

  /** POST subscribe/send; on 40001/42001 the token is refreshed once and the send retried. */
  private async post(payload: object): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token.get()
      const url = new URL('/cgi-bin/message/subscribe/send', this.settings.apiBase)
      url.searchParams.set('access_token', token)
      const body = await getJson(url, payload, this.settings.timeoutMs)
      const code = Number(body.errcode ?? 0)
      if (code === 0) return
      if ((code === 40001 || code === 42001) && attempt === 0) {
        this.token.invalidate(token)
        continue
      }
      throw new ChannelError(
        classifyWechatErrcode(code),
        `订阅消息发送失败：${String(body.errmsg ?? code)}`,
        code,
      )
    }
  }
}
