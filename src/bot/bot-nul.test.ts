import { describe, expect, it, onTestFinished } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { seedGridWithWorker } from '../handlers/handler-fixtures.test-helper.js'
import { CaseModel } from '../models/case.model.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { eventually, startTestBot } from './bot-test-world.test-helper.js'

void RoomBindingModel

// PostgreSQL refuses U+0000 in text: a message carrying one must still be stored and handled (the
// NUL removed), never lost to a failed insert. Runs on the suite's backend (PostgreSQL when installed).
describe('a chat message with a NUL character', () => {
  useTestDatabase()

  it('is stored without the NUL and opens its case with a reply', async () => {
    const bot = await startTestBot()
    onTestFinished(() => bot.stop())
    await seedGridWithWorker()
    const topic = '康和小区7号楼居民群'
    const zhang = bot.world.createContact('张阿姨')
    const room = bot.world.createRoom(topic, [zhang])
    await bot.rooms.bindAsSystem({ roomId: room.id, topic, target: { scope: 'grid', code: 'KH-07' } })
    const id = bot.world.say({
      from: zhang.id,
      roomId: room.id,
      text: '3号楼\u0000电梯不动了',
      mentionBot: true,
    })
    await eventually(
      async () => (await ChatMessageModel.findOne({ messageId: id }).lean())?.status === 'processed',
      15_000,
    )
    const stored = await ChatMessageModel.findOne({ messageId: id }).lean()
    expect(stored?.text).toMatch(/3号楼电梯不动了$/)
    expect(stored?.text).not.toContain('\u0000')
    expect(stored?.outcome).toBe('report')
    const opened = await CaseModel.findOne({}).lean()
    expect(opened?.description).toContain('3号楼电梯不动了')
    await eventually(
      () => bot.world.delivered.some((d) => d.to === room.id && d.text.includes('工单号')),
      15_000,
    )
  })

  it('is accepted by create, insertMany and updates of any model', async () => {
    const base = {
      direction: 'in' as const,
      chatKey: 'room:r1',
      senderContactId: 'u1',
      receivedAt: new Date(),
    }
    const keys = (id: string) => ({ messageId: id, dedupeKey: `id:${id}`, dedupeKey2: `id2:${id}` })
    await ChatMessageModel.create({ ...base, ...keys('m1'), text: 'a\u0000b' })
    await ChatMessageModel.insertMany([{ ...base, ...keys('m2'), text: '\u0000c\u0000' }])
    await ChatMessageModel.updateOne({ messageId: 'm1' }, { $set: { text: 'd\u0000e' } })
    const texts = (await ChatMessageModel.find({}).sort({ messageId: 1 }).lean()).map((m) => m.text)
    expect(texts).toEqual(['de', 'c'])
  })
})
