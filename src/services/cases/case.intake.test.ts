import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { checkCaseOwnersAfterEach } from '../../../test/owner-invariant.js'
import { CaseModel } from '../../models/case.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { CASE_NUMBER_RE, forgetCaseNumberHints } from './case.number.js'

describe('case intake', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  const report = (sourceKey: string, text: string, extra: Record<string, unknown> = {}) => ({
    channel: 'group',
    sourceKey,
    text,
    ...extra,
  })

  it('opens a case with a quotable number and sends the grid worker one task notice', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const res = await service.open(
      report('msg-1', '3号楼2单元楼道灯坏了，联系我13812345678', {
        reporter: { personId: String(w.zhang._id), roomId: 'room-kh01' },
        category: 'facility_repair',
      }),
    )
    expect(res.created).toBe(true)
    expect(res.case.number).toMatch(CASE_NUMBER_RE)
    expect(res.case.number.startsWith('261127-')).toBe(true)
    expect(res.case.status).toBe('assigned')
    expect(res.case.assigneeId).toBe(String(w.worker._id))
    expect(res.case.location).toMatchObject({ building: '3', unit: '2', gridId: String(w.grid._id) })
    expect(res.case.description).toContain('138****5678')
    expect(res.case.due.respondBy?.toISOString()).toBe('2026-11-27T03:00:00.000Z') // 2 h
    const notices = await OutboxModel.find({ kind: 'task' }).lean()
    expect(notices).toHaveLength(1)
    expect(notices[0]?.to).toEqual({ type: 'person', id: String(w.worker._id) })
    expect(notices[0]?.text).toContain(res.case.number)
    expect(notices[0]?.text).toContain('3号楼2单元')
    expect(notices[0]?.text).not.toContain('13812345678')
  })

  it('returns the same case when a report is replayed, one after another or all at once', async () => {
    await makeCaseWorld()
    const { service } = makeCaseService()
    const input = report('msg-2', '5号楼电梯坏了', {
      location: { gridCode: 'KH-01' },
      category: 'facility_repair',
    })
    const first = await service.open(input)
    const again = await service.open(input)
    expect(again).toMatchObject({ created: false, case: { number: first.case.number } })
    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        service.open(
          report('msg-3', '3号楼门口的垃圾桶满了', {
            location: { gridCode: 'KH-01' },
            category: 'sanitation',
          }),
        ),
      ),
    )
    expect(burst.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(burst.map((r) => r.case.number)).size).toBe(1)
    expect(await CaseModel.countDocuments()).toBe(2)
    expect(await OutboxModel.countDocuments({ kind: 'task' })).toBe(2)
  })

  it('gives every case of a busy day its own number, even when opened at the same moment', async () => {
    await makeCaseWorld()
    const { service } = makeCaseService()
    const texts = [
      '楼道灯坏了',
      '小区有流浪狗',
      '楼上装修太吵',
      '物业不作为',
      '有人私搭乱建',
      '消防通道被占',
      '垃圾没人清',
      '邻居占用楼道',
    ]
    const cats = [
      'facility_repair',
      'greening_pets',
      'noise',
      'property_service',
      'illegal_occupation',
      'parking_traffic',
      'sanitation',
      'neighbor_dispute',
    ]
    const opened = await Promise.all(
      texts.map((t, i) =>
        service.open(report(`burst-${i}`, t, { category: cats[i], location: { gridCode: 'KH-01' } })),
      ),
    )
    const numbers = opened.map((o) => o.case.number).sort()
    expect(new Set(numbers).size).toBe(8)
    expect(numbers).toEqual(Array.from({ length: 8 }, (_, i) => `261127-${String(i + 1).padStart(4, '0')}`))
  })

  it('skips the numbers another process gave meanwhile, and a new process starts after the last one', async () => {
    await makeCaseWorld()
    const { service } = makeCaseService()
    const open = (key: string, category: string) =>
      service.open(report(key, '楼道灯坏了好几天', { category, location: { gridCode: 'KH-01' } }))
    const first = await open('p-1', 'facility_repair')
    expect(first.case.number).toBe('261127-0001')
    // Another process stores 0002 and 0003 of the same day (a copy of the first case, renumbered).
    const { _id: _drop, ...copy } = (await CaseModel.findOne({
      number: first.case.number,
    }).lean()) as object & {
      _id: unknown
    }
    for (const n of ['0002', '0003'])
      await CaseModel.collection.insertOne({ ...copy, number: `261127-${n}`, sourceKey: `other-${n}` })
    expect((await open('p-2', 'noise')).case.number).toBe('261127-0004')
    // A process started now learns where the day is by a few reads.
    forgetCaseNumberHints()
    expect((await open('p-3', 'sanitation')).case.number).toBe('261127-0005')
  })

  it('joins a paraphrased report of the same problem to the open case instead of dispatching again', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const first = await service.open(
      report('m-a', '3号楼2单元楼道灯坏了，晚上黑乎乎的', {
        reporter: { personId: String(w.zhang._id) },
        category: 'facility_repair',
      }),
    )
    const second = await service.open(
      report('m-b', '三号楼二单元的楼道灯不亮了，麻烦来修一下', {
        reporter: { personId: String(w.li._id) },
        category: 'facility_repair',
      }),
    )
    expect(second).toMatchObject({ created: false, duplicateOf: first.case.number })
    expect(second.case.subscriberCount).toBe(1)
    expect(second.case.timeline.map((t) => t.action)).toContain('subscribed')
    const replay = await service.open(
      report('m-b', '三号楼二单元的楼道灯不亮了，麻烦来修一下', { category: 'facility_repair' }),
    )
    expect(replay).toMatchObject({ created: false, duplicateOf: first.case.number })
    expect(replay.case.subscriberCount).toBe(1)
    expect(await CaseModel.countDocuments()).toBe(1)
    expect(await OutboxModel.countDocuments({ kind: 'task' })).toBe(1)
    const mine = await service.listForReporter({ personId: String(w.li._id) })
    expect(mine.items.map((c) => c.number)).toEqual([first.case.number])
  })

  it('keeps different problems, other buildings and reports outside the window as separate cases', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const grid = { gridId: String(w.grid._id) }
    const a = await service.open(
      report('d-1', '3号楼电梯坏了，一直不动', { category: 'facility_repair', location: grid }),
    )
    const lights = await service.open(
      report('d-2', '3号楼楼道灯坏了', { category: 'facility_repair', location: grid }),
    )
    const other = await service.open(
      report('d-3', '5号楼电梯坏了，一直不动', { category: 'facility_repair', location: grid }),
    )
    expect(lights.created).toBe(true)
    expect(other.created).toBe(true)
    clock.advance(49 * 3_600_000)
    const later = await service.open(
      report('d-4', '3号楼电梯又坏了，不动', { category: 'facility_repair', location: grid }),
    )
    expect(later.created).toBe(true)
    expect(new Set([a, lights, other, later].map((r) => r.case.number)).size).toBe(4)
  })

  it('dispatches one case when two residents report the same problem at the same moment', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const [x, y] = await Promise.all([
      service.open(
        report('same-1', '5栋电梯又停了，老人上不去楼', {
          reporter: { personId: String(w.li._id) },
          category: 'facility_repair',
        }),
      ),
      service.open(
        report('same-2', '5号楼电梯坏了，困了好久都不动', {
          reporter: { personId: String(w.wang._id) },
          category: 'facility_repair',
        }),
      ),
    ])
    expect([x?.created, y?.created].sort()).toEqual([false, true])
    expect(x?.case.number).toBe(y?.case.number)
    expect(await CaseModel.countDocuments()).toBe(1)
    expect(await OutboxModel.countDocuments({ kind: 'task' })).toBe(1)
  })

  it('opens one case when ten neighbours report the same problem at once; the others join it', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const people = [w.li, w.wang, w.zhang]
    const opened = await Promise.all(
      Array.from({ length: 10 }, (_v, i) =>
        service.open(
          report(`ten-${i}`, i % 2 ? '5号楼电梯坏了，困了好久都不动' : '5栋电梯又停了，老人上不去楼', {
            reporter: { personId: String(people[i % 3]?._id) },
            category: 'facility_repair',
          }),
        ),
      ),
    )
    expect(opened.filter((o) => o.created)).toHaveLength(1)
    expect(new Set(opened.map((o) => o.case.number)).size).toBe(1)
    expect(await CaseModel.countDocuments()).toBe(1)
    const one = await CaseModel.findOne().lean()
    expect(one?.subscribers.map((s) => s.sourceKey).sort()).toHaveLength(9)
    expect(await OutboxModel.countDocuments({ kind: 'task' })).toBe(1)
  })

  it('balances grid cases by open workload, primary worker first on a tie', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const grid = { gridCode: 'KH-01' }
    const one = await service.open(
      report('b-1', '楼道灯坏了', { category: 'facility_repair', location: grid }),
    )
    const two = await service.open(report('b-2', '楼上装修太吵', { category: 'noise', location: grid }))
    const three = await service.open(
      report('b-3', '有流浪狗追人', { category: 'greening_pets', location: grid }),
    )
    expect([one, two, three].map((r) => r.case.assigneeId)).toEqual([
      String(w.worker._id),
      String(w.partTime._id),
      String(w.worker._id),
    ])
  })

  it('uses triage when the category is not given and falls back to defaults when triage fails', async () => {
    await makeCaseWorld()
    const triage = async () => ({
      category: 'noise',
      urgency: 'normal' as const,
      location: { building: '5' },
    })
    const { service } = makeCaseService(undefined, { triage })
    const r = await service.open(report('t-1', '楼上半夜唱歌', { location: { gridCode: 'KH-01' } }))
    expect(r.case).toMatchObject({ category: 'noise', location: { building: '5' } })
    const broken = makeCaseService(undefined, { triage: () => Promise.reject(new Error('llm down')) }).service
    const r2 = await broken.open(report('t-2', '7号楼2单元有点事想反映', { location: { gridCode: 'KH-01' } }))
    expect(r2.case).toMatchObject({
      category: 'other',
      urgency: 'normal',
      location: { building: '7', unit: '2' },
    })
  })

  it('refuses bad input with a Chinese message and stores nothing', async () => {
    await makeCaseWorld()
    const { service } = makeCaseService()
    await expect(service.open({ channel: 'group', sourceKey: 'x', text: '' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    })
    await expect(service.open(report('x2', '灯坏了', { category: 'no_such' }))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('未知的事项类别'),
    })
    await expect(
      service.open(report('x3', '灯坏了', { location: { gridCode: 'NOPE' } })),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(await CaseModel.countDocuments()).toBe(0)
  })

  it('alerts the grid worker and the community at once for an urgent case', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const r = await service.open(
      report('u-1', '3号楼楼道里一股煤气味，很浓', {
        category: 'safety_hazard',
        urgency: 'urgent',
        location: { gridCode: 'KH-01' },
      }),
    )
    expect(r.case.assigneeId).toBe(String(w.worker._id))
    const msgs = await OutboxModel.find().lean()
    const byPerson = new Map(msgs.map((m) => [m.to?.id, m]))
    expect(byPerson.get(String(w.worker._id))?.kind).toBe('task')
    expect(byPerson.get(String(w.staff._id))?.kind).toBe('warning')
    expect(byPerson.get(String(w.staff._id))?.text).toContain('紧急')
    expect(byPerson.get(String(w.partTime._id))?.kind).toBe('warning')
    // The alerts go in the outbox's urgent lane, ahead of task notices and broadcasts.
    expect(byPerson.get(String(w.staff._id))?.lane).toBe('urgent')
    expect(byPerson.get(String(w.worker._id))?.lane).toBe('task')
    expect(msgs).toHaveLength(3)
  })

  it('posts a department-level case to the departments and lets exactly one of two claim it', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const r = await service.open(
      report('h-1', '3号楼暖气不热', { category: 'heating_utilities', location: { gridCode: 'KH-01' } }),
    )
    expect(r.case.status).toBe('posted')
    expect(r.case.postedDepartmentIds.sort()).toEqual([String(w.heatA._id), String(w.heatB._id)].sort())
    expect((await service.listMarketplace(String(w.heatB._id))).items).toHaveLength(1)
    const results = await Promise.allSettled([
      service.claim(r.case.number, String(w.heatA._id), w.as.deptA),
      service.claim(r.case.number, String(w.heatB._id), w.as.deptB),
    ])
    const won = results.filter((x) => x.status === 'fulfilled')
    const lost = results.filter((x) => x.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost[0]).toMatchObject({ reason: { code: 'CONFLICT' } })
    const after = await service.get(r.case.number)
    expect(after.status).toBe('assigned')
    expect(after.timeline.filter((t) => t.action === 'claimed')).toHaveLength(1)
    expect((await service.listMarketplace(String(w.heatB._id))).items).toHaveLength(0)
  })

  it('gives an unclaimed case to the default department after the claim window and tells the community', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const r = await service.open(
      report('h-2', '5号楼停暖了', { category: 'heating_utilities', location: { gridCode: 'KH-01' } }),
    )
    expect(await service.dispatchUnclaimed(clock.now())).toBe(0)
    clock.advance(31 * 60_000)
    expect(await service.dispatchUnclaimed(clock.now())).toBe(1)
    expect(await service.dispatchUnclaimed(clock.now())).toBe(0)
    const c = await service.get(r.case.number)
    expect(c).toMatchObject({ status: 'assigned', departmentId: String(w.heatA._id) })
    const told = await OutboxModel.findOne({ 'to.id': String(w.staff._id), kind: 'update' }).lean()
    expect(told?.text).toContain('抢单超时')
  })
})
