import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { CaseModel } from '../../models/case.model.js'
import { backfillPlaceKeys } from './case.place-keys.js'

const keysOf = async (number: string) => {
  const c = await CaseModel.findOne({ number }).lean()
  return {
    communityId: c?.communityId ? String(c.communityId) : undefined,
    gridId: c?.gridId ? String(c.gridId) : undefined,
  }
}

describe("a case's top-level community and grid ids", () => {
  useTestDatabase()
  const report = (sourceKey: string, text: string) => ({
    channel: 'group' as const,
    sourceKey,
    text,
    category: 'facility_repair',
    location: { gridCode: 'KH-01' },
  })

  it('follow its location when it is opened and when it moves to another grid', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const { case: c } = await service.open(report('p-1', '3号楼楼道灯坏了'))
    const community = String(w.community._id)
    expect(await keysOf(c.number)).toEqual({ communityId: community, gridId: String(w.grid._id) })
    expect((await service.listForGrid(String(w.grid._id))).items.map((i) => i.number)).toEqual([c.number])

    await service.relocate(c.number, w.as.staff, { gridCode: 'KH-02' })
    expect(await keysOf(c.number)).toEqual({ communityId: community, gridId: String(w.grid2._id) })
    expect((await service.listForGrid(String(w.grid._id))).items).toEqual([])
    expect((await service.listForGrid(String(w.grid2._id))).items.map((i) => i.number)).toEqual([c.number])
    const board = await service.listForCommunity(community, { gridId: String(w.grid2._id), count: true })
    expect(board).toMatchObject({ total: 1, items: [{ number: c.number }] })

    // An update through the model that changes one id of the location changes its copy too.
    await CaseModel.updateOne({ number: c.number }, { $unset: { 'location.gridId': '' } })
    expect(await keysOf(c.number)).toEqual({ communityId: community, gridId: undefined })
    await CaseModel.updateOne({ number: c.number }, { $set: { 'location.gridId': w.grid._id } })
    expect(await keysOf(c.number)).toEqual({ communityId: community, gridId: String(w.grid._id) })
  })

  it('are filled by the repair job on cases stored without them, once', async () => {
    const w = await makeCaseWorld()
    const { service } = makeCaseService()
    const a = (await service.open(report('p-2', '3号楼楼道灯坏了'))).case
    const b = (await service.open(report('p-3', '5号楼门禁坏了'))).case
    // Written around the model (a case stored before the keys existed; a bad restore).
    await CaseModel.collection.updateOne(
      { _id: new Types.ObjectId(a.id) },
      { $unset: { communityId: '', gridId: '' } },
    )
    await CaseModel.collection.updateOne({ _id: new Types.ObjectId(b.id) }, { $set: { gridId: w.grid2._id } })
    expect((await service.listForCommunity(String(w.community._id))).items).toHaveLength(1)

    expect(await backfillPlaceKeys(1)).toEqual({ scanned: 2, fixed: 2 })
    expect(await keysOf(a.number)).toEqual({
      communityId: String(w.community._id),
      gridId: String(w.grid._id),
    })
    expect(await keysOf(b.number)).toMatchObject({ gridId: String(w.grid._id) })
    expect((await service.listForCommunity(String(w.community._id))).items).toHaveLength(2)
    expect(await backfillPlaceKeys()).toEqual({ scanned: 2, fixed: 0 })
  })
})
