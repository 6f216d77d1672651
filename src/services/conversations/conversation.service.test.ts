import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { createConversations } from './conversation.service.js'

describe('conversation log', () => {
  useTestDatabase()
  const t0 = new Date('2026-11-28T10:00:00.000Z')
  const clock = fixedClock(t0)
  const conversations = createConversations({ clock })
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

  it('treats the same text from the same sender at the same original time as a re-delivery under a new id', async () => {
    // A puppet delivering again after a reconnect gives a new id but keeps WeChat's time of the message.
    await conversations.storeInbound(msg('m1', '3号楼 楼道灯坏了', 12_300))
    const redelivered = await conversations.storeInbound(msg('m2', ' 3号楼  楼道灯坏了 ', 12_300))
    expect(redelivered).toMatchObject({ duplicate: true, message: { messageId: 'm1' } })
    const otherSender = await conversations.storeInbound(
      msg('m3', '3号楼 楼道灯坏了', 12_300, { senderContactId: 'c-li' }),
    )
    expect(otherSender.duplicate).toBe(false)
    expect(await ChatMessageModel.countDocuments()).toBe(2)
  })

  it("stores a person's deliberate repeat: the same text said again a few seconds later", async () => {
    const first = await conversations.storeInbound(msg('m1', '菜单', 0))
    const again = await conversations.storeInbound(msg('m2', '菜单', 3000))
    const signUp = await conversations.storeInbound(msg('m3', '报名 1', 10_000))
    await conversations.storeInbound(msg('m4', '取消报名 1', 20_000))
    const signUpAgain = await conversations.storeInbound(msg('m5', '报名 1', 30_000))
    expect([first, again, signUp, signUpAgain].map((r) => r.duplicate)).toEqual([false, false, false, false])
    expect(await ChatMessageModel.countDocuments()).toBe(5)
  })

  it('decides a race between deliveries of one message under several ids with the unique key', async () => {
    const results = await Promise.all([
      conversations.storeInbound(msg('a1', '电梯停了', 1000)),
      conversations.storeInbound(msg('a2', '电梯停了', 1000)),
      conversations.storeInbound(msg('a3', '电梯停了', 1000)),
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
    await conversations.storeInbound(msg('m0', '旧版本留下的', 1500))
    await conversations.markProcessed('m3', { outcome: 'report', replyKeys: ['reply:m3:1'] })
    // Left `processing` by a version before 0.2: replayed too, in its place by time.
    await ChatMessageModel.updateOne({ messageId: 'm0' }, { $set: { status: 'processing' } })
    clock.set(new Date(t0.getTime() + 60_000))
    const pending = await conversations.listUnprocessed(30_000)
    expect(pending.map((m) => m.messageId)).toEqual(['m1', 'm0', 'm2'])
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
})
