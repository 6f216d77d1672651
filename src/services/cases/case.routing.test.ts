import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { makeCaseService } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { createCommunity, createGrid, createHousehold, createPerson } from '../../../test/factories.js'
import { checkCaseOwnersAfterEach, expectEveryCaseOwned } from '../../../test/owner-invariant.js'
import { CaseModel, hasOwner, ownerOf } from '../../models/case.model.js'
import { LookupKeyModel } from '../../models/lookup-key.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { SYSTEM_ACTOR } from './case.access.js'

/**
 * Community KH: grid KH-01 (buildings 1–3, worker 王网格) and KH-02 (buildings 4–6, worker 赵网格),
 * community staff 陈社区 on duty and 休社区 off duty; community QT with no staff at all; a resident
 * of KH-02 (4号楼1单元101); a city intake desk (孟窗口, 姜窗口) and a street desk for QT (石窗口).
 */
async function makeRoutingWorld(options: { desk?: boolean } = {}) {
  const kh = await createCommunity('KH')
  const qt = await createCommunity('QT')
  const g1 = await createGrid(kh._id, 'KH-01', { buildings: ['1', '2', '3'] })
  const g2 = await createGrid(kh._id, 'KH-02', { buildings: ['4', '5', '6'] })
  const w1 = await createPerson('王网格', ['grid_worker'], {
    communityId: kh._id,
    staff: { gridIds: [g1._id] },
  })
  const w2 = await createPerson('赵网格', ['grid_worker'], {
    communityId: kh._id,
    staff: { gridIds: [g2._id] },
  })
  g1.primaryWorkerId = w1._id
  await g1.save()
  g2.primaryWorkerId = w2._id
  await g2.save()
  const staff = await createPerson('陈社区', ['community_staff'], { staff: { communityIds: [kh._id] } })
  await createPerson('休社区', ['community_staff'], { staff: { communityIds: [kh._id], onDuty: false } })
  const home = await createHousehold(g2, '4', '1', '101')
  const resident = await createPerson('钱居民', ['resident'], {
    communityId: kh._id,
    gridId: g2._id,
    householdId: home._id,
    contactId: 'wx-qian',
  })
  const desk = options.desk === false ? [] : await makeDesk(qt._id)
  return { kh, qt, g1, g2, w1, w2, staff, resident, desk }
}

async function makeDesk(streetCommunityId: unknown) {
  return [
    await createPerson('孟窗口', ['intake_desk']),
    await createPerson('姜窗口', ['intake_desk']),
    await createPerson('石窗口', ['intake_desk'], {
      staff: { communityIds: [streetCommunityId as never] },
    }),
  ]
}

const tasksTo = async (personId: unknown) =>
  OutboxModel.find({ 'to.id': String(personId), kind: 'task' }).lean()

describe('routing: every case has an owner', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('sends 「5栋煤气味很重」 from KH-01’s group to KH-02’s worker, who holds building 5', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-gas',
      text: '5栋煤气味很重',
      category: 'safety_hazard',
      urgency: 'urgent',
      reporter: { contactId: 'wx-stranger', roomId: 'room-kh01' },
      hint: { gridId: String(w.g1._id) },
    })
    expect(res.case).toMatchObject({ assigneeId: String(w.w2._id), status: 'assigned' })
    expect(res.case.location).toMatchObject({ gridId: String(w.g2._id), building: '5' })
    expect(await tasksTo(w.w2._id)).toHaveLength(1)
    expect(await tasksTo(w.w1._id)).toHaveLength(0)
    // The registry's answer is remembered under an _id key for the next report.
    const key = await LookupKeyModel.findById(`building-grid:${w.kh._id}:5`).lean()
    expect(key?.ref).toBe(String(w.g2._id))
    // The chat layer of today passes the group's grid as the location: the building still wins.
    const again = await service.open({
      channel: 'group',
      sourceKey: 'r-gas-2',
      text: '6号楼电梯困人了',
      category: 'facility_repair',
      location: { gridId: String(w.g1._id) },
    })
    expect(again.case.assigneeId).toBe(String(w.w2._id))
  })

  it('takes the reporter’s household over the group’s grid when the text names no building', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-home',
      text: '楼道灯坏了好几天了',
      category: 'facility_repair',
      reporter: { personId: String(w.resident._id) },
      hint: { gridId: String(w.g1._id) },
    })
    expect(res.case).toMatchObject({ assigneeId: String(w.w2._id) })
    expect(res.case.location).toMatchObject({ building: '4', unit: '1', gridId: String(w.g2._id) })
  })

  it('takes the group’s grid for a stranger who names no building', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-group',
      text: '小区门口垃圾堆了好几天',
      category: 'sanitation',
      reporter: { contactId: 'wx-new' },
      hint: { gridId: String(w.g1._id) },
    })
    expect(res.case).toMatchObject({ assigneeId: String(w.w1._id), status: 'assigned' })
  })

  it('gives a case known only by its community to the community staff on duty', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-community',
      text: '小区广场晚上跳舞声音太大',
      category: 'noise',
      reporter: { contactId: 'wx-new' },
      hint: { communityId: String(w.kh._id) },
    })
    expect(res.case).toMatchObject({ assigneeId: String(w.staff._id), status: 'assigned' })
    expect(res.case.timeline.at(-1)).toMatchObject({ action: 'assigned', note: '社区值班人员' })
    expect(await tasksTo(w.staff._id)).toHaveLength(1)
    // A building of the community named in the text still finds its grid.
    const named = await service.open({
      channel: 'group',
      sourceKey: 'r-community-2',
      text: '2号楼门口的路灯不亮',
      category: 'facility_repair',
      hint: { communityCode: 'KH' },
    })
    expect(named.case.assigneeId).toBe(String(w.w1._id))
  })

  it('holds a case of unknown place at the city’s intake desk, alerts every desk member and lists it', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'direct',
      sourceKey: 'r-nowhere',
      text: '我家楼下的井盖丢了，很危险',
      category: 'facility_repair',
      reporter: { contactId: 'wx-stranger' },
    })
    const [meng, jiang, shi] = w.desk.map((p) => String(p._id))
    expect(res.case.status).toBe('assigned')
    expect([meng, jiang]).toContain(res.case.assigneeId)
    const doc = await CaseModel.findOne({ number: res.case.number }).lean()
    expect(doc?.heldAt).toMatchObject({ queue: 'intake_desk', reason: 'no_place' })
    expect(doc && ownerOf(doc)).toMatchObject({ kind: 'person', queue: 'intake_desk' })
    for (const id of [meng, jiang]) {
      const [task] = await tasksTo(id)
      expect(task?.text).toContain('受理窗口')
      expect(task?.text).toContain(res.case.number)
    }
    expect(await tasksTo(shi)).toHaveLength(0) // QT's street desk serves QT only
    const list = await service.listAtIntakeDesk()
    expect(list.items.map((c) => c.number)).toEqual([res.case.number])
    expect((await service.listAtIntakeDesk({ communityIds: [String(w.kh._id)] })).items).toEqual([])
  })

  it('sends a case of a community with nobody on duty to that street’s desk', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-qt',
      text: '路边有棵树倒了挡住了路',
      category: 'greening_pets',
      hint: { communityId: String(w.qt._id) },
    })
    expect(res.case.assigneeId).toBe(String(w.desk[2]?._id))
    const doc = await CaseModel.findOne({ number: res.case.number }).lean()
    expect(doc?.heldAt).toMatchObject({ queue: 'intake_desk', reason: 'no_staff' })
    const listed = await service.listAtIntakeDesk({ communityIds: [String(w.qt._id)] })
    expect(listed.items.map((c) => c.number)).toEqual([res.case.number])
  })

  it('falls back to an admin when the desk has nobody, logging an error; with nobody at all it waits in the queue', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'error' }, { write: (s: string) => lines.push(s) })
    await makeRoutingWorld({ desk: false })
    const { service } = makeCaseService(undefined, { logger })
    const lonely = await service.open({
      channel: 'open311',
      sourceKey: 'r-lonely',
      text: '公园里的长椅坏了',
      category: 'facility_repair',
    })
    expect(lonely.case.status).toBe('received')
    const held = await CaseModel.findOne({ number: lonely.case.number }).lean()
    expect(held && ownerOf(held)).toEqual({ kind: 'queue', queue: 'intake_desk' })
    expect(held && hasOwner(held)).toBe(true)
    const admin = await createPerson('管理员', ['admin'])
    const res = await service.open({
      channel: 'open311',
      sourceKey: 'r-admin',
      text: '公园的路灯坏了',
      category: 'facility_repair',
    })
    expect(res.case.assigneeId).toBe(String(admin._id))
    expect(await tasksTo(admin._id)).toHaveLength(1)
    expect(lines.filter((l) => l.includes('the intake desk has nobody on duty'))).toHaveLength(2)
    // Routing again once someone is there gives the waiting case to them.
    expect((await service.route(lonely.case.number)).assigneeId).toBe(String(admin._id))
  })

  it('relocates a desk case to the grid of the building named and tells that grid’s worker', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'direct',
      sourceKey: 'r-relocate',
      text: '楼道里堆满了杂物',
      category: 'sanitation',
      reporter: { contactId: 'wx-stranger' },
    })
    const desk = { personId: res.case.assigneeId, roles: ['intake_desk'] }
    const stranger = { personId: String(w.resident._id), roles: ['resident'] }
    await expect(
      service.relocate(res.case.number, stranger, { communityCode: 'KH', building: '5' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(service.relocate(res.case.number, desk, {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const moved = await service.relocate(res.case.number, desk, {
      communityId: String(w.kh._id),
      building: '5栋',
      unit: '2',
    })
    expect(moved).toMatchObject({ status: 'assigned', assigneeId: String(w.w2._id) })
    expect(moved.location).toMatchObject({ gridId: String(w.g2._id), building: '5', unit: '2' })
    expect(moved.timeline.map((t) => t.action).slice(-2)).toEqual(['relocated', 'assigned'])
    expect(moved.timeline.at(-2)).toMatchObject({ actorRole: 'intake_desk', note: '地点更正为5号楼2单元' })
    const [task] = await tasksTo(w.w2._id)
    expect(task?.text).toContain('5号楼2单元')
    expect((await CaseModel.findOne({ number: moved.number }).lean())?.heldAt).toBeUndefined()
    expect((await service.listAtIntakeDesk()).items).toEqual([])
    // The system (the chat layer, after asking the stranger) may move it again.
    const back = await service.relocate(moved.number, SYSTEM_ACTOR, { gridCode: 'kh-01' })
    expect(back.assigneeId).toBe(String(w.w1._id))
  })

  it('keeps a returned case in its community’s queue until someone dispatches it', async () => {
    const w = await makeRoutingWorld()
    const { service } = makeCaseService()
    const res = await service.open({
      channel: 'group',
      sourceKey: 'r-return',
      text: '1号楼下水道堵了',
      category: 'facility_repair',
      hint: { communityId: String(w.kh._id) },
    })
    expect(res.case.assigneeId).toBe(String(w.w1._id))
    const worker = { personId: String(w.w1._id), roles: ['grid_worker'] }
    const back = await service.returnCase(res.case.number, worker, '需要物业处理')
    expect(back).toMatchObject({ status: 'received', assigneeId: undefined })
    const doc = await CaseModel.findOne({ number: back.number }).lean()
    expect(doc && ownerOf(doc)).toEqual({ kind: 'queue', queue: 'community', communityId: String(w.kh._id) })
    const listed = await service.listAtIntakeDesk({ communityIds: [String(w.kh._id)] })
    expect(listed.items.map((c) => c.number)).toEqual([back.number])
    await expectEveryCaseOwned()
  })
})
