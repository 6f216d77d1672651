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
      'intent',
      'hazard',
      'language',
    ])
    expect(parsed).toMatchObject({
      category: 'safety_hazard',
      urgency: 'urgent',
      location: { building: '3', unit: '2', room: null },
      isRequest: true,
      source: 'rules',
      intent: 'request',
      hazard: 'gas',
      language: null,
    })
  })

  it('--json says a question and chit-chat are not requests, and flags English', async () => {
    const run = async (text: string) => {
      const { ctx, out } = context()
      await triageCommand.run(ctx, ['--json', text])
      return JSON.parse(out[0] as string)
    }
    expect(await run('高龄津贴怎么申请')).toMatchObject({
      intent: 'question',
      isRequest: false,
      hazard: null,
    })
    expect(await run('今天天气真好啊')).toMatchObject({ intent: 'chat', isRequest: false, urgency: 'normal' })
    expect(await run('hello can you help')).toMatchObject({
      intent: 'chat',
      isRequest: false,
      language: 'en',
    })
  })

  it('prints the safety advice and the number to call for a present danger', async () => {
    const { ctx, out } = context()
    await triageCommand.run(ctx, ['有人晕倒了 快来人'])
    expect(out.join('\n')).toContain('紧急程度：紧急')
    expect(out.join('\n')).toMatch(/紧急提示：.*120（急救）/)
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
