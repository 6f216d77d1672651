import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { CaseModel } from './case.model.js'

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
