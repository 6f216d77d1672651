import { describe, expect, it } from 'vitest'
import { recordCommands } from '../../../test/command-recorder.js'
import { useTestDatabase } from '../../../test/db.js'
import { BotReachModel } from '../../models/bot-account.model.js'
import { createBotReach, MAIN_ACCOUNT } from './bot-accounts.js'

describe('which bot account reaches a group', () => {
  useTestDatabase({ monitorCommands: true })

  it('keeps the first account that heard a group, and reads each group once per process', async () => {
    const reach = createBotReach([MAIN_ACCOUNT, 'second'])
    const room = (id: string) => ({ type: 'room' as const, id })
    const rooms = [room('r1@chatroom'), room('r2@chatroom'), room('r3@chatroom')]
    await Promise.all(Array.from({ length: 10 }, () => reach.note('second', room('r1@chatroom'))))
    await reach.note(MAIN_ACCOUNT, room('r1@chatroom'))
    await BotReachModel.create({ _id: 'room:r2@chatroom', account: 'second', at: new Date() })
    expect(await BotReachModel.countDocuments({})).toBe(2)

    const other = createBotReach([MAIN_ACCOUNT, 'second']) // another process: learns by reading
    const first = await recordCommands(() => Promise.all(rooms.map((r) => other.accountFor(r))))
    expect(first.result).toEqual(['second', 'second', MAIN_ACCOUNT])
    expect(first.commands).toHaveLength(3)
    // A second broadcast to the same groups reads only the one no account has heard from yet.
    const again = await recordCommands(() => Promise.all(rooms.map((r) => other.accountFor(r))))
    expect(again.result).toEqual(['second', 'second', MAIN_ACCOUNT])
    expect(again.commands.map((c) => c.line)).toEqual(['find bot_reach {"_id":"String"}'])
    expect(await reach.accountFor(room('r1@chatroom'))).toBe('second')
  })
})
