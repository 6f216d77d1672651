import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { backfillStaffKeys } from '../services/registry/registry.staff-queries.js'
import { ResidentModel } from './registry.model.js'
import { staffKey, staffKeysOf } from './staff-keys.js'

const keysOf = async (id: Types.ObjectId) =>
  (await ResidentModel.findById(id, { staffKeys: 1 }).lean())?.staffKeys
const staffOf = async (key: string) =>
  (await ResidentModel.find({ staffKeys: key }, { name: 1 }).lean()).map((p) => p.name).sort()

describe('staff found by a maintained key', () => {
  useTestDatabase()
  const grid = new Types.ObjectId()
  const grid2 = new Types.ObjectId()
  const community = new Types.ObjectId()
  const dept = new Types.ObjectId()

  it('follows every change of roles, scope and erasure written through the model', async () => {
    const wang = await ResidentModel.create({
      name: '王网格',
      roles: ['resident', 'grid_worker'],
      token: 't-wang',
      staff: { gridIds: [grid] },
    })
    const [chen] = await ResidentModel.insertMany([
      { name: '陈社区', roles: ['community_staff'], token: 't-chen', staff: { communityIds: [community] } },
    ])
    expect(await keysOf(wang._id)).toEqual(['grid_worker', staffKey.grid('grid_worker', grid)])
    expect(await staffOf(staffKey.community('community_staff', community))).toEqual(['陈社区'])

    // Scope and roles changed by operators, not whole documents: the keys come from what is stored.
    await ResidentModel.updateOne({ _id: wang._id }, { $addToSet: { 'staff.gridIds': grid2 } })
    expect(await staffOf(staffKey.grid('grid_worker', grid2))).toEqual(['王网格'])
    await ResidentModel.updateOne({ _id: wang._id }, { $pull: { 'staff.gridIds': grid } })
    expect(await staffOf(staffKey.grid('grid_worker', grid))).toEqual([])
    await ResidentModel.findOneAndUpdate(
      { _id: chen?._id },
      { $addToSet: { roles: 'department_staff' }, $set: { 'staff.departmentId': dept } },
    )
    expect(await staffOf(staffKey.department('department_staff', dept))).toEqual(['陈社区'])
    await ResidentModel.updateMany({ roles: 'grid_worker' }, { $pull: { roles: 'grid_worker' } })
    expect(await staffOf(staffKey.role('grid_worker'))).toEqual([])
    expect(await keysOf(wang._id)).toEqual([])
    await ResidentModel.updateOne({ _id: chen?._id }, { $set: { erasedAt: new Date() } })
    expect(await staffOf(staffKey.community('community_staff', community))).toEqual([])
    // A change of other fields leaves the keys alone.
    await ResidentModel.updateOne({ _id: wang._id }, { $set: { name: '王二' } })
    expect(await keysOf(wang._id)).toEqual([])
  })

  it('come out right when ten changes of one person run at once', async () => {
    const zhou = await ResidentModel.create({ name: '周网格', roles: ['grid_worker'], token: 't-zhou' })
    const grids = Array.from({ length: 10 }, () => new Types.ObjectId())
    await Promise.all(
      grids.map((g, i) =>
        i % 2
          ? ResidentModel.updateOne({ _id: zhou._id }, { $addToSet: { 'staff.gridIds': g } })
          : ResidentModel.updateOne({ _id: zhou._id }, { $set: { 'staff.gridIds': [g] } }),
      ),
    )
    // Whatever the server kept of the racing writes, the keys say exactly that.
    const stored = await ResidentModel.findById(zhou._id).lean()
    expect(stored?.staff?.gridIds?.length).toBeGreaterThan(0)
    expect(stored?.staffKeys).toEqual(staffKeysOf(stored))
  })

  it('are repaired by the job where a raw write left them wrong, once', async () => {
    const li = await ResidentModel.create({
      name: '李网格',
      roles: ['grid_worker'],
      token: 't-li',
      staff: { gridIds: [grid] },
    })
    const old = await ResidentModel.create({ name: '赵前员', roles: ['resident'], token: 't-zhao' })
    await ResidentModel.collection.updateOne({ _id: li._id }, { $unset: { staffKeys: '' } })
    await ResidentModel.collection.updateOne({ _id: old._id }, { $set: { staffKeys: ['grid_worker'] } })
    expect(await backfillStaffKeys()).toEqual({ checked: 2, fixed: 2 })
    expect(await staffOf(staffKey.grid('grid_worker', grid))).toEqual(['李网格'])
    expect(await staffOf(staffKey.role('grid_worker'))).toEqual(['李网格'])
    expect(await backfillStaffKeys()).toEqual({ checked: 1, fixed: 0 })
  })
})
