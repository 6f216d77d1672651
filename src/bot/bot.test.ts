import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FileBox } from 'file-box'
import { afterEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { TEXT } from '../handlers/chat-texts.js'
import { seedGridWithWorker } from '../handlers/handler-fixtures.test-helper.js'
import { systemClock } from '../lib/clock.js'
import { UnavailableError } from '../lib/errors.js'
import { wgs84ToGcj02 } from '../lib/geo.js'
import { silentLogger } from '../lib/logger.js'
import { buildServices } from '../main.js'
import { CaseModel } from '../models/case.model.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { GridModel } from '../models/registry.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { createConversations } from '../services/conversations/conversation.service.js'
import { invalidatePlaces } from '../services/registry/registry.places.js'
import { botTestConfig, eventually, startTestBot } from './bot-test-world.test-helper.js'

void RoomBindingModel

describe('the bot on the mock puppet', () => {
  useTestDatabase()
  const running: Array<{ stop(): Promise<void> }> = []
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop()
  })

  async function start(extra: Parameters<typeof startTestBot>[0] = {}) {
    const bot = await startTestBot(extra)
    running.push(bot)
    return bot
  }

  /** The resident, the worker and a room bound to KH-07 in the mock world. */
  async function bound(bot: Awaited<ReturnType<typeof start>>) {
    await seedGridWithWorker()
    const zhang = bot.world.createContact('张阿姨')
    const room = bot.world.createRoom('康和小区7号楼', [zhang])
    await bot.rooms.bindAsSystem({
      roomId: room.id,
      topic: '康和小区7号楼',
      target: { scope: 'grid', code: 'KH-07' },
    })
    return { zhang, room }
  }

  it('stores a message first and handles a re-delivery (same id, or same message under a new id) once', async () => {
    const bot = await start()
    const { zhang, room } = await bound(bot)
    const at = new Date(Date.now() - 2000)
    const text = '3号楼电梯不动了'
    const id = bot.world.say({ from: zhang.id, roomId: room.id, text, mentionBot: true, at })
    await eventually(
      async () => (await ChatMessageModel.findOne({ messageId: id }).lean())?.status === 'processed',
    )
    bot.world.redeliver(id)
    // After a reconnect the puppet delivers it again under a new id, with WeChat's original time.
    bot.world.say({ from: zhang.id, roomId: room.id, text, mentionBot: true, at })
    await bot.bot.idle()
    await eventually(() => bot.world.delivered.length >= 1)
    await new Promise((r) => setTimeout(r, 200))
    expect(await CaseModel.countDocuments()).toBe(1)
    expect(await ChatMessageModel.countDocuments({ direction: 'in' })).toBe(1)
    expect(bot.world.delivered.filter((d) => d.to === room.id).map((d) => d.text)).toEqual([
      expect.stringMatching(/工单号 \d{6}-\d{4}/),
    ])
  })

  it('answers a deliberate repeat: the same words said again a few seconds later', async () => {
    const bot = await start()
    const { zhang, room } = await bound(bot)
    const now = Date.now()
    bot.world.say({ from: zhang.id, text: '菜单', at: new Date(now - 4000) })
    bot.world.say({ from: zhang.id, text: '菜单', at: new Date(now) })
    const report = '报修 5号楼下水道堵了'
    bot.world.say({ from: zhang.id, roomId: room.id, text: report, at: new Date(now - 3000) })
    bot.world.say({ from: zhang.id, roomId: room.id, text: report, at: new Date(now) })
    await eventually(() => bot.world.delivered.length === 4)
    await bot.bot.idle()
    expect(await ChatMessageModel.countDocuments({ direction: 'in' })).toBe(4)
    const toZhang = bot.world.delivered.filter((d) => d.to === zhang.id).map((d) => d.text)
    expect(toZhang).toEqual([TEXT.menu, TEXT.menu])
    const inRoom = bot.world.delivered.filter((d) => d.to === room.id).map((d) => d.text)
    expect(inRoom).toHaveLength(2)
    // Both reports are answered; the repeat of the same problem joins the case instead of opening
    // another (the group may see the two answers in either order).
    expect(inRoom.filter((t) => t.includes('已有邻居反映过此问题'))).toHaveLength(1)
    expect(inRoom.filter((t) => /工单号 \d{6}-\d{4}/.test(t))).toHaveLength(1)
    expect(await CaseModel.countDocuments()).toBe(1)
  })

  it('replays a message stored before a crash at the next start, replying once', async () => {
    await seedGridWithWorker()
    const conversations = createConversations({ clock: systemClock })
    // The previous process stored the message and died before handling it.
    await conversations.storeInbound({
      messageId: 'before-crash-1',
      senderContactId: 'c-zhang',
      senderName: '张阿姨',
      text: '2',
      receivedAt: new Date(Date.now() - 60_000),
    })
    const first = await start()
    await eventually(
      async () =>
        (await ChatMessageModel.findOne({ messageId: 'before-crash-1' }).lean())?.status === 'processed',
    )
    const replies = await OutboxModel.find({ key: /^reply:before-crash-1:/ }).lean()
    expect(replies.map((r) => [r.key, r.text])).toEqual([['reply:before-crash-1:1', TEXT.askPolicy]])
    // A second restart, and even a forced second handling, queues nothing new.
    await first.stop()
    running.length = 0
    const second = await start()
    await second.bot.recover()
    await second.handler({
      messageId: 'before-crash-1',
      sender: { contactId: 'c-zhang', name: '张阿姨' },
      text: '2',
      mentionsBot: false,
      mentionIds: [],
      type: 'text',
      attachments: [],
      receivedAt: new Date(),
    })
    expect(await OutboxModel.countDocuments({ key: /^reply:before-crash-1:/ })).toBe(1)
  })

  it('handles a report again after a transient failure instead of apologising and marking it done', async () => {
    let busy = 1
    const bot = await start({
      adjust: (services) => ({
        ...services,
        cases: {
          ...services.cases,
          async open(input) {
            // The first run meets a lock still held by a process that was killed (UNAVAILABLE).
            if (busy-- > 0) throw new UnavailableError('系统繁忙，请稍后再试', { lock: 'intake:test' })
            return services.cases.open(input)
          },
        },
      }),
    })
    const { zhang, room } = await bound(bot)
    const id = bot.world.say({ from: zhang.id, roomId: room.id, text: '3号楼电梯不动了', mentionBot: true })
    await eventually(
      async () => (await ChatMessageModel.findOne({ messageId: id }).lean())?.status === 'processed',
      8000,
    )
    const stored = await ChatMessageModel.findOne({ messageId: id }).lean()
    expect(stored?.outcome).toBe('report')
    expect(await CaseModel.countDocuments()).toBe(1)
    const replies = await OutboxModel.find({ key: new RegExp(`^reply:${id}:`) }).lean()
    expect(replies.map((r) => r.text)).toEqual([expect.stringMatching(/工单号 \d{6}-\d{4}/)])
    expect(replies.map((r) => r.text).join()).not.toContain(TEXT.apology)
  })

  it('binds a room by command and keeps the binding when the room id changes', async () => {
    const bot = await start()
    await seedGridWithWorker()
    const wang = bot.world.createContact('王芳')
    const { ResidentModel } = await import('../models/registry.model.js')
    await ResidentModel.updateOne({ name: '王芳' }, { $set: { 'wechat.contactId': wang.id } })
    const room = bot.world.createRoom('康和7号楼邻居群', [wang])
    bot.world.say({ from: wang.id, roomId: room.id, text: '绑定网格 KH-07' })
    await eventually(() => bot.world.delivered.some((d) => d.text.includes('网格 KH-07')))
    // After a re-login WeChat gives the same group a new id.
    const zhang = bot.world.createContact('张阿姨')
    const renewed = bot.world.createRoom('康和7号楼邻居群', [zhang])
    bot.world.say({ from: zhang.id, roomId: renewed.id, text: '报修 5号楼下水道堵了' })
    await eventually(() => bot.world.delivered.some((d) => d.to === renewed.id))
    const binding = await RoomBindingModel.findOne({ topic: '康和7号楼邻居群' }).lean()
    expect(binding?.roomId).toBe(renewed.id)
    expect(binding?.previousRoomIds).toEqual([room.id])
    expect(bot.world.delivered.find((d) => d.to === renewed.id)?.text).toContain('工单号')
  })

  it('minds its manners: silent on chit-chat, answers a mention and a trigger word, menu in a direct chat', async () => {
    const bot = await start()
    const { zhang, room } = await bound(bot)
    await buildServices(botTestConfig(), silentLogger).kb.importDocument({
      id: 'elderly-allowance',
      title: '高龄津贴发放办法',
      text: '# 高龄津贴发放办法\n\n一、年满80周岁的老年人可以领取高龄津贴。\n\n二、申请人持身份证和户口簿到社区服务站办理。',
    })
    bot.world.say({ from: zhang.id, roomId: room.id, text: '今天谁去买菜' })
    bot.world.say({ from: zhang.id, roomId: room.id, text: '小区门口的路灯坏了', mentionBot: true })
    bot.world.say({ from: zhang.id, roomId: room.id, text: '咨询 高龄津贴怎么领？' })
    bot.world.say({ from: zhang.id, text: '你好' })
    await eventually(() => bot.world.delivered.length === 3)
    await new Promise((r) => setTimeout(r, 200))
    const inRoom = bot.world.delivered.filter((d) => d.to === room.id).map((d) => d.text)
    expect(inRoom).toHaveLength(2)
    expect(inRoom[0]).toContain('工单号')
    expect(inRoom[1]).toContain('高龄津贴')
    expect(bot.world.delivered.find((d) => d.to === zhang.id)?.text).toBe(TEXT.menu)
    const chit = await ChatMessageModel.findOne({ text: '今天谁去买菜' }).lean()
    expect(chit?.outcome).toBe('ignored:chit-chat')
  })

  it('saves a photo as an attachment of the case just reported', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'linli-att-'))
    try {
      const bot = await start({ attachmentsDir: dir })
      const { zhang } = await bound(bot)
      bot.world.say({ from: zhang.id, text: '报修 楼道里堆满了杂物' })
      await eventually(async () => (await CaseModel.countDocuments()) === 1)
      zhang
        .say(FileBox.fromBase64(Buffer.from('fake-jpeg').toString('base64'), 'photo.jpg'))
        .to(bot.world.botUser)
      await eventually(async () => {
        const c = await CaseModel.findOne().lean()
        return c?.timeline.some((t) => t.action === 'comment' && t.attachments?.length === 1) === true
      })
      expect(readdirSync(dir).some((f) => f.endsWith('photo.jpg'))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('places the case just reported where a location message points (GCJ-02 from WeChat, kept as WGS-84)', async () => {
    const bot = await start()
    const { zhang } = await bound(bot)
    // Building 7 of KH-07 stands here (WGS-84); WeChat reports points in GCJ-02.
    const b7 = { lng: 109.78, lat: 39.61 }
    await GridModel.updateOne({ code: 'KH-07' }, { $set: { buildingPlaces: [{ building: '7', ...b7 }] } })
    invalidatePlaces()
    const sent = wgs84ToGcj02({ lng: b7.lng, lat: b7.lat + 0.0004 }) // ~45 m north of the building
    const point = { longitude: sent.lng, latitude: sent.lat, name: '康和小区', address: '康巴什区' }
    const repliesTo = (id: string) => bot.world.delivered.filter((d) => d.to === id).map((d) => d.text)

    bot.world.say({ from: zhang.id, text: '报修 路灯不亮了' })
    await eventually(async () => (await CaseModel.countDocuments()) === 1)
    bot.world.say({ from: zhang.id, text: '', location: point })
    await eventually(async () => (await CaseModel.findOne().lean())?.location?.building === '7')
    const c = await CaseModel.findOne().lean()
    expect(c?.location?.coords?.lat).toBeCloseTo(b7.lat + 0.0004, 6)
    expect(c?.location?.coords?.lng).toBeCloseTo(b7.lng, 6)
    await eventually(async () => repliesTo(zhang.id).some((r) => r.includes('7号楼附近')))
    const stored = await ChatMessageModel.findOne({ type: 'location' }).lean()
    expect(stored?.location?.name).toBe('康和小区')

    // A point from someone with no report to place opens nothing.
    const li = bot.world.createContact('李四')
    bot.world.say({ from: li.id, text: '', location: point })
    await eventually(async () => repliesTo(li.id).includes(TEXT.locationWithoutReport))
    expect(await CaseModel.countDocuments()).toBe(1)
  })

  it('passes a voice message to the worker with a case when no transcription is configured', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'linli-voice-'))
    try {
      const bot = await start({ attachmentsDir: dir })
      const zhang = bot.world.createContact('张阿姨')
      zhang.say(FileBox.fromBase64(Buffer.from('silk').toString('base64'), 'voice.sil')).to(bot.world.botUser)
      await eventually(() => bot.world.delivered.some((d) => d.to === zhang.id))
      const reply = bot.world.delivered.find((d) => d.to === zhang.id)?.text ?? ''
      expect(reply).toMatch(/^收到您的语音，已转给网格员，会尽快联系您。工单号 \d{6}-\d{4}$/)
      expect(reply).not.toContain('文字')
      const stored = await ChatMessageModel.findOne({ type: 'voice' }).lean()
      expect(stored?.attachments[0]?.kind).toBe('voice')
      const c = await CaseModel.findOne().lean()
      expect(c?.attachments.map((x) => x.kind)).toEqual(['voice'])
      expect(c?.attachments[0]?.ref).toBe(stored?.attachments[0]?.path)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports its login state for admins', async () => {
    const bot = await start()
    const s = bot.bot.status()
    expect(s.loggedIn).toBe(true)
    expect(s.user?.name).toBe('邻里小助手')
  })
})

describe('the bot after a logout', () => {
  useTestDatabase()

  it('logs in again by itself and keeps answering', async () => {
    const bot = await startTestBot()
    try {
      await bot.world.puppet.logout()
      expect(bot.bot.status().loggedIn).toBe(false)
      await eventually(() => bot.bot.status().loggedIn, 8000)
      const zhang = bot.world.createContact('张阿姨')
      bot.world.say({ from: zhang.id, text: '你好' })
      await eventually(() => bot.world.delivered.some((d) => d.to === zhang.id && d.text === TEXT.menu))
    } finally {
      await bot.stop()
    }
  })
})
