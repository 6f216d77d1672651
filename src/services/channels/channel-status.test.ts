import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { systemClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { silentLogger } from '../../lib/logger.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createMemoryTransport } from '../outbox/memory-transport.js'
import { createOutboxSender } from '../outbox/outbox.sender.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { eventually, testLimits } from '../outbox/outbox.test-helper.js'
import { ChannelError } from './channel.js'
import { channelStatusRows, countChannelFailures } from './channel-status.js'
import { createChannelRegistry } from './channels.registry.js'
import { createScriptedChannel } from './scripted-channel.js'

describe('channel status: today’s failures counted from the sender', () => {
  useTestDatabase()

  it('counts each failed send per channel, and the sends the next channel delivered', async () => {
    const outbox = createOutbox({ clock: systemClock })
    const wechaty = createScriptedChannel('wechaty')
    const wecom = createScriptedChannel('wecom_app')
    // The bot refuses every send; the WeCom app delivers after one rate-limit answer.
    wechaty.script([], new ChannelError('recipient', '不是好友'))
    wecom.script([new ChannelError('rate_limited', '发送过于频繁', 45009)])
    const channels = createChannelRegistry({
      channels: [wechaty, wecom],
      config: { order: { task: ['wechaty', 'wecom_app'] }, limits: {}, unavailableTries: 1 },
      timezone: 'Asia/Shanghai',
    })
    const sender = createOutboxSender({
      limits: testLimits({ perMinute: 60_000, jitterMs: 0, maxAttempts: 6 }),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport: createMemoryTransport(),
      channels,
      outbox,
      retryBaseMs: 1,
      idleMs: 5,
    })
    const errors: unknown[] = []
    countChannelFailures(sender, {
      account: 'default',
      now: () => new Date(),
      timezone: 'Asia/Shanghai',
      onError: (err) => errors.push(err),
    })
    const workers = await Promise.all(
      ['甲', '乙'].map((n) =>
        ResidentModel.create({
          name: n,
          token: `t-${n}`,
          wechat: { contactId: `wx-${n}` },
          wecomUserId: `wc-${n}`,
        }),
      ),
    )
    await outbox.enqueueMany(
      workers.map((w, i) => ({
        key: `task-${i}`,
        to: { type: 'person' as const, id: String(w._id) },
        text: '新工单',
        kind: 'assign',
      })),
    )
    await sender.start()
    await eventually(() => wecom.delivered.length === 2)
    await sender.stop()

    const config = loadConfig({ LINLI_ENV: 'test' }, {})
    const rows = async () =>
      channelStatusRows({
        sources: [wechaty, wecom].map((c) => ({ channel: c.name, health: () => c.health() })),
        config,
        now: new Date(),
        startedAt: new Date(),
      })
    await eventually(async () => (await rows())[1]?.failedToday === 1)
    const [bot, app] = await rows()
    expect(bot).toMatchObject({ channel: 'wechaty', failedToday: 2, sentToday: 0 })
    expect(app).toMatchObject({
      channel: 'wecom_app',
      label: '企业微信应用',
      failedToday: 1,
      sentToday: 2,
      waiting: 0,
    })
    expect(errors).toEqual([])
  })
})
