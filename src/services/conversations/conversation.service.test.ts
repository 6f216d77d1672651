import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { createConversations } from './conversation.service.js'

describe('conversation log', () => {
  useTestDatabase()
  const t0 = new Date('2026-11-28T10:00:00.000Z')
  const clock = fixedClock(t0)
  const conversations = createConversations({ clock, redeliveryWindowMs: 120_000 })
  const msg = (id: string, text: string, atMs = 0, extra: Record<string, unknown> = {}) => ({
    messageId: id,
    roomId: 'r1@chatroom',
    roomTopic: '阳光小区3号楼',
    senderContactId: 'c-zhang',
    senderName: '张阿姨',
    text,
    receivedAt: new Date(t0.getTime() + atMs),
    ...extra,
  })

  it('stores a message once however often the puppet delivers the same id', async () => {
    const first = await conversations.storeInbound(msg('m1', '楼道灯坏了'))
    const again = await conversations.storeInbound(msg('m1', '楼道灯坏了', 5000))
    expect(first.duplicate).toBe(false)
    expect(again.duplicate).toBe(true)
    expect(again.message.id).toBe(first.message.id)
    expect(await ChatMessageModel.countDocuments()).toBe(1)
  })

  it('treats the same text from the same sender within the window as a re-delivery, across a bucket edge too', async () => {
    // 119 s and 121 s fall into different 120 s buckets: the look-back must still catch it.
    await conversations.storeInbound(msg('m1', '3号楼 楼道灯坏了', 119_000))
    const redelivered = await conversations.storeInbound(msg('m2', ' 3号楼  楼道灯坏了 ', 121_000))
    expect(redelivered.duplicate).toBe(true)
    const later = await conversations.storeInbound(msg('m3', '3号楼 楼道灯坏了', 119_000 + 4 * 60_000))
    expect(later.duplicate).toBe(false)
    const otherSender = await conversations.storeInbound(
      msg('m4', '3号楼 楼道灯坏了', 122_000, { senderContactId: 'c-li' }),
    )
    expect(otherSender.duplicate).toBe(false)
    expect(await ChatMessageModel.countDocuments()).toBe(3)
  })

  it('decides a race between two deliveries of the same text in one bucket with the unique key', async () => {
    const results = await Promise.all([
      conversations.storeInbound(msg('a1', '电梯停了', 1000)),
      conversations.storeInbound(msg('a2', '电梯停了', 1500)),
      conversations.storeInbound(msg('a3', '电梯停了', 2000)),
    ])
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1)
    expect(await ChatMessageModel.countDocuments()).toBe(1)
  })

  it('never merges two photos sent one after the other', async () => {
    const a = await conversations.storeInbound(msg('p1', '', 0, { type: 'image' }))
    const b = await conversations.storeInbound(msg('p2', '', 1000, { type: 'image' }))
    expect([a.duplicate, b.duplicate]).toEqual([false, false])
  })

  it('lists stored-but-unprocessed messages oldest first for the replay at start', async () => {
    await conversations.storeInbound(msg('m2', '第二条', 2000))
    await conversations.storeInbound(msg('m1', '第一条', 1000))
    await conversations.storeInbound(msg('m3', '第三条', 3000))
    await conversations.markProcessed('m3', { outcome: 'report', replyKeys: ['reply:m3:1'] })
    clock.set(new Date(t0.getTime() + 60_000))
    const pending = await conversations.listUnprocessed(30_000)
    expect(pending.map((m) => m.messageId)).toEqual(['m1', 'm2'])
    const done = await ChatMessageModel.findOne({ messageId: 'm3' }).lean()
    expect(done?.status).toBe('processed')
    expect(done?.replyKeys).toEqual(['reply:m3:1'])
  })

  it('shows a chat transcript with the bot replies, oldest first', async () => {
    await conversations.storeInbound(msg('m1', '@小助手 电梯坏了', 0))
    await conversations.logOutbound({
      messageId: 'outbox:1',
      roomId: 'r1@chatroom',
      botContactId: 'bot',
      botName: '邻里小助手',
      text: '已收到',
      sentAt: new Date(t0.getTime() + 3000),
    })
    await conversations.logOutbound({
      messageId: 'outbox:1',
      roomId: 'r1@chatroom',
      botContactId: 'bot',
      botName: '邻里小助手',
      text: '已收到',
      sentAt: new Date(t0.getTime() + 3000),
    })
    const t = await conversations.transcript('room:r1@chatroom')
    expect(t.map((m) => [m.direction, m.senderName, m.text])).toEqual([
      ['in', '张阿姨', '@小助手 电梯坏了'],
      ['out', '邻里小助手', '已收到'],
    ])
  })

  it('remembers the pending flow of a contact until it expires', async () => {
    await conversations.setState('c-zhang', 'dm:c-zhang', { flow: 'report', ttlMs: 60_000 })
    expect((await conversations.getState('c-zhang', 'dm:c-zhang'))?.flow).toBe('report')
    expect(await conversations.getState('c-zhang', 'room:r1@chatroom')).toBeUndefined()
    clock.advance(61_000)
    expect(await conversations.getState('c-zhang', 'dm:c-zhang')).toBeUndefined()
  })
})
