import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { notCheap, recordCommands, servingIndex } from '../../../test/command-recorder.js'
import { useTestDatabase } from '../../../test/db.js'
import { CaseFollowModel } from '../../models/case-follow.model.js'

void CaseFollowModel

/**
 * The per-request case lists: each command a top-level equality (or an `_id` read) that a declared
 * index of its model answers, with a limit — never a read of every case. Dropping one of these
 * indexes, or widening a filter to a dotted path or `$in`, fails here.
 */
describe('per-request case lists read by key', () => {
  useTestDatabase({ monitorCommands: true })

  async function world() {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const report = (i: number, extra: Record<string, unknown>) =>
      service.open({ channel: 'group', sourceKey: `hp-${i}`, text: `${i + 1}号楼的问题第${i}件`, ...extra })
    const mine = []
    for (let i = 0; i < 3; i++)
      mine.push(
        await report(i, {
          reporter: { personId: String(w.zhang._id) },
          category: 'facility_repair',
          location: { gridCode: 'KH-01' },
        }),
      )
    await report(9, { category: 'heating_utilities', location: { gridCode: 'KH-01' } })
    return { w, service, mine }
  }

  /** The commands `fn` sends, each with the index that serves it (or why it is not cheap). */
  async function plan(fn: () => Promise<unknown>) {
    const { commands } = await recordCommands(fn)
    return commands.map((c) => ({
      command: c.line,
      index: notCheap(c) ?? servingIndex(c) ?? 'no declared index',
    }))
  }

  it("cases/mine: the person's follows by personId, then each case by _id", async () => {
    const { w, service, mine } = await world()
    const rows = await plan(async () => {
      const page = await service.listForReporter({ personId: String(w.zhang._id) }, { limit: 2 })
      expect(page.items.map((c) => c.number)).toEqual([mine[2]?.case.number, mine[1]?.case.number])
      const next = await service.listForReporter(
        { personId: String(w.zhang._id) },
        { limit: 2, cursor: page.nextCursor },
      )
      expect(next.items.map((c) => c.number)).toEqual([mine[0]?.case.number])
    })
    const version = { command: 'find registry_versions {"set":"String"}', index: 'registry_versions {set}' }
    expect(rows).toEqual([
      version,
      { command: 'find case_follows {"personId":"ObjectId"}', index: 'case_follows {personId, caseId}' },
      ...Array(2).fill({ command: 'find cases {"_id":"ObjectId"}', index: '_id' }),
      version,
      {
        command: 'find case_follows {"personId":"ObjectId","caseId":{"$lt":"ObjectId"}}',
        index: 'case_follows {personId, caseId}',
      },
      { command: 'find cases {"_id":"ObjectId"}', index: '_id' },
    ])
  })

  it('cases/mine lists a case the person joined as a duplicate and one merged into another', async () => {
    const { w, service, mine } = await world()
    const li = String(w.li._id)
    const byLi = (sourceKey: string, text: string) =>
      service.open({
        channel: 'group',
        sourceKey,
        text,
        reporter: { personId: li },
        category: 'facility_repair',
        location: { gridCode: 'KH-01' },
      })
    const joined = await byLi('hp-join', '1号楼的问题第0件')
    expect(joined.duplicateOf).toBe(mine[0]?.case.number)
    const own = await byLi('hp-own', '5号楼电梯按钮掉了')
    await service.merge(mine[1]?.case.number as string, own.case.number, w.as.staff)
    const zhang = await service.listForReporter({ personId: String(w.zhang._id) })
    expect(zhang.items.map((c) => c.number)).toContain(own.case.number)
    const page = await service.listForReporter({ personId: li })
    expect(page.items.map((c) => c.number)).toEqual([own.case.number, mine[0]?.case.number])
  })

  it('a worker inbox and history: one equality per status on (assigneeId, status)', async () => {
    const { w, service } = await world()
    const rows = await plan(async () => {
      const open = await service.listForWorker(String(w.worker._id))
      expect(open.items.length).toBeGreaterThan(0)
      await service.listForWorker(String(w.worker._id), { status: 'resolved,closed' })
    })
    const index = 'cases {assigneeId, status}'
    expect(rows).toEqual(
      Array(4).fill({ command: 'find cases {"assigneeId":"ObjectId","status":"String"}', index }),
    )
  })

  it("a department's marketplace: posted cases by (postedDepartmentIds, status)", async () => {
    const { w, service } = await world()
    const rows = await plan(async () => {
      const page = await service.listMarketplace(String(w.heatA._id))
      expect(page.items).toHaveLength(1)
    })
    expect(rows).toEqual([
      {
        command: 'find cases {"postedDepartmentIds":"ObjectId","status":"String"}',
        index: 'cases {postedDepartmentIds, status}',
      },
    ])
  })
})
