import { describe, expect, it } from 'vitest'
import { notCheap, recordCommands } from '../../../test/command-recorder.js'
import { bindRoom, makeCommunity, makePerson, staffActor } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { ChatAskModel } from '../../models/conversation-ask.model.js'
import { createAsks } from '../conversations/asks.service.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createNoticeService } from './notice.service.js'

const NOW = new Date('2026-11-28T02:00:00Z')
const settings = { timezone: 'Asia/Shanghai', confirmAboveRooms: 30, confirmAbovePersons: 50 }

describe('what a notice to the groups costs the database', () => {
  useTestDatabase({ monitorCommands: true })

  /** Writes and sends a notice to a community of 15 bound groups, recording the commands. */
  async function sendToFifteenGroups(requireAck: boolean) {
    const clock = fixedClock(NOW)
    const outbox = createOutbox({ clock, asks: createAsks({ clock }) })
    const notices = createNoticeService({ clock, outbox, settings })
    const { community, grid } = await makeCommunity()
    for (let i = 0; i < 15; i++) {
      const g = await grid(i + 1)
      await bindRoom({ roomId: `room-${i}`, communityId: community._id, gridId: g._id, code: `KC-${i}` })
    }
    const staffer = await makePerson({
      name: '王主任',
      communityId: community._id,
      roles: ['community_staff'],
    })
    const actor = staffActor(staffer, ['community_staff'], [community._id])
    const { result, commands } = await recordCommands(async () => {
      const input = { communityId: String(community._id), title: '停水通知', body: '明天停水。', requireAck }
      return notices.send((await notices.create(input, actor)).id, {}, actor)
    })
    console.log(`${commands.length} commands\n${commands.map((c) => `  ${c.line}`).join('\n')}`)
    expect(result.enqueued).toBe(15)
    expect(commands.map((c) => [c.line, notCheap(c)]).filter(([, why]) => why)).toEqual([])
    expect(commands.filter((c) => c.collection === 'room_bindings')).toHaveLength(1)
    expect(commands.filter((c) => c.collection.startsWith('outbox')).map((c) => c.line)).toEqual([
      'insert outbox "String"',
    ])
    return commands
  }

  it('writing and sending a notice to 15 groups costs 8 commands, one insert for its messages', async () => {
    // The notice's insert, its lock (2), its read, the groups (one indexed read, however many), the
    // two status writes and the messages: one insert for all 15, no lane-index rows. 9 before.
    expect((await sendToFifteenGroups(false)).length).toBeLessThanOrEqual(8)
  })

  it('a notice asking for 收到 records the question of all 15 groups in one more write, and renews the groups’ questions once', async () => {
    const commands = await sendToFifteenGroups(true)
    expect(commands.filter((c) => c.collection === 'chat_asks').map((c) => c.name)).toEqual(['update'])
    // And the groups' questions kept in every process are renewed once (the `asks` version).
    expect(commands.filter((c) => c.line === 'update registry_versions {"_id":"String"}')).toHaveLength(1)
    expect(commands.length).toBeLessThanOrEqual(10)
    expect(await ChatAskModel.countDocuments({ kind: 'ack' })).toBe(15)
  })
})
