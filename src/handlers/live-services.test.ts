import { describe, expect, it } from 'vitest'
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.js'
import { politeError } from './domain-errors.js'
import { dueTextOf } from './live-services.js'

describe('dueTextOf: deadlines as residents say them, in Beijing time', () => {
  const now = new Date('2026-11-28T02:00:00Z') // 10:00 in Shanghai
  it('says 今天 / 明天 with the time, later days by date', () => {
    expect(dueTextOf(new Date('2026-11-28T10:00:00Z'), now)).toBe('今天 18:00 前')
    expect(dueTextOf(new Date('2026-11-29T04:30:00Z'), now)).toBe('明天 12:30 前')
    expect(dueTextOf(new Date('2026-11-30T09:00:00Z'), now)).toBe('11月30日 前')
    expect(dueTextOf(undefined, now)).toBe('尽快')
  })
  it('counts days by the Shanghai calendar, not UTC', () => {
    // 23:30 in Shanghai on the 28th is still "today" though UTC says the 28th 15:30.
    expect(dueTextOf(new Date('2026-11-28T15:30:00Z'), now)).toBe('今天 23:30 前')
    // 00:30 on the 29th in Shanghai is tomorrow, though UTC still says the 28th.
    expect(dueTextOf(new Date('2026-11-28T16:30:00Z'), now)).toBe('明天 00:30 前')
  })
})

describe('politeError: one table from DomainError codes to chat sentences', () => {
  it('names the case for a refusal and keeps the service message otherwise', () => {
    expect(politeError(new ForbiddenError('x'), '261128-0001')).toContain('工单 261128-0001 不是派给您的')
    expect(politeError(new NotFoundError('工单 261128-0009'))).toBe(
      '工单 261128-0009不存在，请核对后再发一次。',
    )
    expect(politeError(new ConflictError('您已经评价过工单 261128-0001，谢谢！'))).toBe(
      '您已经评价过工单 261128-0001，谢谢。',
    )
  })
  it('leaves unknown failures to the apology', () => {
    expect(politeError(new Error('boom'))).toBeUndefined()
  })
})
