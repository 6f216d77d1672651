import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../lib/clock.js'
import { createRateLimiter } from './kb-rate-limit.js'

describe('LLM rate limiter', () => {
  it('limits each asker per hour and refills over time', () => {
    const clock = fixedClock(new Date('2026-01-10T00:00:00Z'))
    const limiter = createRateLimiter({ perAskerPerHour: 2, globalPerMinute: 100 }, clock)
    expect([limiter.tryTake('a'), limiter.tryTake('a'), limiter.tryTake('a')]).toEqual([true, true, false])
    expect(limiter.tryTake('b')).toBe(true)
    clock.advance(30 * 60_000) // half an hour refills one token of two per hour
    expect([limiter.tryTake('a'), limiter.tryTake('a')]).toEqual([true, false])
  })

  it('limits everyone together per minute, without charging an asker for a refused call', () => {
    const clock = fixedClock(new Date('2026-01-10T00:00:00Z'))
    const limiter = createRateLimiter({ perAskerPerHour: 100, globalPerMinute: 3 }, clock)
    expect(['a', 'b', 'c', 'd'].map((id) => limiter.tryTake(id))).toEqual([true, true, true, false])
    clock.advance(20_000)
    expect(limiter.tryTake('d')).toBe(true)
    expect(limiter.tryTake()).toBe(false)
  })
})
