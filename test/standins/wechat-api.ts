import { randomUUID } from 'node:crypto'
import { listenLoopback, sendJson } from './http-standin.js'

/**
 * A loopback stand-in for the WeChat server API the mini-program backend calls: `cgi-bin/token`
 * (client_credential; 40013 bad appid, 40125 bad secret) and `cgi-bin/message/subscribe/send`, which
 * rejects unknown tokens (40001) and expired ones (42001), unknown templates (40037), openids without a
 * subscription to the template (43101; one-time subscriptions are used up by one message), data that
 * breaks the field rules (47003) and, when `dailyQuota` is spent, 45009.
 */
export interface WechatApiStandIn {
  apiBase: string
  /** What `wx.requestSubscribeMessage` accepted, by `${openid}:${templateId}`: remaining one-time count. */
  subscribe(openid: string, templateId: string, times?: number): void
  /** Every token issued so far stops working (as when it expires). */
  expireTokens(): void
  sent: Array<{ touser: string; template_id: string; page?: string; data: Record<string, { value: string }> }>
  tokenCalls: number
  close(): Promise<void>
}

const RULES: Record<string, (v: string) => boolean> = {
  thing: (v) => Array.from(v).length <= 20,
  character_string: (v) => /^[\x21-\x7e]{0,32}$/.test(v),
  number: (v) => /^[\d.]{0,32}$/.test(v),
  letter: (v) => /^[A-Za-z]{0,32}$/.test(v),
  phrase: (v) => /^\p{Script=Han}{0,5}$/u.test(v),
  time: (v) => /^(\d{4}年\d{1,2}月\d{1,2}日 )?\d{2}:\d{2}$/.test(v),
  date: (v) => /^\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?$/.test(v),
  name: (v) => Array.from(v).length <= 10,
}

export async function startWechatApiStandIn(o: {
  appId: string
  appSecret: string
  /** Known templates: id → its field keys. */
  templates: Record<string, string[]>
  dailyQuota?: number
}): Promise<WechatApiStandIn> {
  const live = new Set<string>()
  const expired = new Set<string>()
  const subs = new Map<string, number>()
  let quota = o.dailyQuota ?? Number.POSITIVE_INFINITY
  const state: WechatApiStandIn = {
    apiBase: '',
    sent: [],
    tokenCalls: 0,
    subscribe: (openid, templateId, times = 1) =>
      subs.set(`${openid}:${templateId}`, (subs.get(`${openid}:${templateId}`) ?? 0) + times),
    expireTokens: () => {
      for (const t of live) expired.add(t)
      live.clear()
    },
    close: async () => undefined,
  }
  const server = await listenLoopback((req, raw, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const q = url.searchParams
    if (url.pathname === '/cgi-bin/token') {
      state.tokenCalls++
      if (q.get('grant_type') !== 'client_credential')
        return sendJson(res, { errcode: 40002, errmsg: 'invalid grant_type' })
      if (q.get('appid') !== o.appId) return sendJson(res, { errcode: 40013, errmsg: 'invalid appid' })
      if (q.get('secret') !== o.appSecret)
        return sendJson(res, { errcode: 40125, errmsg: 'invalid appsecret' })
      const token = `tok-${randomUUID()}`
      live.add(token)
      return sendJson(res, { access_token: token, expires_in: 7200 })
    }
    if (url.pathname === '/cgi-bin/message/subscribe/send' && req.method === 'POST') {
      const token = q.get('access_token') ?? ''
      if (expired.has(token)) return sendJson(res, { errcode: 42001, errmsg: 'access_token expired' })
      if (!live.has(token)) return sendJson(res, { errcode: 40001, errmsg: 'invalid credential' })
      const body = JSON.parse(raw) as WechatApiStandIn['sent'][number]
      const fields = o.templates[body.template_id]
      if (!fields) return sendJson(res, { errcode: 40037, errmsg: 'invalid template_id' })
      const key = `${body.touser}:${body.template_id}`
      if ((subs.get(key) ?? 0) < 1)
        return sendJson(res, { errcode: 43101, errmsg: 'user refuse to accept the msg' })
      for (const f of fields) {
        const v = body.data?.[f]?.value
        const rule = RULES[f.replace(/\d+$/, '')]
        if (typeof v !== 'string' || v === '' || (rule && !rule(v))) {
          return sendJson(res, { errcode: 47003, errmsg: `argument invalid! data.${f}.value invalid` })
        }
      }
      if (quota <= 0) return sendJson(res, { errcode: 45009, errmsg: 'reach max api daily quota limit' })
      quota--
      subs.set(key, (subs.get(key) ?? 0) - 1)
      state.sent.push(body)
      return sendJson(res, { errcode: 0, errmsg: 'ok', msgid: Date.now() })
    }
    sendJson(res, { errcode: 40066, errmsg: 'invalid url' }, 404)
  })
  state.apiBase = server.base
  state.close = server.close
  return state
}
