import { beforeEach, describe, expect, it } from 'vitest'
import { notCheap, recordCommands } from '../../test/command-recorder.js'
import { useTestDatabase } from '../../test/db.js'
import { loadConfig } from '../lib/config.js'
import { silentLogger } from '../lib/logger.js'
import { buildServices } from '../main.js'
import { CaseModel } from '../models/case.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { createChatHandler } from './chat-handler.js'
import { chat, seedGridWithWorker } from './handler-fixtures.test-helper.js'

void RoomBindingModel

/** What a chat message may cost (issue 17): a dozen commands, each an `_id` read or top-level equalities. */
const BUDGET = 12

describe('what a chat message costs the database', () => {
  useTestDatabase({ monitorCommands: true })
  const room = { id: 'cost@chatroom', topic: '康和小区7号楼' }
  const config = loadConfig({}, { overrides: { env: 'test', wechaty: { botName: '邻里小助手' } } })
  const services = buildServices(config, silentLogger)
  const handle = createChatHandler({ services, logger: silentLogger, botName: '邻里小助手' })

  beforeEach(async () => {
    await seedGridWithWorker()
    await services.rooms.bindAsSystem({
      roomId: room.id,
      topic: room.topic,
      target: { scope: 'grid', code: 'KH-07' },
    })
    // The resident has spoken before (a greeting): the first message of a stranger may register them.
    await handle(chat('@邻里小助手\u2005你好', { room, mentionsBot: true }))
  })

  async function cost(text: string) {
    const { result, commands } = await recordCommands(() => handle(chat(text, { room, mentionsBot: true })))
    console.log(`${text}: ${commands.length} commands\n${commands.map((c) => `  ${c.line}`).join('\n')}`)
    return { out: result, commands }
  }

  it('a new report in a group opens and assigns a case within the budget, each command an indexed equality', async () => {
    const { out, commands } = await cost('@邻里小助手\u20057号楼2单元楼道灯坏了')
    expect(out.outcome).toBe('report')
    expect(await CaseModel.countDocuments({ assigneeId: { $exists: true } })).toBe(1)
    const costly = commands.map((c) => [c.line, notCheap(c)]).filter(([, why]) => why)
    expect(costly).toEqual([])
    expect(commands.length).toBeLessThanOrEqual(BUDGET)
  })

  it('a follow-up status question stays within the budget', async () => {
    await handle(chat('@邻里小助手\u20057号楼2单元楼道灯坏了', { room, mentionsBot: true }))
    const { out, commands } = await cost('@邻里小助手\u2005我的工单')
    expect(out.outcome).toBe('my_cases')
    expect(out.replies.map((r) => r.text).join()).toMatch(/\d{6}-\d{4}/)
    const costly = commands.map((c) => [c.line, notCheap(c)]).filter(([, why]) => why)
    expect(costly).toEqual([])
    expect(commands.length).toBeLessThanOrEqual(BUDGET)
  })
})
