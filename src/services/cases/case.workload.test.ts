import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { CaseModel } from '../../models/case.model.js'
import { openWorkload, recountOpenAssignments } from './case.workload.js'

/** Each worker's open cases counted from the cases themselves: what the entries must say. */
async function truth(ids: string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    ids.map((id) =>
      CaseModel.countDocuments({ assigneeId: id, status: { $in: ['assigned', 'in_progress'] } }),
    ),
  )
  return new Map(ids.map((id, i) => [id, counts[i] ?? 0]))
}

describe('open workload kept with the case', () => {
  useTestDatabase()
  const report = (sourceKey: string, text: string, category: string) => ({
    channel: 'group',
    sourceKey,
    text,
    category,
    location: { gridCode: 'KH-01' },
  })
  const CATEGORIES = ['facility_repair', 'noise', 'greening_pets', 'sanitation', 'neighbor_dispute']

  it('counts exactly when ten reports are assigned at once, and follows accept, resolve and transfer', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const workers = [String(w.worker._id), String(w.partTime._id)]
    const opened = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        service.open(
          report(`w-${i}`, `${i + 1}号楼的问题第${i}件`, CATEGORIES[i % CATEGORIES.length] as string),
        ),
      ),
    )
    expect(new Set(opened.map((o) => o.case.number)).size).toBe(10)
    expect(await CaseModel.countDocuments({ holderId: { $exists: true } })).toBe(10)
    expect(await openWorkload(workers)).toEqual(await truth(workers))

    const mine = opened.filter((o) => o.case.assigneeId === workers[0]).map((o) => o.case.number)
    const [first, second] = mine as [string, string]
    await service.accept(first, w.as.worker)
    await service.resolve(first, w.as.worker, '已修好')
    await service.transfer(second, w.as.staff, { toWorkerId: workers[1] as string, reason: '换人' })
    const load = await openWorkload(workers)
    expect(load).toEqual(await truth(workers))
    expect((load.get(workers[0] as string) ?? 0) + (load.get(workers[1] as string) ?? 0)).toBe(9)
  })

  it('the recount repairs entries a crash left wrong, both ways', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const a = await service.open(report('r-1', '3号楼楼道灯坏了', 'facility_repair'))
    const b = await service.open(report('r-2', '楼上装修太吵', 'noise'))
    // Written around the service (a case stored before `holderId` existed, a bad restore): one open
    // case without it, one finished case still holding it.
    await CaseModel.collection.updateOne({ _id: new Types.ObjectId(a.case.id) }, { $unset: { holderId: '' } })
    await service.resolve(
      b.case.number,
      b.case.assigneeId === String(w.worker._id) ? w.as.worker : w.as.partTime,
      '好了',
    )
    await CaseModel.collection.updateOne(
      { _id: new Types.ObjectId(b.case.id) },
      { $set: { holderId: new Types.ObjectId(b.case.assigneeId) } },
    )
    const workers = [String(w.worker._id), String(w.partTime._id)]
    expect(await openWorkload(workers)).not.toEqual(await truth(workers))
    expect(await recountOpenAssignments()).toEqual({ added: 1, removed: 1, unowned: 0 })
    expect(await openWorkload(workers)).toEqual(await truth(workers))
    expect(await recountOpenAssignments()).toEqual({ added: 0, removed: 0, unowned: 0 })
  })

  it('keeps 无人负责 with the case: set while held at the desk, gone once it has an owner, repaired by the recount', async () => {
    await makeCaseWorld()
    const { service } = makeCaseService()
    // No place: held at the intake desk, the one case of the desk's list.
    const held = await service.open({
      channel: 'open311',
      sourceKey: 'u-1',
      text: '路边垃圾没人清理',
      category: 'sanitation',
    })
    const placed = await service.open(report('u-2', '3号楼楼道灯坏了', 'facility_repair'))
    const keyOf = async (id: string) => (await CaseModel.findById(id, { unowned: 1 }).lean())?.unowned
    expect(await keyOf(held.case.id)).toBe(true)
    expect(await keyOf(placed.case.id)).toBeUndefined()
    // Stored around the service (before the key existed): the recount puts it back, and takes a
    // wrong one off a case that has its grid worker.
    await CaseModel.collection.updateOne(
      { _id: new Types.ObjectId(held.case.id) },
      { $unset: { unowned: '' } },
    )
    await CaseModel.collection.updateOne(
      { _id: new Types.ObjectId(placed.case.id) },
      { $set: { unowned: true } },
    )
    expect(await recountOpenAssignments()).toEqual({ added: 0, removed: 0, unowned: 2 })
    expect(await keyOf(held.case.id)).toBe(true)
    expect(await keyOf(placed.case.id)).toBeUndefined()
    expect(await recountOpenAssignments()).toEqual({ added: 0, removed: 0, unowned: 0 })
  })
})
