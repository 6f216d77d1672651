import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKfStandin, type KfStandin, type KfStandinOptions } from './wecom-kf-standin.js'

/**
 * A loopback stand-in for the WeCom server API, following the official documents
 * (developer.work.weixin.qq.com/document/path/91039 gettoken, 90236 message/send, 90313 errcodes,
 * 91770 group robot). It rejects what WeCom rejects: a wrong corpid (40013) or secret (40001), an
 * unknown (40014) or expired (42001) access_token, a 31st message to one member in a minute (45009),
 * an unknown userid (81013), text over 2048 bytes (45002), a bad robot key (93000) and a robot's 21st
 * message in a minute (130101, as the brief's robot limit).
 */
export interface WeComStandinOptions {
  corpId: string
  secret: string
  agentId: number
  /** Userids that exist in the corp. */
  users: string[]
  /** Seconds an access token lives (WeCom: 7200). */
  tokenTtlSeconds?: number
  perUserPerMinute?: number
  /** Robot webhook keys that exist. */
  robotKeys?: string[]
  robotPerMinute?: number
  /** 微信客服 and 企业群发 (wecom-kf-standin.ts). */
  kf?: KfStandinOptions
}

export interface WeComDelivery {
  touser: string
  msgtype: string
  content: string
  body: Record<string, unknown>
  at: Date
}

export interface WeComStandin {
  apiBase: string
  deliveries: WeComDelivery[]
  robotDeliveries: { key: string; msgtype: string; content: string }[]
  /** How many gettoken calls succeeded. */
  tokensIssued: number
  /** Every request's path, for assertions (`/cgi-bin/gettoken`, …). */
  calls: string[]
  /** From now on every request is answered `503 Service Unavailable` (WeCom's servers are down). */
  goDown(): void
  /** Requests answered 503 while down. */
  refused: number
  /** Expires every token now (as if 7200 s had passed). */
  expireTokens(): void
  robotUrl(key: string): string
  /** The 微信客服 / 企业群发 part (its deliveries, drafts, `inbound`). */
  kf: KfStandin
  close(): Promise<void>
}

export async function startWeComStandin(options: WeComStandinOptions): Promise<WeComStandin> {
  const ttl = options.tokenTtlSeconds ?? 7200
  const perUser = options.perUserPerMinute ?? 30
  const robotLimit = options.robotPerMinute ?? 20
  const tokens = new Map<string, number>() // token → expiry (ms)
  const userSends = new Map<string, number[]>()
  const robotSends = new Map<string, number[]>()
  const kf = createKfStandin(options.kf ?? { openKfIds: [] })
  const state = {
    deliveries: [] as WeComDelivery[],
    robotDeliveries: [] as WeComStandin['robotDeliveries'],
    tokensIssued: 0,
    calls: [] as string[],
    down: false,
    refused: 0,
  }

  const within = (map: Map<string, number[]>, key: string, limit: number) => {
    const now = Date.now()
    const recent = (map.get(key) ?? []).filter((t) => now - t < 60_000)
    map.set(key, recent)
    if (recent.length >= limit) return false
    recent.push(now)
    return true
  }

  const reply = (res: ServerResponse, body: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ errmsg: body.errcode === 0 ? 'ok' : 'error', ...body }))
  }

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
    } catch {
      return undefined
    }
  }

  const tokenError = (token: string | null): number | undefined => {
    if (!token) return 41001
    const expiry = tokens.get(token)
    if (expiry === undefined) return 40014
    if (Date.now() >= expiry) return 42001
    return undefined
  }

  async function messageSend(req: IncomingMessage, res: ServerResponse, url: URL) {
    const bad = tokenError(url.searchParams.get('access_token'))
    if (bad) return reply(res, { errcode: bad })
    const body = await readJson(req)
    if (!body) return reply(res, { errcode: 47001 })
    if (Number(body.agentid) !== options.agentId) return reply(res, { errcode: 301002 })
    const touser = String(body.touser ?? '')
    const msgtype = String(body.msgtype ?? '')
    let content: string
    if (msgtype === 'text') {
      content = String((body.text as { content?: string } | undefined)?.content ?? '')
      if (!content) return reply(res, { errcode: 44004 })
      if (Buffer.byteLength(content) > 2048) return reply(res, { errcode: 45002 })
    } else if (msgtype === 'textcard') {
      const card = (body.textcard ?? {}) as Record<string, string>
      if (!card.title || !card.description || !card.url) return reply(res, { errcode: 44004 })
      if (Buffer.byteLength(card.title) > 128 || Buffer.byteLength(card.description) > 512) {
        return reply(res, { errcode: 45002 })
      }
      content = `${card.title}\n${card.description}\n${card.url}`
    } else if (msgtype === 'template_card') {
      // text_notice needs a title (main_title or sub_title_text) and, as a text notice, a card_action.
      const card = (body.template_card ?? {}) as {
        card_type?: string
        main_title?: { title?: string; desc?: string }
        sub_title_text?: string
        card_action?: { type?: number; url?: string }
      }
      if (card.card_type !== 'text_notice' || !card.card_action?.url || card.card_action.type !== 1) {
        return reply(res, { errcode: 40058 })
      }
      if (!card.main_title?.title && !card.sub_title_text) return reply(res, { errcode: 40058 })
      if (Buffer.byteLength(card.main_title?.title ?? '') > 108) return reply(res, { errcode: 45002 })
      content = `${card.main_title?.title ?? ''}\n${card.sub_title_text ?? ''}\n${card.card_action.url}`
    } else {
      return reply(res, { errcode: 40008 })
    }
    if (!options.users.includes(touser)) return reply(res, { errcode: 81013, invaliduser: touser })
    if (!within(userSends, touser, perUser)) return reply(res, { errcode: 45009 })
    state.deliveries.push({ touser, msgtype, content, body, at: new Date() })
    return reply(res, { errcode: 0, invaliduser: '', msgid: `msg-${state.deliveries.length}` })
  }

  async function robotSend(req: IncomingMessage, res: ServerResponse, url: URL) {
    const key = url.searchParams.get('key') ?? ''
    if (!(options.robotKeys ?? []).includes(key)) return reply(res, { errcode: 93000 })
    const body = await readJson(req)
    const msgtype = String(body?.msgtype ?? '')
    const content = String((body?.[msgtype] as { content?: string } | undefined)?.content ?? '')
    if (!content || (msgtype !== 'text' && msgtype !== 'markdown')) return reply(res, { errcode: 40008 })
    if (Buffer.byteLength(content) > (msgtype === 'text' ? 2048 : 4096)) return reply(res, { errcode: 45002 })
    if (!within(robotSends, key, robotLimit)) return reply(res, { errcode: 130101 })
    state.robotDeliveries.push({ key, msgtype, content })
    return reply(res, { errcode: 0 })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    state.calls.push(url.pathname)
    if (state.down) {
      state.refused += 1
      res.writeHead(503).end()
      return
    }
    const route = `${req.method} ${url.pathname}`
    const run = async () => {
      if (route === 'GET /cgi-bin/gettoken') {
        if (url.searchParams.get('corpid') !== options.corpId) return reply(res, { errcode: 40013 })
        if (url.searchParams.get('corpsecret') !== options.secret) return reply(res, { errcode: 40001 })
        const token = randomBytes(24).toString('hex')
        tokens.set(token, Date.now() + ttl * 1000)
        state.tokensIssued += 1
        return reply(res, { errcode: 0, access_token: token, expires_in: ttl })
      }
      if (route === 'POST /cgi-bin/message/send') return messageSend(req, res, url)
      if (route === 'POST /cgi-bin/webhook/send') return robotSend(req, res, url)
      const kfRoute = req.method === 'POST' ? kf.routes[url.pathname] : undefined
      if (kfRoute) {
        const bad = tokenError(url.searchParams.get('access_token'))
        if (bad) return reply(res, { errcode: bad })
        const body = await readJson(req)
        const answer = body ? kfRoute(body) : { errcode: 47001 }
        if (kf.loseAnswer(url.pathname)) return res.writeHead(502).end()
        return reply(res, answer)
      }
      res.writeHead(404).end()
    }
    run().catch(() => res.writeHead(500).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    apiBase,
    goDown() {
      state.down = true
    },
    get refused() {
      return state.refused
    },
    get deliveries() {
      return state.deliveries
    },
    get robotDeliveries() {
      return state.robotDeliveries
    },
    get tokensIssued() {
      return state.tokensIssued
    },
    get calls() {
      return state.calls
    },
    expireTokens() {
      for (const t of tokens.keys()) tokens.set(t, 0)
    },
    kf,
    robotUrl: (key) => `${apiBase}/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
