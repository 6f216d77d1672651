import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { checkCaseOwnersAfterEach } from '../../../test/owner-invariant.js'
import { CaseModel } from '../../models/case.model.js'
import { OutboxModel } from '../../models/outbox.model.js'

type World = Awaited<ReturnType<typeof makeCaseWorld>>
type Service = ReturnType<typeof makeCaseService>['service']

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** 张三 reports a broken light in 3号楼 (KH-01, assigned to 王网格); 李四 reports it too and subscribes. */
async function openLight(service: Service, w: World): Promise<string> {
  const r = await service.open({
    channel: 'group',
    sourceKey: 'st-1',
    text: '3号楼2单元楼道灯坏了',
    category: 'facility_repair',
    reporter: { personId: String(w.zhang._id), roomId: 'room-1' },
  })
  await service.open({
    channel: 'direct',
    sourceKey: 'st-2',
    text: '三号楼二单元楼道灯不亮了',
    category: 'facility_repair',
    reporter: { personId: String(w.li._id) },
  })
  return r.case.number
}

async function resolved(service: Service, w: World): Promise<string> {
  const n = await openLight(service, w)
  await service.accept(n, w.as.worker)
  await service.resolve(n, w.as.worker, '灯泡已更换')
  return n
}

describe('community staff actions on a case: post, close, call-back', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('社区下单: staff post an assigned case to departments; they hear of it and the claim is recorded', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await openLight(service, w)
    const ids = [String(w.heatA._id), String(w.heatB._id)]
    const posted = await service.post(n, w.as.staff, { departmentIds: ids, reason: '需要热力公司检修' })
    expect(posted).toMatchObject({ status: 'posted', postedDepartmentIds: ids, owner: { kind: 'posted' } })
    expect(posted.assigneeId).toBeUndefined()
    expect(posted.claims.claimDeadline?.getTime()).toBe(clock.now().getTime() + 30 * MINUTE)
    expect(posted.timeline.at(-1)).toMatchObject({
      action: 'posted',
      note: '需要热力公司检修',
      from: 'assigned',
    })
    const tasks = await OutboxModel.find({ 'refs.caseId': posted.id, key: /:posted#/ }).lean()
    expect(tasks.map((t) => t.to?.id).sort()).toEqual([w.as.deptA.personId, w.as.deptB.personId].sort())

    // The case view names the departments; the claim says who claimed, when.
    const seen = await service.get(n)
    expect(seen.claims.departments.map((d) => d.name)).toEqual(['热力一公司', '热力二公司'])
    clock.advance(5 * MINUTE)
    await service.claim(n, String(w.heatB._id), w.as.deptB)
    const claimed = await service.get(n)
    expect(claimed.claims.claimedBy).toMatchObject({
      departmentId: String(w.heatB._id),
      departmentName: '热力二公司',
      personId: w.as.deptB.personId,
    })
    expect(claimed.claims.claimedBy?.at.getTime()).toBe(clock.now().getTime())
  })

  it('refuses posting by another community’s staff, to unknown departments, and of a resolved case', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    const dept = [String(w.heatA._id)]
    await expect(
      service.post(n, w.as.otherStaff, { departmentIds: dept, reason: '请处理' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(
      service.post(n, w.as.worker, { departmentIds: dept, reason: '请处理' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await expect(
      service.post(n, w.as.staff, { departmentIds: ['0123456789abcdef01234567'], reason: '请处理' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(service.post(n, w.as.staff, { departmentIds: [], reason: '请处理' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await service.accept(n, w.as.worker)
    await service.resolve(n, w.as.worker, '灯泡已更换')
    await expect(
      service.post(n, w.as.staff, { departmentIds: dept, reason: '请处理' }),
    ).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: '工单当前状态为“已办结待评价”，不能变为“待部门抢单”',
    })
  })

  it('staff close a resolved case with a reason; an open case cannot be closed', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const open = await openLight(service, w)
    await expect(service.close(open, w.as.staff, '居民满意')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `工单 ${open} 当前状态为“已派单”，只有已办结的工单可以关闭`,
    })
    await service.accept(open, w.as.worker)
    await service.resolve(open, w.as.worker, '灯泡已更换')
    await expect(service.close(open, w.as.worker, '居民满意')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const closed = await service.close(open, w.as.staff, '回访居民，表示满意')
    expect(closed).toMatchObject({ status: 'closed' })
    expect(closed.closedAt).toBeDefined()
    expect(closed.timeline.at(-1)).toMatchObject({ action: 'closed', actorRole: 'community_staff' })
  })

  it('records call-backs as data on low-rated or unrated cases, repeat calls allowed, then reopen', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const n = await resolved(service, w)
    const first = await service.recordCallback(n, w.as.staff, { reached: false, note: '电话无人接听' })
    expect(first.callbacks).toEqual([
      expect.objectContaining({ reached: false, note: '电话无人接听', byId: w.as.staff.personId }),
    ])
    clock.advance(HOUR)
    const second = await service.recordCallback(n, w.as.staff, {
      reached: true,
      satisfied: false,
      note: '居民说灯还是不亮',
    })
    expect(second.callbacks.map((b) => [b.reached, b.satisfied])).toEqual([
      [false, undefined],
      [true, false],
    ])
    expect(second.timeline.filter((t) => t.action === 'called_back').map((t) => t.actionLabel)).toEqual([
      '电话回访',
      '电话回访',
    ])
    const stored = await CaseModel.findOne({ number: n }).lean()
    expect(stored?.callbacks).toHaveLength(2)
    await expect(
      service.recordCallback(n, w.as.otherStaff, { reached: true, note: '居民满意' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const again = await service.reopen(n, w.as.staff, '回访居民不满意，重新处理')
    expect(again.status).toBe('in_progress')
  })

  it('a well-rated case needs no call-back; a case under re-work after a low rating does', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await resolved(service, w)
    await service.rate(n, { personId: String(w.zhang._id) }, 5)
    await expect(
      service.recordCallback(n, w.as.staff, { reached: true, note: '居民满意' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    const other = await service.open({
      channel: 'group',
      sourceKey: 'st-9',
      text: '5号楼门口井盖松了',
      category: 'facility_repair',
      reporter: { personId: String(w.wang._id) },
    })
    const m = other.case.number
    await service.accept(m, w.as.worker)
    await service.resolve(m, w.as.worker, '井盖已固定')
    const rework = await service.rate(m, { personId: String(w.wang._id) }, 1, '还是松的')
    expect(rework.status).toBe('in_progress')
    const called = await service.recordCallback(m, w.as.staff, {
      reached: true,
      satisfied: false,
      note: '居民说井盖还是松',
    })
    expect(called.callbacks).toHaveLength(1)
  })

  it('a worker who accepts twice is told plainly that they already took it', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const n = await openLight(service, w)
    await service.accept(n, w.as.worker)
    await expect(service.accept(n, w.as.worker)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `您已接单 ${n}，正在处理中。`,
    })
  })
})
