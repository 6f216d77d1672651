import { beforeEach, describe, expect, it } from 'vitest'
import { notCheap, recordCommands } from '../../test/command-recorder.js'
import { useTestDatabase } from '../../test/db.js'
import { CaseModel } from '../models/case.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { chat, useBoundChat } from './handler-fixtures.test-helper.js'

void RoomBindingModel

/** What a chat message may cost (issue 17): a dozen commands, each an `_id` read or top-level equalities. */
const BUDGET = 12

describe('what a chat message costs the database', () => {
  useTestDatabase({ monitorCommands: true })
  const chatWorld = useBoundChat('cost@chatroom')
  const { room, handle } = chatWorld

  beforeEach(async () => {
    // A neighbourhood in use: the resident has asked the bot before (the contact's key is written) and
    // a neighbour reported another problem in building 7 (the building's grid and the grid's recent
    // repairs are known); a stranger's first message or a grid's first case cost more, once.
    await handle(chat('@邻里小助手\u2005我的工单', { room, mentionsBot: true }))
    await handle(
      chat('@邻里小助手\u20057号楼电梯门关不上', {
        room,
        mentionsBot: true,
        sender: { contactId: 'c-li', name: '李叔' },
      }),
    )
  })

  async function cost(text: string) {
    const { result, commands } = await recordCommands(() => handle(chat(text, { room, mentionsBot: true })))
    console.log(`${text}: ${commands.length} commands\n${commands.map((c) => `  ${c.line}`).join('\n')}`)
    return { out: result, commands }
  }

  it('a new report in a group opens and assigns a case, each command an _id read or an indexed equality', async () => {
    const { out, commands } = await cost('@邻里小助手\u20057号楼2单元楼道灯坏了')
    expect(out.outcome).toBe('report')
    const number = /\d{6}-\d{4}/.exec(out.replies[0]?.text ?? '')?.[0]
    const opened = await CaseModel.findOne({ number }).lean()
    expect(String(opened?.assigneeId)).toBe(String(chatWorld.people.worker._id))
    const costly = commands.map((c) => [c.line, notCheap(c)]).filter(([, why]) => why)
    expect(costly).toEqual([])
    // No registry search, and the registry read once: its version, the contact's key, the sender.
    expect(commands.filter((c) => c.collection === 'residents')).toHaveLength(1)
    expect(commands.filter((c) => c.collection === 'registry_versions' && c.name === 'find')).toHaveLength(1)
    expect(commands.filter((c) => ['grids', 'departments', 'households'].includes(c.collection))).toEqual([])
    // 51 before the registry cache, 37 before the intake rework, 15 with the outbox's lane-index rows,
    // 13 with the group's questions read per message; 12 now. Each outbox message is one insert (its
    // lane marker is a field of the message), and the group's open questions come from memory.
    expect(commands.filter((c) => c.collection.startsWith('outbox_pending'))).toEqual([])
    expect(commands.filter((c) => c.collection === 'outbox').map((c) => c.name)).toEqual(['insert', 'insert'])
    expect(commands.filter((c) => c.line.startsWith('find chat_asks'))).toHaveLength(1)
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
