import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { CaseModel, hasOwner, ownerOf } from './case.model.js'

describe('case model', () => {
  useTestDatabase()
  const base = () => ({
    channel: 'group' as const,
    category: 'facility_repair',
    description: '3号楼2单元楼道灯坏了',
    location: { gridId: new Types.ObjectId(), building: '3', unit: '2' },
    createdAt: new Date(),
    updatedAt: new Date(),
  })

  it('refuses a second case with the same source key or the same number', async () => {
    await CaseModel.create({ ...base(), number: '261128-0001', sourceKey: 'msg:1' })
    await expect(
      CaseModel.create({ ...base(), number: '261128-0002', sourceKey: 'msg:1' }),
    ).rejects.toMatchObject({
      code: 11000,
    })
    await expect(
      CaseModel.create({ ...base(), number: '261128-0001', sourceKey: 'msg:2' }),
    ).rejects.toMatchObject({
      code: 11000,
    })
    expect(await CaseModel.countDocuments()).toBe(1)
  })

  it('builds every index on the server', async () => {
    const indexes = await CaseModel.collection.indexes()
    expect(indexes.length).toBeGreaterThanOrEqual(13)
  })
})

describe('ownerOf / hasOwner: who must act on a case', () => {
  const id = new Types.ObjectId()
  const none = { status: 'received' as const, postedDepartmentIds: [] as Types.ObjectId[] }
  const deadline = new Date('2026-11-27T10:00:00Z')

  it('names the assignee first, then the department, the running claim window, the queue', () => {
    expect(ownerOf({ ...none, status: 'assigned', assigneeId: id })).toEqual({
      kind: 'person',
      personId: String(id),
    })
    const atDesk = { queue: 'intake_desk' as const, reason: 'no_place', at: deadline }
    expect(ownerOf({ ...none, status: 'assigned', assigneeId: id, heldAt: atDesk })).toEqual({
      kind: 'person',
      personId: String(id),
      queue: 'intake_desk',
    })
    expect(ownerOf({ ...none, status: 'assigned', departmentId: id })).toEqual({
      kind: 'department',
      departmentId: String(id),
    })
    expect(
      ownerOf({ ...none, status: 'posted', postedDepartmentIds: [id], claimDeadline: deadline }),
    ).toEqual({ kind: 'posted', departmentIds: [String(id)], claimDeadline: deadline })
    expect(ownerOf({ ...none, heldAt: { ...atDesk, queue: 'community', communityId: id } })).toEqual({
      kind: 'queue',
      queue: 'community',
      communityId: String(id),
    })
  })

  it('finds nobody for a received case with no handler, nor for a posted one without a claim window', () => {
    expect(ownerOf(none)).toBeUndefined()
    expect(hasOwner(none)).toBe(false)
    expect(hasOwner({ ...none, status: 'posted', postedDepartmentIds: [id] })).toBe(false)
    // Finished cases need nobody.
    for (const status of ['closed', 'merged', 'rejected'] as const)
      expect(hasOwner({ ...none, status })).toBe(true)
    expect(hasOwner({ ...none, status: 'resolved' })).toBe(false)
  })
})
