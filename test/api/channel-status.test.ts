import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { authenticate } from '../../src/http/middleware/auth.js'
import { channelsRoutes } from '../../src/http/routes/channels.routes.js'
import { silentLogger } from '../../src/lib/logger.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ChannelError } from '../../src/services/channels/channel.js'
import { recordChannelFailure } from '../../src/services/channels/channel-status.js'
import { createScriptedChannel } from '../../src/services/channels/scripted-channel.js'
import { useTestDatabase } from '../db.js'
import { API_NOW, makeApiApp, makeApiWorld } from './api-world.js'

const DAY = 86_400_000

/** An outbox message delivered through `channel` at `at` for `account`. */
function delivered(key: string, channel: string, at: Date, account = 'default') {
  return OutboxModel.create({
    key,
    to: { type: 'room', id: 'room-1' },
    text: '通知',
    kind: 'task',
    account,
    status: 'sent',
    notBefore: at,
    sentAt: at,
    deliveredVia: { channel, at },
  })
}

describe('GET /api/v1/console/channels', () => {
  useTestDatabase()

  it("shows each channel's state, today's sent/failed counts and queue, and what an unset channel lacks", async () => {
    // WeCom half set up: the corp id is there, the agent id and secret are not.
    const api = makeApiApp(API_NOW, { WECOM_CORP_ID: 'ww0123456789', WECHAT_APP_SECRET: 'top-secret-value' })
    const w = await makeApiWorld(api)
    const main = createScriptedChannel('wechaty')
    const second = createScriptedChannel('wechaty')
    main.deadAfter(0)
    await expect(
      main.send({ channel: 'wechaty', id: 'room:r1' }, { key: 'k', purpose: 'task', text: 'x' }),
    ).rejects.toThrow(ChannelError)
    const sources = () => [
      { channel: main.name, account: 'default', health: () => main.health() },
      {
        channel: second.name,
        account: '社区二号',
        health: () => ({ ...second.health(), lastSelfTest: { at: API_NOW, ok: true } }),
      },
      // A pool account's probe verdict kept beside its health.
      {
        channel: second.name,
        account: '社区三号',
        health: () => second.health(),
        selfTest: () => ({ state: 'failed' as const, at: API_NOW, detail: '自检消息没有收到' }),
      },
    ]
    const app = createApp({
      logger: silentLogger,
      bodyLimitKb: 64,
      middleware: [authenticate(api.services.auth)],
      routers: [channelsRoutes({ channelStatus: sources, config: api.config, clock: api.clock })],
    })
    const http = supertest(app.callback())

    await delivered('today-1', 'wechaty', new Date(API_NOW.getTime() - 3_600_000))
    await delivered('today-2', 'wechaty', new Date(API_NOW.getTime() - 60_000))
    await delivered('yesterday', 'wechaty', new Date(API_NOW.getTime() - DAY))
    await delivered('other-account', 'wechaty', API_NOW, '社区二号')
    await recordChannelFailure(
      { channel: 'wechaty', account: 'default', kind: 'unavailable' },
      API_NOW,
      'Asia/Shanghai',
    )
    await recordChannelFailure(
      { channel: 'wechaty', account: 'default', kind: 'unavailable' },
      new Date(API_NOW.getTime() - DAY),
      'Asia/Shanghai',
    )
    for (const [i, kind] of (['reply', 'notice', 'notice'] as const).entries()) {
      await OutboxModel.create({
        key: `waiting-${i}`,
        to: { type: 'room', id: `waiting-${i}@chatroom` },
        text: '等待发送',
        kind,
        lane: kind === 'reply' ? 'reply' : 'bulk',
        pendingLane: kind === 'reply' ? 'reply' : 'bulk',
        account: 'default',
        notBefore: API_NOW,
      })
    }

    const res = await http.get('/api/v1/console/channels').set(await w.headers('staff'))
    expect(res.status).toBe(200)
    const rows = res.body.items as Array<Record<string, unknown>>
    expect(rows[0]).toMatchObject({
      channel: 'wechaty',
      account: 'default',
      label: '群机器人（主账号）',
      state: 'down',
      detail: '已掉线',
      sentToday: 2,
      failedToday: 1,
      waiting: 3,
    })
    expect(rows[1]).toMatchObject({
      label: '群机器人（社区二号）',
      state: 'up',
      sentToday: 1,
      failedToday: 0,
      waiting: 0,
      lastSelfTest: { at: API_NOW.toISOString(), ok: true },
    })
    expect(rows[2]).toMatchObject({
      label: '群机器人（社区三号）',
      lastSelfTest: { at: API_NOW.toISOString(), ok: false, detail: '自检消息没有收到' },
    })
    const byChannel = Object.fromEntries(rows.slice(3).map((r) => [r.channel, r]))
    expect(byChannel.wecom_app).toMatchObject({
      label: '企业微信应用',
      state: 'unconfigured',
      detail: '未配置：需要 WECOM_AGENT_ID、WECOM_SECRET',
    })
    expect(byChannel.sms).toMatchObject({ label: '短信', state: 'unconfigured' })
    expect(byChannel.wecom_kf).toMatchObject({
      label: '微信客服',
      state: 'unconfigured',
      detail: '未配置：需要 WECOM_KF_ENABLED、WECOM_KF_OPEN_KFID、WECOM_KF_SECRET',
    })
    expect(String(byChannel.mp_subscribe?.detail)).toContain('WECHAT_APP_ID')
    expect(String(byChannel.mp_subscribe?.detail)).not.toContain('WECHAT_APP_SECRET')
    expect(res.text).not.toContain('top-secret-value')
    expect(res.text).not.toContain('ww0123456789')

    // Grid workers and residents are refused in Chinese; nobody signed in must sign in.
    for (const who of ['worker', 'reporter'] as const) {
      const denied = await http.get('/api/v1/console/channels').set(await w.headers(who))
      expect(denied.status).toBe(403)
      expect(denied.body.error.message).toMatch(/[\u4e00-\u9fff]/)
    }
    expect((await http.get('/api/v1/console/channels')).status).toBe(401)
    expect((await http.get('/api/v1/console/channels?x=1').set(await w.headers('admin'))).status).toBe(400)
  })
})
