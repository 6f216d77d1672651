import { describe, expect, it } from 'vitest'
import { commandContext } from '../../test/cli-context.js'
import { useTestDatabase } from '../../test/db.js'
import { createCommunity, createGrid, createPerson } from '../../test/factories.js'
import { checkCaseOwnersAfterEach } from '../../test/owner-invariant.js'
import { CaseModel } from '../models/case.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { caseCommand } from './case.command.js'

const context = () => commandContext()

describe('linli case', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  it('opens a case through the one intake, triaged, routed to the grid worker, and shows it', async () => {
    const community = await createCommunity('KH')
    const grid = await createGrid(community._id, 'KH-01')
    const worker = await createPerson('王网格', ['grid_worker'], { staff: { gridIds: [grid._id] } })
    grid.primaryWorkerId = worker._id
    await grid.save()
    const a = context()
    expect(
      await caseCommand.run(a.ctx, ['open', '--text', '3号楼2单元楼道灯坏了', '--grid', 'KH-01', '--json']),
    ).toBe(0)
    const opened = JSON.parse(a.out[0] ?? '{}')
    expect(opened).toMatchObject({
      created: true,
      case: {
        channel: 'cli',
        category: 'facility_repair',
        status: 'assigned',
        location: { building: '3', unit: '2' },
      },
    })
    expect(await OutboxModel.countDocuments({ 'to.id': String(worker._id), kind: 'task' })).toBe(1)
    const b = context()
    expect(await caseCommand.run(b.ctx, ['show', opened.case.number])).toBe(0)
    expect(b.out.join('\n')).toContain(`工单 ${opened.case.number}`)
    expect(b.out.join('\n')).toContain('设施报修')
    // Status and timeline in Chinese from the one label table, no English action names.
    expect(b.out[0]).toContain('已派单')
    expect(b.out.filter((l) => l.startsWith('  ')).map((l) => l.trim().split(/\s+/).at(-1))).toEqual([
      '受理',
      '派单',
    ])
  })

  it('gives a case opened without --grid an owner: the community’s grid for the building named, else the desk', async () => {
    const community = await createCommunity('KH')
    const grid = await createGrid(community._id, 'KH-02', { buildings: ['5'] })
    const worker = await createPerson('赵网格', ['grid_worker'], { staff: { gridIds: [grid._id] } })
    grid.primaryWorkerId = worker._id
    await grid.save()
    const desk = await createPerson('孟窗口', ['intake_desk'])
    const a = context()
    expect(
      await caseCommand.run(a.ctx, ['open', '--text', '5栋楼道堆满杂物', '--community', 'KH', '--json']),
    ).toBe(0)
    expect(JSON.parse(a.out[0] ?? '{}').case).toMatchObject({ assigneeId: String(worker._id) })
    const b = context()
    expect(await caseCommand.run(b.ctx, ['open', '--text', '路口的井盖丢了'])).toBe(0)
    expect(b.out.join('\n')).toContain(`负责：受理窗口 ${desk._id}`)
    expect(await OutboxModel.countDocuments({ 'to.id': String(desk._id), kind: 'task' })).toBe(1)
  })

  it('explains its usage and reports an unknown case number politely', async () => {
    const a = context()
    expect(await caseCommand.run(a.ctx, ['open'])).toBe(2)
    expect(a.err[0]).toContain('用法')
    await expect(caseCommand.run(context().ctx, ['show', '261128-9999'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(await CaseModel.countDocuments()).toBe(0)
  })
})
