import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { createPerson } from '../../../test/factories.js'
import { ResidentModel } from '../../models/registry.model.js'
import { dueTextOf, handlerNameOf } from './case.texts.js'

describe('dueTextOf: deadlines as residents say them, in Beijing time', () => {
  const now = new Date('2026-11-28T02:00:00Z') // 10:00 in Shanghai
  it('says 今天 / 明天 with the time, later days by date', () => {
    expect(dueTextOf(new Date('2026-11-28T10:00:00Z'), now)).toBe('今天 18:00 前')
    expect(dueTextOf(new Date('2026-11-29T04:30:00Z'), now)).toBe('明天 12:30 前')
    expect(dueTextOf(new Date('2026-11-30T09:00:00Z'), now)).toBe('11月30日前')
    expect(dueTextOf(undefined, now)).toBe('尽快')
  })
  it('counts days by the Shanghai calendar, not UTC', () => {
    expect(dueTextOf(new Date('2026-11-28T15:30:00Z'), now)).toBe('今天 23:30 前')
    expect(dueTextOf(new Date('2026-11-28T16:30:00Z'), now)).toBe('明天 00:30 前')
  })
})

describe('handlerNameOf: who holds a case, as a resident may read it', () => {
  useTestDatabase()

  it('names the grid worker or staff member, else the department, else the community', async () => {
    const worker = await createPerson('王芳', ['grid_worker'])
    const staff = await createPerson('陈社区', ['community_staff'])
    expect(await handlerNameOf({ assigneeId: String(worker._id) })).toBe('网格员 王芳')
    const desk = await createPerson('孟窗口', ['intake_desk'])
    expect(await handlerNameOf({ assigneeId: staff._id })).toBe('社区工作人员 陈社区')
    expect(await handlerNameOf({ assigneeId: desk._id })).toBe('街道服务台 孟窗口')
    expect(await handlerNameOf({ departmentId: 'd', postedDepartmentIds: [] })).toBe('相关职能部门')
    expect(await handlerNameOf({ postedDepartmentIds: ['d'] })).toBe('相关职能部门')
    expect(await handlerNameOf({ postedDepartmentIds: [] })).toBe('社区工作人员')
  })

  it('never names an erased person', async () => {
    const worker = await createPerson('王芳', ['grid_worker'])
    await ResidentModel.updateOne({ _id: worker._id }, { $set: { erasedAt: new Date() } })
    expect(await handlerNameOf({ assigneeId: worker._id })).toBe('社区工作人员')
  })
})
