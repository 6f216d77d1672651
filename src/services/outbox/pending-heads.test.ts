import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { systemClock } from '../../lib/clock.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { createOutbox } from './outbox.service.js'
import { createPendingHeads } from './pending-heads.js'

describe('pending heads', () => {
  useTestDatabase()
  const outbox = createOutbox({ clock: systemClock })
  const notice = (key: string, notBefore: Date) => ({
    key,
    to: { type: 'room' as const, id: `${key}@chatroom` },
    text: '停水通知',
    kind: 'notice',
    notBefore,
  })
  const keyOf = async (id: unknown) => (await OutboxModel.findById(id).lean())?.key

  it('reads a long lane once, oldest first, and sees a message queued later after cacheMs', async () => {
    const t = Date.now() - 60_000
    await outbox.enqueueMany(Array.from({ length: 30 }, (_, i) => notice(`n${i}`, new Date(t + i * 1000))))
    await outbox.enqueue(notice('tomorrow', new Date(Date.now() + 86_400_000)))
    const heads = createPendingHeads('default', 300)
    const now = () => new Date()
    expect(await keyOf((await heads.next('bulk', now()))?._id)).toBe('n0')
    expect(await keyOf((await heads.next('bulk', now()))?._id)).toBe('n1')
    await outbox.enqueue(notice('late-but-older', new Date(t - 5000)))
    expect(await keyOf((await heads.next('bulk', now()))?._id)).toBe('n2') // from memory
    await new Promise((r) => setTimeout(r, 350))
    expect(await keyOf((await heads.next('bulk', now()))?._id)).toBe('late-but-older')
    expect(await heads.next('reply', now())).toBeUndefined()
  })

  it('reads a short lane afresh on every look and never hands out what is not due', async () => {
    await outbox.enqueue(notice('later', new Date(Date.now() + 60_000)))
    const heads = createPendingHeads('default', 60_000)
    expect(await heads.next('bulk', new Date())).toBeUndefined()
    await outbox.enqueue(notice('now', new Date(Date.now() - 1)))
    expect(await keyOf((await heads.next('bulk', new Date()))?._id)).toBe('now')
  })
})
