import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { botTestConfig, eventually, startTestBot } from '../../bot/bot-test-world.test-helper.js'
import { seedGridWithWorker } from '../../handlers/handler-fixtures.test-helper.js'
import { loadConfig } from '../../lib/config.js'
import { silentLogger } from '../../lib/logger.js'
import { ChatMessageModel } from '../../models/chat-message.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'
import { createApp } from '../app.js'
import { isSimulatorAllowed, simRoutes } from './sim.routes.js'

void ChatMessageModel
void RoomBindingModel

describe('simulator routes', () => {
  useTestDatabase()
  let bot: Awaited<ReturnType<typeof startTestBot>>
  let http: ReturnType<typeof request>

  beforeEach(async () => {
    bot = await startTestBot()
    const app = createApp({
      logger: silentLogger,
      bodyLimitKb: 64,
      routers: [simRoutes({ world: bot.world, rooms: bot.rooms, conversations: bot.conversations })],
    })
    http = request(app.callback())
    await seedGridWithWorker()
  })
  afterEach(async () => {
    await bot.stop()
  })

  it('plays a resident in a bound group and shows the transcript with the bot reply', async () => {
    const room = await http
      .post('/api/v1/sim/rooms')
      .send({ topic: '康和小区7号楼', gridCode: 'KH-07' })
      .expect(201)
    const roomId = room.body.roomId as string
    expect(await RoomBindingModel.countDocuments({ roomId })).toBe(1)
    const resident = await http.post('/api/v1/sim/contacts').send({ name: '李奶奶' }).expect(201)
    expect(resident.body.roles).toEqual(['resident'])
    await http
      .post(`/api/v1/sim/rooms/${roomId}/messages`)
      .send({ from: resident.body.contactId, text: '3号楼电梯坏了', mentionBot: true })
      .expect(202)
    await eventually(
      async () => (await http.get(`/api/v1/sim/rooms/${roomId}/messages`)).body.messages.length === 2,
    )
    const { body } = await http.get(`/api/v1/sim/rooms/${roomId}/messages`).expect(200)
    expect(
      body.messages.map((m: { direction: string; from: { name: string } }) => [m.direction, m.from.name]),
    ).toEqual([
      ['in', '李奶奶'],
      ['out', '邻里小助手'],
    ])
    expect(body.messages[1].text).toContain('工单号')
    expect(Date.parse(body.messages[0].at)).toBeLessThanOrEqual(Date.parse(body.messages[1].at))
  })

  it('links a seeded staff member by name and carries a direct chat', async () => {
    const worker = await http.post('/api/v1/sim/contacts').send({ name: '王芳' }).expect(201)
    expect(worker.body.roles).toContain('grid_worker')
    const linked = await ResidentModel.findOne({ name: '王芳' }).lean()
    expect(linked?.wechat?.contactId).toBe(worker.body.contactId)
    await http
      .post(`/api/v1/sim/contacts/${worker.body.contactId}/messages`)
      .send({ text: '你好' })
      .expect(202)
    await eventually(
      async () =>
        (await http.get(`/api/v1/sim/contacts/${worker.body.contactId}/messages`)).body.messages.length === 2,
    )
    const { body } = await http.get(`/api/v1/sim/contacts/${worker.body.contactId}/messages`)
    expect(body.messages[1].text).toContain('1 报事报修')
  })

  it('answers bad input with a clear 4xx', async () => {
    const bad = await http.post('/api/v1/sim/rooms').send({ topic: '' }).expect(400)
    expect(bad.body.error.code).toBe('INVALID_INPUT')
    await http.post('/api/v1/sim/rooms').send({ topic: '新群', gridCode: 'NO-1' }).expect(404)
    await http.post('/api/v1/sim/rooms/nope@chatroom/messages').send({ from: 'x', text: 'hi' }).expect(404)
    await http.get('/api/v1/sim/contacts/nobody/messages').expect(404)
  })

  it('serves the simulator page', async () => {
    const page = await http.get('/simulator').expect(200)
    expect(page.text).toContain('微信模拟器')
  })

  it('is never allowed in production or with a real puppet', () => {
    expect(isSimulatorAllowed(botTestConfig())).toBe(true)
    const real = loadConfig({}, { overrides: { wechaty: { puppet: 'wechaty-puppet-service' } } })
    expect(isSimulatorAllowed(real)).toBe(false)
    const off = loadConfig({}, { overrides: { simulator: { enabled: false } } })
    expect(isSimulatorAllowed(off)).toBe(false)
  })
})
