import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { createOutbox } from './outbox.service.js'

describe('outbox enqueue', () => {
  useTestDatabase()
  const clock = fixedClock(new Date('2026-11-28T08:00:00+08:00'))
  const outbox = createOutbox({ clock })

  it('queues a message once per key, however often it is enqueued', async () => {
    const msg = { key: 'reply:m1', to: { type: 'room' as const, id: 'r1' }, text: '已收到', kind: 'reply' }
    expect(await outbox.enqueue(msg)).toBe(true)
    expect(await outbox.enqueue(msg)).toBe(false)
    const docs = await OutboxModel.find().lean()
    expect(docs).toHaveLength(1)
    expect(docs[0]?.status).toBe('queued')
    expect(docs[0]?.notBefore.toISOString()).toBe(clock.now().toISOString())
  })

  it('counts only the new messages of a broadcast that is enqueued again', async () => {
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: `notice:n1:r${i}`,
        to: { type: 'room' as const, id: `r${i}` },
        text: '停水通知',
        kind: 'notice',
      }))
    expect(await outbox.enqueueMany(batch(3))).toBe(3)
    expect(await outbox.enqueueMany(batch(5))).toBe(2)
    expect(await OutboxModel.countDocuments({ kind: 'notice' })).toBe(5)
  })
})
