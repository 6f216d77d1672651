import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { checkCaseOwnersAfterEach } from '../../../test/owner-invariant.js'
import { CaseModel } from '../../models/case.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { canTransition, TRANSITIONS } from './case.lifecycle.js'

describe('case lifecycle rules', () => {
  it('allows only the listed moves and nothing out of merged or rejected', () => {
    expect(canTransition('received', 'assigned')).toBe(true)
    expect(canTransition('posted', 'assigned')).toBe(true)
    expect(canTransition('in_progress', 'resolved')).toBe(true)
    expect(canTransition('resolved', 'in_progress')).toBe(true)
    expect(canTransition('received', 'resolved')).toBe(false)
    expect(canTransition('closed', 'resolved')).toBe(false)
    expect(TRANSITIONS.merged).toEqual([])
    expect(TRANSITIONS.rejected).toEqual([])
  })
})

describe('case lifecycle service', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  async function openLight(
    service: ReturnType<typeof makeCaseService>['service'],
    w: Awaited<ReturnType<typeof makeCaseWorld>>,
  ) {
    const r = await service.open({
      channel: 'group',
      sourceKey: 'lc-1',
      text: '3号楼2单元楼道灯坏了',
      category: 'facility_repair',
      reporter: { personId: String(w.zhang._id), roomId: 'room-1' },
    })
    await service.open({
      channel: 'direct',
      sourceKey: 'lc-2',
      text: '三号楼二单元楼道灯不亮了',
      category: 'facility_repair',
      reporter: { personId: String(w.li._id) },
    })
    await service.open({
      channel: 'group',
      sourceKey: 'lc-3',
      text: '3号楼2单元的声控灯坏了好几天',
      category: 'facility_repair',
      reporter: { contactId: 'wx-stranger', roomId: 'room-1' },
      location: { gridCode: 'KH-01' },
    })
    return r.case.number
  }

  it('walks received → assigned → in_progress → resolved → closed with a timeline entry for each step', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    clock.advance(20 * 60_000)
    const accepted = await service.accept(n, w.as.worker)
    expect(accepted.status).toBe('in_progress')
    expect(accepted.respondedAt?.getTime()).toBe(clock.now().getTime())
    await service.progress(n, w.as.worker, '已联系物业电工，下午到')
    const resolved = await service.resolve(n, w.as.worker, '灯泡已更换', [{ kind: 'image', ref: 'img-1' }])
    expect(resolved.status).toBe('resolved')
    const closed = await service.rate(n, { personId: String(w.zhang._id) }, 5, '很快')
    expect(closed).toMatchObject({ status: 'closed', rating: { score: 5, comment: '很快' } })
    expect(closed.timeline.map((t) => t.action)).toEqual([
      'opened',
      'assigned',
      'subscribed',
      'subscribed',
      'accepted',
      'progress',
      'resolved',
      'rated',
      'closed',
    ])
    expect(closed.timeline.find((t) => t.action === 'resolved')?.attachments).toEqual([
      { kind: 'image', ref: 'img-1', name: '' },
    ])
  })

  it('writes an SLA escalation from the scheduler on the timeline without sending anything', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    const doc = await CaseModel.findOne({ number: n }).lean()
    const queued = await OutboxModel.countDocuments()
    const after = await service.recordEscalation({
      caseId: String(doc?._id),
      tier: 'community_staff',
      toPersonIds: [],
      now: clock.now(),
    })
    expect(after.status).toBe(doc?.status)
    expect(after.timeline.at(-1)).toMatchObject({
      action: 'escalated',
      actorRole: 'system',
      note: '超过办理时限，已升级至社区',
    })
    expect((await CaseModel.findOne({ number: n }).lean())?.escalationLevel).toBe(1)
    expect(await OutboxModel.countDocuments()).toBe(queued)
  })

  it('refuses illegal moves with ILLEGAL_TRANSITION and a Chinese message', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '已修好')
    await expect(service.accept(n, w.as.worker)).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: expect.stringContaining('已办结待评价'),
    })
    await service.rate(n, { personId: String(w.zhang._id) }, 4)
    await expect(service.resolve(n, w.as.worker, '再次办结')).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
    })
    await expect(
      service.transfer(n, w.as.staff, { toWorkerId: String(w.partTime._id), reason: '换人' }),
    ).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
    })
  })

  it('lets only the assignee, the owning department or the community staff act', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await expect(service.accept(n, w.as.worker2)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining(n),
    })
    await expect(service.resolve(n, w.as.zhang, '我自己修好了')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(service.reject(n, w.as.otherStaff, '不归我们管')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(service.accept(n, w.as.staff)).resolves.toMatchObject({ status: 'in_progress' })
  })

  it('tells the reporter and every subscriber once when resolved, and asks them to rate', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '灯已修好')
    await expect(service.resolve(n, w.as.worker, '灯已修好')).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
    })
    const updates = await OutboxModel.find({ kind: 'update' }).lean()
    expect(updates.map((u) => `${u.to?.type}:${u.to?.id}`).sort()).toEqual(
      [`contact:wx-stranger`, `person:${w.li._id}`, `person:${w.zhang._id}`].sort(),
    )
    for (const u of updates) {
      expect(u.text).toContain(n)
      expect(u.text).toContain('1-5')
    }
    expect(await PointsEntryModel.countDocuments({ reason: 'report_verified', personId: w.zhang._id })).toBe(
      1,
    )
  })

  it('takes one rating from each reporter, closes on the reporter’s, refuses strangers and bad scores', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await expect(service.rate(n, { personId: String(w.li._id) }, 5)).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    await service.resolve(n, w.as.worker, '修好了')
    const sub = await service.rate(n, { personId: String(w.li._id) }, 3, '有点慢')
    expect(sub.status).toBe('resolved')
    await expect(service.rate(n, { personId: String(w.li._id) }, 5)).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    await expect(service.rate(n, { personId: String(w.wang._id) }, 5)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(service.rate(n, { contactId: 'wx-stranger' }, 6)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await service.rate(n, { contactId: 'wx-stranger' }, 4)
    const done = await service.rate(n, { personId: String(w.zhang._id) }, 5)
    expect(done.status).toBe('closed')
    expect(await PointsEntryModel.countDocuments({ reason: 'rating_given' })).toBe(2)
  })

  it('reopens within the window and refuses after it', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    await service.resolve(n, w.as.worker, '修好了')
    clock.advance(2 * 86_400_000)
    const reopened = await service.reopen(n, { personId: String(w.zhang._id) }, '晚上又不亮了')
    expect(reopened).toMatchObject({ status: 'in_progress', reopenedCount: 1 })
    const told = await OutboxModel.findOne({ 'to.id': String(w.worker._id), text: /重新处理/ }).lean()
    expect(told).not.toBeNull()
    await service.resolve(n, w.as.worker, '换了新灯')
    expect(await OutboxModel.countDocuments({ kind: 'update', text: /换了新灯/ })).toBe(3)
    clock.advance(8 * 86_400_000)
    await expect(service.reopen(n, { personId: String(w.zhang._id) }, '又坏了')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('7 天'),
    })
    await expect(service.reopen(n, { personId: String(w.wang._id) }, '又坏了')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
  })

  it('requires a reason to transfer or return, and records it', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await expect(
      service.transfer(n, w.as.worker, { toWorkerId: String(w.partTime._id), reason: '' }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(service.returnCase(n, w.as.worker, ' ')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const moved = await service.transfer(n, w.as.worker, {
      toWorkerId: String(w.partTime._id),
      reason: '我今天请假',
    })
    expect(moved.assigneeId).toBe(String(w.partTime._id))
    expect(moved.timeline.at(-1)).toMatchObject({
      action: 'transferred',
      note: '我今天请假',
      to: String(w.partTime._id),
    })
    expect(await OutboxModel.countDocuments({ 'to.id': String(w.partTime._id), kind: 'task' })).toBe(1)
    const back = await service.returnCase(n, w.as.partTime, '不属于网格职责，需物业处理')
    expect(back).toMatchObject({ status: 'received', assigneeId: undefined })
    expect(await OutboxModel.findOne({ 'to.id': String(w.staff._id), kind: 'task' }).lean()).toMatchObject({
      text: expect.stringContaining('退回'),
    })
    const dispatched = await service.transfer(n, w.as.staff, {
      toDepartmentId: String(w.heatA._id),
      reason: '人工派单给物业',
    })
    expect(dispatched).toMatchObject({ status: 'assigned', departmentId: String(w.heatA._id) })
    await expect(service.accept(n, w.as.deptA)).resolves.toMatchObject({ status: 'in_progress' })
  })

  it('merges a duplicate by hand: its people become subscribers and hear about it', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const a = await service.open({
      channel: 'group',
      sourceKey: 'mg-1',
      text: '西门口有个井盖松了',
      category: 'facility_repair',
      reporter: { personId: String(w.zhang._id) },
      location: { gridCode: 'KH-01' },
    })
    const b = await service.open({
      channel: 'direct',
      sourceKey: 'mg-2',
      text: '西门口的路灯杆歪了',
      category: 'facility_repair',
      reporter: { personId: String(w.wang._id) },
      location: { gridCode: 'KH-01' },
    })
    expect(b.created).toBe(true)
    await expect(service.merge(b.case.number, a.case.number, w.as.worker)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    const target = await service.merge(b.case.number, a.case.number, w.as.staff)
    expect(target.subscriberCount).toBe(1)
    expect(await service.get(b.case.number)).toMatchObject({ status: 'merged', mergedInto: a.case.number })
    expect(await OutboxModel.findOne({ 'to.id': String(w.wang._id), text: /合并/ }).lean()).not.toBeNull()
    await service.resolve(a.case.number, w.as.worker, '已修好')
    expect(await OutboxModel.countDocuments({ 'to.id': String(w.wang._id), text: /已修好/ })).toBe(1)
    await expect(service.merge(a.case.number, a.case.number, w.as.staff)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
  })

  it('knows when a case is overdue and by how much', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    clock.advance(50 * 3_600_000) // resolve limit is 48 h
    const late = await service.get(n)
    expect(late.due).toMatchObject({ overdue: true, responseOverdue: true, overdueByMs: 2 * 3_600_000 })
    const overdue = await service.listForCommunity(String(w.community._id), { overdue: true })
    expect(overdue.items.map((c) => c.number)).toEqual([n])
    await service.resolve(n, w.as.worker, '修好了')
    expect((await service.get(n)).due).toMatchObject({ overdue: false, resolvedLate: true })
  })

  it('rejects a false report, tells the reporters and takes back points; closes stale resolved cases', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    const rejected = await service.reject(n, w.as.staff, '现场查看灯是好的')
    expect(rejected.status).toBe('rejected')
    expect(await OutboxModel.countDocuments({ kind: 'update', text: /未予受理/ })).toBe(3)
    const other = await service.open({
      channel: 'group',
      sourceKey: 'st-1',
      text: '楼上装修太吵',
      category: 'noise',
      location: { gridCode: 'KH-01' },
    })
    await service.resolve(other.case.number, w.as.staff, '已劝导')
    clock.advance(49 * 3_600_000)
    expect(await service.closeStale(clock.now())).toBe(1)
    expect(await CaseModel.countDocuments({ status: 'closed' })).toBe(1)
  })
})
