import { Writable } from 'node:stream'
import mongoose from 'mongoose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bindDemoRooms, linkStaffContacts } from '../../scripts/demo-setup.js'
import type { MockWorld } from '../../src/bot/mock-world.js'
import { loadConfig } from '../../src/lib/config.js'
import { createLogger } from '../../src/lib/logger.js'
import { type RunningService, startService } from '../../src/main.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { type DemoSeed, seedDemo } from '../../src/services/registry/seed.js'
import { testDatabaseUri } from '../db.js'
import { type LlmServer, startLlmServer } from '../llm-server.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { startWechatStandIn, type WechatStandIn } from '../wechat-server.js'

/** Every secret the service is given; none may reach a log line. */
const SECRETS = {
  tokenSecret: 'tok-Secret-7f3a9c1e5b',
  encryptionKey: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  llmKey: 'sk-test-LLMKEY-4c2e8a6f0d',
  appSecret: 'wx-APPSECRET-9d8c7b6a',
  puppetToken: 'puppet-TOKEN-1e2d3c4b5a',
  dbPassword: 'DbPassw0rd-Qx7',
}
const PHONE = '13812345678'
const ID_NUMBER = '110101199003071234'

/** The real service (HTTP, mock-puppet bot, LLM triage) logging at debug level into `lines`. */
describe('secrets and personal numbers never leak (real service, debug logs captured)', () => {
  checkCaseOwnersAfterEach()
  const lines: string[] = []
  let llm: LlmServer
  let wechat: WechatStandIn
  let service: RunningService
  let seed: DemoSeed
  let mock: MockWorld
  let roomId = ''
  const issued: string[] = []

  beforeAll(async () => {
    llm = await startLlmServer()
    llm.respond(() => ({
      content: JSON.stringify({
        category: 'facility_repair',
        urgency: 'normal',
        isRequest: true,
        building: '3',
        unit: '2',
        room: '301',
        confidence: 0.9,
      }),
    }))
    wechat = await startWechatStandIn('wx-leaks-app', SECRETS.appSecret)
    const uri = new URL(testDatabaseUri('leaks'))
    uri.username = 'linli'
    uri.password = SECRETS.dbPassword
    // FerretDB (SQLite) knows no SCRAM; PLAIN still puts the password in the URI the service is given.
    uri.searchParams.set('authMechanism', 'PLAIN')
    uri.searchParams.set('authSource', '$external')
    const config = loadConfig(
      {
        MONGODB_URI: uri.toString(),
        LINLI_TOKEN_SECRET: SECRETS.tokenSecret,
        LINLI_ENCRYPTION_KEY: SECRETS.encryptionKey,
        OPENAI_API_KEY: SECRETS.llmKey,
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_MODEL: 'stand-in',
        WECHAT_APP_ID: 'wx-leaks-app',
        WECHAT_APP_SECRET: SECRETS.appSecret,
        WECHAT_CODE2SESSION_URL: wechat.url,
        WECHATY_PUPPET_TOKEN: SECRETS.puppetToken,
        LINLI_DEV_LOGIN: 'true',
        LINLI_LOG_LEVEL: 'debug',
      },
      {
        overrides: {
          http: { host: '127.0.0.1', port: 0 },
          jobs: { enabled: false },
          outbox: { perMinute: 1200, jitterMs: 0 },
        },
      },
    )
    const capture = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    service = await startService(config, createLogger({ level: 'debug', destination: capture }))
    seed = await seedDemo(service.services.registry)
    if (!service.bot?.mock) throw new Error('the mock bot did not start')
    mock = service.bot.mock
    linkStaffContacts(service.bot, seed)
    roomId = (await bindDemoRooms(service.bot, seed))[0]?.id ?? ''
  }, 120_000)

  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined)
    await service?.stop('test finished')
    await llm?.close()
    await wechat?.close()
  })

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })

  it('logs no token, API key, password, app secret, puppet token or signing secret through login, refresh, keys and triage', async () => {
    wechat.codes.set('code-leak', 'openid-leak')
    const wx = await post('/api/v1/auth/wx-login', { code: 'code-leak' })
    expect(wx.status).toBe(200)
    const wxBody = (await wx.json()) as { accessToken: string; refreshToken: string }
    expect((await post('/api/v1/auth/wx-login', { code: 'wrong-code' })).status).toBe(401)
    const admin = seed.admin
    const dev = await post('/api/v1/auth/dev-login', { personId: admin?.id })
    expect(dev.status).toBe(200)
    const devBody = (await dev.json()) as { accessToken: string; refreshToken: string }
    const refreshed = await post('/api/v1/auth/refresh', { refreshToken: devBody.refreshToken })
    expect(refreshed.status).toBe(200)
    const rBody = (await refreshed.json()) as { accessToken: string; refreshToken: string }
    // A replayed refresh token (logged as a warning) and a logout.
    expect((await post('/api/v1/auth/refresh', { refreshToken: devBody.refreshToken })).status).toBe(401)
    expect((await post('/api/v1/auth/logout', { refreshToken: wxBody.refreshToken })).status).toBe(204)
    const session = await service.services.auth.issueSession(String(admin?.id))
    const keyRes = await post(
      '/api/v1/auth/api-keys',
      { name: 'leak check' },
      { authorization: `Bearer ${session.accessToken}` },
    )
    const apiKey = ((await keyRes.json()) as { key: string }).key
    const metrics = await fetch(`${service.url}/metrics`, { headers: { 'x-api-key': apiKey } })
    expect(metrics.status).toBe(200)
    await fetch(`${service.url}/metrics`, { headers: { 'x-api-key': `${apiKey}-revoked` } })
    await fetch(`${service.url}/api/v1/points/me`, {
      headers: { authorization: `Bearer ${wxBody.accessToken}` },
    })
    issued.push(wxBody.accessToken, wxBody.refreshToken, devBody.accessToken, devBody.refreshToken)
    issued.push(rBody.accessToken, rBody.refreshToken, session.accessToken, session.refreshToken, apiKey)
    // A group report that goes through LLM triage.
    await say('3号楼2单元楼道的水管漏水了，地上全是水')
    expect(llm.requests.length).toBeGreaterThan(0)

    const log = lines.join('')
    expect(lines.length).toBeGreaterThan(10)
    // Warnings for the refused logins and the replayed refresh token are there, without their values.
    expect(log).toContain('refresh token reused')
    expect(log).toContain('using MongoDB at')
    for (const [name, value] of Object.entries({ ...SECRETS, ...Object.fromEntries(issued.entries()) }))
      expect(log.includes(String(value)), `${name} appears in the logs`).toBe(false)
    // The refresh tokens and keys also never appear in part (their random tails).
    for (const t of issued) expect(log).not.toContain(t.slice(-20))
  })

  it('a phone and an ID number said in the group appear only masked in replies, the task, the logs and the LLM prompt', async () => {
    const before = { delivered: mock.delivered.length, llm: llm.requests.length, lines: lines.length }
    const id = await say(`5号楼1单元暖气不热，家里有老人，我电话${PHONE}，身份证${ID_NUMBER}，请尽快来人看看`)
    const outbox = await OutboxModel.find({ 'refs.messageId': id }).lean()
    const tasks = await OutboxModel.find({ 'to.type': 'person' }).lean()
    await waitFor(() => mock.delivered.length > before.delivered)
    const replies = mock.delivered.slice(before.delivered).map((d) => d.text)
    const prompts = llm.requests.slice(before.llm).map((r) => JSON.stringify(r.body))
    const logs = lines.slice(before.lines).join('')
    const places: Record<string, string> = {
      'group replies': replies.join('\n'),
      'queued replies': outbox.map((o) => o.text).join('\n'),
      'worker tasks': tasks.map((t) => t.text).join('\n'),
      logs,
      'LLM prompts': prompts.join('\n'),
    }
    expect(replies.length).toBeGreaterThan(0)
    expect(prompts.length).toBeGreaterThan(0)
    expect(tasks.some((t) => t.text.includes('暖气'))).toBe(true)
    for (const [where, text] of Object.entries(places)) {
      expect(text.includes(PHONE), `phone number in ${where}`).toBe(false)
      expect(text.includes(ID_NUMBER), `ID number in ${where}`).toBe(false)
      expect(text.includes(PHONE.slice(3, 7) + PHONE.slice(7)), `phone digits in ${where}`).toBe(false)
    }
    // Where the numbers are passed on at all, they are in the 138****5678 form.
    expect(places['LLM prompts']).toContain('138****5678')
  })

  /** Says a text in the bound group, mentioning the bot, and waits until it is processed. */
  async function say(text: string): Promise<string> {
    const resident = mock.createContact(`居民${Math.floor(Math.random() * 1e6)}`).id
    const id = mock.say({ from: resident, text, roomId, mentionBot: true })
    await waitFor(async () => Boolean(await ChatMessageModel.exists({ messageId: id, status: 'processed' })))
    return id
  }
})

async function waitFor(ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 30))
  }
}
