import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { countQueued, createOutbox } from './outbox.service.js'

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
    // Queued in its lane by the same insert: no second write, nothing else to keep in step.
    expect(docs[0]?.pendingLane).toBe('reply')
  })

  it('queues a message enqueued ten times at once exactly once, in its lane', async () => {
    const msg = { key: 'reply:m2', to: { type: 'room' as const, id: 'r1' }, text: '已收到', kind: 'reply' }
    const results = await Promise.all(Array.from({ length: 10 }, () => outbox.enqueue(msg)))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await OutboxModel.countDocuments({ key: 'reply:m2' })).toBe(1)
    expect(await countQueued()).toBe(1)
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
    expect(await OutboxModel.countDocuments({ pendingLane: 'bulk' })).toBe(5)
  })

  it('stores a broadcast message as the model would: defaults, timestamps, no NUL in the text', async () => {
    const to = { type: 'room' as const, id: 'r1' }
    await outbox.enqueueMany([{ key: 'notice:n2:r1', to, text: '停\u0000水', kind: 'notice' }])
    const [doc] = await OutboxModel.find({ key: 'notice:n2:r1' }).lean()
    expect(doc).toMatchObject({ text: '停水', account: 'default', status: 'queued', attempts: 0 })
    expect(doc).toMatchObject({ lane: 'bulk', pendingLane: 'bulk', purpose: 'notice', to })
    expect(doc?.createdAt).toBeInstanceOf(Date)
    expect(doc?.notBefore.toISOString()).toBe(clock.now().toISOString())
    // Read back through the model like any other message (the sender's view).
    const hydrated = await OutboxModel.findById(doc?._id)
    expect(hydrated?.validateSync()).toBeUndefined()
  })
})
