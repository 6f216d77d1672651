import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { scrapeMetrics } from '../../test/metrics-scrape.js'
import { createMetrics } from '../http/metrics.js'
import { systemClock } from '../lib/clock.js'
import { silentLogger } from '../lib/logger.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { ResidentModel } from '../models/registry.model.js'
import { createOutbox } from '../services/outbox/outbox.service.js'
import { botTestConfig, startTestBot } from './bot-test-world.test-helper.js'
import { createOutboxSender } from './outbox-sender.js'

void ChatMessageModel

describe('outbox delivery attempts are counted in /metrics', () => {
  useTestDatabase()
  let bot: Awaited<ReturnType<typeof startTestBot>>

  beforeEach(async () => {
    bot = await startTestBot({ send: false })
  })
  afterEach(async () => {
    await bot.stop()
  })

  it('counts sent and undeliverable messages in linli_outbox_sent_total by status', async () => {
    const metrics = createMetrics()
    const sender = createOutboxSender({
      outbox: botTestConfig({ perMinute: 6000, jitterMs: 0 }).outbox,
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport: bot.bot.transport,
      conversations: bot.conversations,
      idleMs: 20,
    })
    // What main.ts wires: every attempt counted by its outcome.
    sender.onAttempt((status) => metrics.gauges.outboxSent.inc({ status }))
    const outbox = createOutbox({ clock: systemClock })
    const roomId = bot.world.createRoom('康和小区7号楼').id
    const offline = await ResidentModel.create({ name: '李大爷', token: 't-offline' })
    await outbox.enqueue({ key: 'm1', to: { type: 'room', id: roomId }, text: '第一条', kind: 'reply' })
    await outbox.enqueue({ key: 'm2', to: { type: 'room', id: roomId }, text: '第二条', kind: 'reply' })
    await outbox.enqueue({
      key: 'm3',
      to: { type: 'person', id: String(offline._id) },
      text: '您好',
      kind: 'reply',
    })
    for (let i = 0; i < 10; i++) if ((await sender.sendNext()) === 'idle') break

    const res = await scrapeMetrics(metrics)
    expect(res.status).toBe(200)
    expect(res.text).toContain('linli_outbox_sent_total{status="sent"} 2')
    expect(res.text).toContain('linli_outbox_sent_total{status="undeliverable"} 1')
  })
})
