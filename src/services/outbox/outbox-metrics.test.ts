import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { scrapeMetrics } from '../../../test/metrics-scrape.js'
import { createMetrics } from '../../http/metrics.js'
import { systemClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createConversations } from '../conversations/conversation.service.js'
import { createMemoryTransport } from './memory-transport.js'
import { createOutboxSender } from './outbox.sender.js'
import { createOutbox } from './outbox.service.js'
import { testLimits } from './outbox.test-helper.js'

void ChatMessageModel

describe('outbox delivery attempts are counted in /metrics', () => {
  useTestDatabase()

  it('counts sent and undeliverable attempts in linli_outbox_send_attempts_total by outcome', async () => {
    const metrics = createMetrics()
    const transport = createMemoryTransport()
    const outbox = createOutbox({ clock: systemClock })
    const sender = createOutboxSender({
      limits: testLimits({ perMinute: 6000, jitterMs: 0 }),
      outbox,
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport,
      conversations: createConversations({ clock: systemClock }),
      idleMs: 20,
    })
    // What main.ts wires: every attempt counted by its outcome.
    sender.onAttempt((outcome) => metrics.gauges.outboxSendAttempts.inc({ outcome }))
    const roomId = transport.addRoom('kanghe-7@chatroom')
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
    expect(res.text).toContain('linli_outbox_send_attempts_total{outcome="sent"} 2')
    expect(res.text).toContain('linli_outbox_send_attempts_total{outcome="undeliverable"} 1')
  })
})
