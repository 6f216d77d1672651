import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { createPerson } from '../../../test/factories.js'
import { caseFollowUpJob } from '../../jobs/case-follow-up.job.js'
import { loadConfig } from '../../lib/config.js'
import { CaseModel } from '../../models/case.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { createOutbox } from '../outbox/outbox.service.js'

type World = Awaited<ReturnType<typeof makeCaseWorld>>
type Service = ReturnType<typeof makeCaseService>['service']

const HOUR = 3_600_000
const PHONE = /1[3-9]\d{9}/

/** 张三 reports a broken light in 3号楼 (KH-01, 王网格); 李四 reports the same and subscribes. */
async function openLight(service: Service, w: World): Promise<string> {
  const r = await service.open({
    channel: 'group',
    sourceKey: 'rw-1',
    text: '3号楼2单元楼道灯坏了，电话13812345678',
    category: 'facility_repair',
    reporter: { personId: String(w.zhang._id), roomId: 'room-1' },
  })
  await service.open({
    channel: 'direct',
    sourceKey: 'rw-2',
    text: '三号楼二单元楼道灯不亮了',
    category: 'facility_repair',
    reporter: { personId: String(w.li._id) },
  })
  return r.case.number
}

const zhang = (w: World) => ({ personId: String(w.zhang._id) })

describe('不满意重办: a low rating sends the case back', () => {
  useTestDatabase()

  it('reopens a 2-star case to its assignee with a rework event, a new deadline, a task and a call-back', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    const first = await service.get(n)
    clock.advance(30 * HOUR)
    await service.resolve(n, w.as.worker, '灯泡已更换')
    clock.advance(HOUR)
    const back = await service.rate(n, zhang(w), 2, '  灯还是一闪一闪的  ')
    expect(back).toMatchObject({
      status: 'in_progress',
      reworkCount: 1,
      assigneeId: String(w.worker._id),
      rating: { score: 2, comment: '灯还是一闪一闪的' },
    })
    expect(back.resolvedAt).toBeUndefined()
    // A new resolution deadline counted from now (48 h for 设施报修), later than the first one.
    expect(back.due.resolveBy?.getTime()).toBeGreaterThan(first.due.resolveBy?.getTime() ?? 0)
    expect(back.due.resolveBy?.getTime()).toBeGreaterThan(clock.now().getTime())
    expect(back.due.overdue).toBe(false)
    expect(back.timeline.slice(-2)).toMatchObject([
      { action: 'rated', to: '2', note: '灯还是一闪一闪的' },
      { action: 'rework', actionLabel: '发回重办', note: expect.stringContaining('2 分') },
    ])

    const task = await OutboxModel.findOne({ 'to.id': String(w.worker._id), text: /重办/ }).lean()
    expect(task?.kind).toBe('task')
    expect(task?.text).toContain(n)
    expect(task?.text).toContain('2 分')
    expect(task?.text).toContain('灯还是一闪一闪的')
    const callBack = await OutboxModel.findOne({ 'to.id': String(w.staff._id), text: /回访/ }).lean()
    expect(callBack?.kind).toBe('task')
    expect(callBack?.text).toContain(n)
    expect(callBack?.text).toContain('2 分')
    expect(callBack?.text).not.toMatch(PHONE)
    expect(task?.text).not.toMatch(PHONE)
  })

  it('refuses a second rating of the same resolution, then takes one for the new resolution', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '灯泡已更换')
    await service.rate(n, zhang(w), 1)
    await expect(service.rate(n, zhang(w), 5)).rejects.toMatchObject({ code: 'CONFLICT' })
    await service.progress(n, w.as.worker, '已联系电工重新检查线路')
    await service.resolve(n, w.as.worker, '线路已重接')
    const closed = await service.rate(n, zhang(w), 5, '这次好了')
    expect(closed).toMatchObject({
      status: 'closed',
      reworkCount: 1,
      rating: { score: 5, comment: '这次好了' },
    })
    await expect(service.rate(n, zhang(w), 4)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('已经评价过'),
    })
    // One points credit per rated resolution.
    expect(await PointsEntryModel.countDocuments({ reason: 'rating_given', personId: w.zhang._id })).toBe(2)
  })

  it('announces the new resolution and sends its own 回访, as for the first one', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const config = loadConfig({ LINLI_ENV: 'test' })
    const jobDeps = { config, outbox: createOutbox({ clock }) }
    const delay = config.cases.followUpDelayHours * HOUR
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '灯泡已更换')
    clock.advance(delay + HOUR)
    await caseFollowUpJob(jobDeps, clock.now())
    await service.rate(n, zhang(w), 2)
    clock.advance(2 * HOUR)
    await service.resolve(n, w.as.worker, '线路已重接')
    const toZhang = { 'to.id': String(w.zhang._id) }
    const announced = await OutboxModel.find({ ...toZhang, kind: 'update', text: /1-5/ }).lean()
    expect(announced.map((m) => m.text.includes('线路已重接'))).toEqual([false, true])
    clock.advance(delay + HOUR)
    await caseFollowUpJob(jobDeps, clock.now())
    expect(await OutboxModel.countDocuments({ ...toZhang, kind: 'follow_up' })).toBe(2)
  })

  it('closes on 3 to 5 as before, and a subscriber’s 3 leaves the case resolved', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '灯泡已更换')
    expect(await service.rate(n, { personId: String(w.li._id) }, 3)).toMatchObject({ status: 'resolved' })
    const closed = await service.rate(n, zhang(w), 3, '一般')
    expect(closed).toMatchObject({ status: 'closed', reworkCount: 0 })
    expect(await OutboxModel.countDocuments({ text: /重办|回访/ })).toBe(0)
  })

  it('escalates the third re-work to the community and the street (提级督办)', async () => {
    const w = await makeCaseWorld()
    const street = await createPerson('街道办', ['street_staff'], {
      staff: { communityIds: [w.community._id] },
    })
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    for (const round of [1, 2]) {
      await service.resolve(n, w.as.worker, `第 ${round} 次处理`)
      const back = await service.rate(n, zhang(w), 2)
      expect(back).toMatchObject({ reworkCount: round, escalationLevel: 0 })
      clock.advance(HOUR)
    }
    expect(await OutboxModel.countDocuments({ 'to.id': String(street._id) })).toBe(0)
    await service.resolve(n, w.as.worker, '第 3 次处理')
    const third = await service.rate(n, zhang(w), 1, '还是不行')
    expect(third).toMatchObject({ status: 'in_progress', reworkCount: 3, escalationLevel: 1 })
    expect(third.timeline.at(-1)).toMatchObject({
      action: 'escalated',
      note: expect.stringContaining('3 次'),
    })
    const toStreet = await OutboxModel.findOne({ 'to.id': String(street._id) }).lean()
    expect(toStreet).toMatchObject({ kind: 'warning', text: expect.stringContaining('督办') })
    expect(toStreet?.text).toContain(n)
    expect(
      await OutboxModel.countDocuments({ 'to.id': String(w.staff._id), kind: 'warning', text: /督办/ }),
    ).toBe(1)
    expect(await OutboxModel.countDocuments({ 'to.id': String(w.staff._id), text: /回访/ })).toBe(3)
  })

  it('sends the task to the owning department when no one person holds the case', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.transfer(n, w.as.staff, { toDepartmentId: String(w.heatA._id), reason: '转物业处理' })
    await service.resolve(n, w.as.deptA, '已处理')
    const deptStaff = (await CaseModel.findOne({ number: n }).lean())?.assigneeId
    expect(deptStaff).toBeUndefined()
    await service.rate(n, zhang(w), 2)
    const task = await OutboxModel.findOne({ text: /【重办】/ }).lean()
    expect(task?.to?.type).toBe('person')
    expect(task?.to?.id).not.toBe(String(w.worker._id))
  })
})

describe('workers and reporters hear each other', () => {
  useTestDatabase()

  it('queues a 进展 note to the reporter and every subscriber, masked, with the case number', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.accept(n, w.as.worker)
    await service.progress(n, w.as.worker, '电工明早到，有事打 13912345678')
    const notes = await OutboxModel.find({ kind: 'update', text: /新进展/ }).lean()
    expect(notes.map((m) => `${m.to?.type}:${m.to?.id}`).sort()).toEqual(
      [`person:${w.zhang._id}`, `person:${w.li._id}`].sort(),
    )
    for (const m of notes) {
      expect(m.text).toContain(n)
      expect(m.text).toContain('电工明早到')
      expect(m.text).not.toMatch(PHONE)
    }
    await service.progress(n, w.as.worker, '电工已到现场')
    expect(await OutboxModel.countDocuments({ kind: 'update', text: /新进展/ })).toBe(4)
  })

  it('tells a worker who is not the assignee who holds the case', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await expect(service.accept(n, w.as.worker2)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('网格员 王网格'),
      details: { number: n, holder: '网格员 王网格' },
    })
    await service.transfer(n, w.as.staff, { toDepartmentId: String(w.heatA._id), reason: '转物业处理' })
    await expect(service.progress(n, w.as.worker2, '我来看看')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { holder: '相关职能部门' },
    })
  })

  it('lists a worker’s cases by due time, overdue first, and pages through them', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const toWang = { toWorkerId: String(w.worker._id), reason: '交王网格办理' }
    const open = async (key: string, text: string, category: string, urgency?: string) => {
      const { case: c } = await service.open({
        channel: 'group',
        sourceKey: key,
        text,
        category,
        urgency,
        location: { gridCode: 'KH-01' },
      })
      return c.assigneeId === String(w.worker._id) ? c : service.transfer(c.number, w.as.staff, toWang)
    }
    const old = await open('d-1', '5号楼门口垃圾满了', 'sanitation') // 24 h, opened first
    clock.advance(30 * HOUR) // the sanitation case is now overdue
    const repair = await open('d-2', '3号楼单元门禁坏了', 'facility_repair') // 48 h
    const noise = await open('d-3', '5号楼晚上装修太吵', 'noise') // 24 h
    const gas = await open('d-4', '3号楼楼道有燃气味', 'safety_hazard', 'urgent') // 4 h
    const inbox = await service.listForWorker(String(w.worker._id))
    expect(inbox.items.map((c) => c.number)).toEqual([old.number, gas.number, noise.number, repair.number])
    expect(inbox.items[0]?.due.overdue).toBe(true)
    const due = inbox.items.map((c) => c.due.resolveBy?.getTime() ?? 0)
    expect([...due].sort((a, b) => a - b)).toEqual(due)
    const p1 = await service.listForWorker(String(w.worker._id), { limit: 3 })
    const p2 = await service.listForWorker(String(w.worker._id), { limit: 3, cursor: p1.nextCursor })
    expect([...p1.items, ...p2.items].map((c) => c.number)).toEqual(inbox.items.map((c) => c.number))
    expect(p2.nextCursor).toBeUndefined()
    // The last case of a page is resolved before the next page is read: the next page still follows on.
    const q1 = await service.listForWorker(String(w.worker._id), { limit: 2 })
    await service.resolve(q1.items[1]?.number ?? '', w.as.worker, '已处理')
    const q2 = await service.listForWorker(String(w.worker._id), { limit: 2, cursor: q1.nextCursor })
    expect(q2.items.map((c) => c.number)).toEqual([noise.number, repair.number])
  })
})
