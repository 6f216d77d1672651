import { describe, expect, it } from 'vitest'
import { commandContext } from '../../test/cli-context.js'
import { triageCommand } from './triage.command.js'

const context = () =>
  commandContext({ database: () => Promise.reject(new Error('triage must not open the database')) })

describe('linli triage', () => {
  it('--json prints exactly one JSON line with every key, null for unknown parts', async () => {
    const { ctx, out } = context()
    expect(await triageCommand.run(ctx, ['--json', '3栋2单元 楼道里一股煤气味'])).toBe(0)
    expect(out).toHaveLength(1)
    const parsed = JSON.parse(out[0] as string)
    expect(Object.keys(parsed)).toEqual([
      'category',
      'urgency',
      'location',
      'isRequest',
      'confidence',
      'source',
    ])
    expect(parsed).toMatchObject({
      category: 'safety_hazard',
      urgency: 'urgent',
      location: { building: '3', unit: '2', room: null },
      isRequest: true,
      source: 'rules',
    })
  })

  it('prints a readable summary without --json', async () => {
    const { ctx, out } = context()
    await triageCommand.run(ctx, ['十号楼一单元暖气不热'])
    expect(out.join('\n')).toContain('供暖供水供电')
    expect(out.join('\n')).toContain('10号楼1单元')
  })

  it('explains the usage when the text is missing', async () => {
    const { ctx, out, err } = context()
    expect(await triageCommand.run(ctx, ['--json'])).toBe(2)
    expect(out).toEqual([])
    expect(err[0]).toContain('用法')
  })
})
