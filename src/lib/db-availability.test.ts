import { describe, expect, it } from 'vitest'
import {
  DatabaseUnreachableError,
  isDatabaseUnreachable,
  retryWhileUnreachable,
  watchDatabase,
} from './db-availability.js'

const named = (name: string, message = 'x') => Object.assign(new Error(message), { name })

describe('database availability', () => {
  it('tells an unreachable database from a refused query', () => {
    expect(isDatabaseUnreachable(named('MongoServerSelectionError'))).toBe(true)
    expect(isDatabaseUnreachable(new Error('wrapped', { cause: named('MongoNetworkError') }))).toBe(true)
    expect(
      isDatabaseUnreachable(new Error('Operation `cases.find()` buffering timed out after 10000ms')),
    ).toBe(true)
    expect(isDatabaseUnreachable(new DatabaseUnreachableError())).toBe(true)
    expect(isDatabaseUnreachable(Object.assign(new Error('E11000 duplicate key'), { code: 11000 }))).toBe(
      false,
    )
    expect(isDatabaseUnreachable(named('ValidationError'))).toBe(false)
    expect(isDatabaseUnreachable(undefined)).toBe(false)
  })

  it('retries work while the database is unreachable, and throws other errors at once', async () => {
    let calls = 0
    const value = await retryWhileUnreachable(
      async () => {
        calls += 1
        if (calls < 3) throw named('MongoNetworkError')
        return 'stored'
      },
      { baseDelayMs: 5 },
    )
    expect({ value, calls }).toEqual({ value: 'stored', calls: 3 })
    let other = 0
    await expect(
      retryWhileUnreachable(async () => {
        other += 1
        throw new Error('bad input')
      }),
    ).rejects.toThrow('bad input')
    expect(other).toBe(1)
    await expect(
      retryWhileUnreachable(async () => Promise.reject(named('MongoNetworkError')), {
        maxWaitMs: 30,
        baseDelayMs: 5,
      }),
    ).rejects.toThrow()
  })

  it('the watch reports down after a failed ping and up after a good one, and reconnects during a long outage', async () => {
    let reachable = true
    let reconnects = 0
    const watch = watchDatabase(async () => (reachable ? undefined : Promise.reject(new Error('down'))), {
      intervalMs: 10,
      timeoutMs: 50,
      reconnect: async () => {
        reconnects += 1
      },
      reconnectAfterMs: 40,
    })
    try {
      expect(watch.isUp()).toBe(true)
      reachable = false
      await new Promise((r) => setTimeout(r, 120))
      expect(watch.isUp()).toBe(false)
      expect(reconnects).toBeGreaterThan(0)
      reachable = true
      await new Promise((r) => setTimeout(r, 60))
      expect(watch.isUp()).toBe(true)
    } finally {
      watch.stop()
    }
  })

  it('a slow ping while queries still finish is a busy server: the API stays up and nothing reconnects', async () => {
    let progressAt = Date.now()
    let reconnects = 0
    const never = () => new Promise<void>(() => undefined)
    const watch = watchDatabase(never, {
      intervalMs: 10,
      timeoutMs: 20,
      reconnect: async () => {
        reconnects += 1
      },
      reconnectAfterMs: 30,
      lastProgressAt: () => progressAt,
    })
    const working = setInterval(() => {
      progressAt = Date.now()
    }, 5)
    try {
      await new Promise((r) => setTimeout(r, 150))
      expect({ up: watch.isUp(), reconnects }).toEqual({ up: true, reconnects: 0 })
      // The queries stop finishing too: now it is an outage.
      clearInterval(working)
      await new Promise((r) => setTimeout(r, 200))
      expect(watch.isUp()).toBe(false)
      expect(reconnects).toBeGreaterThan(0)
    } finally {
      clearInterval(working)
      watch.stop()
    }
  })
})
