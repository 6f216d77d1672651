import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { createCommunity, createGrid, createPerson } from '../../test/factories.js'
import { loadConfig } from '../lib/config.js'
import { silentLogger } from '../lib/logger.js'
import { CaseModel } from '../models/case.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { caseCommand } from './case.command.js'
import type { CommandContext } from './command.js'

function context(): { ctx: CommandContext; out: string[]; err: string[] } {
  const out: string[] = []
  const err: string[] = []
  const ctx: CommandContext = {
    config: loadConfig({}, { configDir: path.resolve('config') }),
    logger: silentLogger,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    database: async () => ({
      safeUri: 'test',
      source: 'external',
      crashed: new Promise(() => undefined),
      ping: async () => undefined,
      close: async () => undefined,
    }),
  }
  return { ctx, out, err }
}

describe('linli case', () => {
  useTestDatabase()

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
