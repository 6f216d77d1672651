import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockWorld } from '../../src/bot/mock-world.js'
import { CaseModel } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { testDatabaseUri } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

const NUMBER_RE = /\d{6}-\d{4,}/

/**
 * Issue 12, owners: reports that used to reach nobody (an unbound group, a stranger's direct chat)
 * and a building named in another grid's group, through the mock puppet and the real service.
 */
describe('every chat report reaches an owner who is told', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let mock: MockWorld

  /** Says something, waits until it is handled, and returns the case it opened. */
  async function report(from: string, text: string, roomId?: string) {
    const id = mock.say({ from, text, roomId, mentionBot: Boolean(roomId) })
    const deadline = Date.now() + 15_000
    while (!(await ChatMessageModel.exists({ messageId: id, status: 'processed' }))) {
      if (Date.now() > deadline) throw new Error(`not handled: ${text}`)
      await new Promise((r) => setTimeout(r, 30))
    }
    const replies = await OutboxModel.find({ 'refs.messageId': id }).lean()
    const number = replies.map((r) => NUMBER_RE.exec(r.text)?.[0]).find(Boolean) ?? ''
    const c = await CaseModel.findOne({ number }).lean()
    if (!c) throw new Error(`no case for: ${text} (${replies.map((r) => r.text).join(' / ')})`)
    return c
  }

  const tasksOf = (personId: string, number: string) =>
    OutboxModel.find({ 'to.id': personId, text: { $regex: number } }).lean()

  beforeAll(async () => {
    world = await startServiceWorld(testDatabaseUri('owners'))
    if (!world.service.bot?.mock) throw new Error('no mock world')
    mock = world.service.bot.mock
  }, 120_000)

  afterAll(async () => {
    await world?.stop()
  })

  it('「5栋煤气味很重」 in KH-01’s group goes to KH-02’s worker, who is told', async () => {
    const resident = mock.createContact('赵大姐').id
    const room = world.rooms.find((r) => r.grid === 'KH-01')?.id
    const c = await report(resident, '5栋煤气味很重', room)
    const kh02 = world.seed.grids.find((g) => g.code === 'KH-02')
    expect(String(c.location?.gridId)).toBe(kh02?.id)
    expect(String(c.assigneeId)).toBe(kh02?.primaryWorker.id)
    expect(await tasksOf(kh02?.primaryWorker.id ?? '', c.number)).not.toHaveLength(0)
  })

  it('a report in a group not bound yet, and a stranger’s direct report, go to the intake desk, which is alerted', async () => {
    const desk = world.seed.intakeDesk.id
    const neighbour = mock.createContact('钱先生')
    const unbound = mock.createRoom('新建小区业主群', [neighbour]).id
    const inGroup = await report(neighbour.id, '小区门口的路灯坏了好几天了', unbound)
    expect(inGroup).toMatchObject({ heldAt: { queue: 'intake_desk', reason: 'no_place' } })
    expect(String(inGroup.assigneeId)).toBe(desk)
    expect((await tasksOf(desk, inGroup.number))[0]?.text).toContain('受理窗口')

    const stranger = mock.createContact('路过的人').id
    const direct = await report(stranger, '我家楼下的井盖丢了，很危险')
    expect(String(direct.assigneeId)).toBe(desk)
    expect(await tasksOf(desk, direct.number)).not.toHaveLength(0)

    // Once the place is known (the chat layer asks; here the desk says it), the grid worker has it.
    const moved = await world.service.services.cases.relocate(
      direct.number,
      { personId: desk, roles: ['intake_desk'] },
      { communityCode: 'KH', building: '11号楼' },
    )
    const kh04 = world.seed.grids.find((g) => g.code === 'KH-04')
    expect(moved.assigneeId).toBe(kh04?.primaryWorker.id)
    expect(await tasksOf(kh04?.primaryWorker.id ?? '', direct.number)).not.toHaveLength(0)
  })
})
