import { describe, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { systemClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { createConversations } from '../conversations/conversation.service.js'
import { createMemoryTransport } from './memory-transport.js'
import { createOutboxSender } from './outbox.sender.js'
import { createOutbox } from './outbox.service.js'
import { testLimits } from './outbox.test-helper.js'

describe('profile', () => {
  useTestDatabase()
  it('times', async () => {
    const outbox = createOutbox({ clock: systemClock })
    const t = createMemoryTransport()
    const rooms = Array.from({ length: 2000 }, (_, i) => t.addRoom(`r${i}`))
    const r0 = t.addRoom('res')
    const t0 = performance.now()
    t.onDeliver((d) => console.log('deliver', Math.round(performance.now() - t0), d.text))
    const s = createOutboxSender({
      limits: testLimits({ perMinute: 400, jitterMs: 75 }),
      timezone: 'Asia/Shanghai',
      logger: silentLogger,
      transport: t,
      outbox,
      conversations: createConversations({ clock: systemClock }),
      idleMs: 50,
    })
    s.onAttempt((r) => console.log('attempt', Math.round(performance.now() - t0), r))
    await s.start()
    await outbox.enqueueMany(
      rooms.map((id, i) => ({
        key: `n${i}`,
        to: { type: 'room' as const, id },
        text: `n${i}`,
        kind: 'notice',
      })),
    )
    console.log('enqueued', Math.round(performance.now() - t0))
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 500))
      const a = performance.now()
      await outbox.enqueue({ key: `r${i}`, to: { type: 'room', id: r0 }, text: `reply${i}`, kind: 'reply' })
      console.log('reply enqueued', Math.round(a - t0), 'took', Math.round(performance.now() - a))
    }
    await new Promise((r) => setTimeout(r, 3000))
    await s.stop()
  }, 120_000)
})
