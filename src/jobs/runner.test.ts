import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { JobRunModel, JobSentModel } from '../models/job.model.js'
import { LockModel } from '../models/lock.model.js'
import { type JobContext, recentRuns, runJob } from './runner.js'

const T0 = new Date('2026-11-28T00:00:00Z')
const keys = Array.from({ length: 12 }, (_, i) => `test:item:${i}`)

/** A job body that "sends" each key once via ctx.once, recording every real send. */
function sender(sent: string[], options: { failAfter?: number } = {}) {
  return async (ctx: JobContext) => {
    let n = 0
    for (const key of keys) {
      await ctx.once(key, async () => {
        if (options.failAfter !== undefined && n >= options.failAfter) throw new Error('process killed')
        n++
        sent.push(key)
      })
    }
  }
}

describe('runJob', () => {
  void [JobRunModel, JobSentModel, LockModel]
  useTestDatabase()

  it('records a run with its outcome and counts, and releases the lease', async () => {
    const sent: string[] = []
    const result = await runJob('demo', {}, T0, sender(sent))
    expect(result.outcome).toBe('ok')
    expect(result.counts.done).toBe(keys.length)
    const [run] = await recentRuns('demo')
    expect(run?.outcome).toBe('ok')
    expect(run?.counts).toMatchObject({ done: keys.length })
    expect(run?.endedAt).toBeInstanceOf(Date)
    expect(await LockModel.countDocuments({ _id: 'job:demo' })).toBe(0)
  })

  it('two concurrent runs of the same job: one runs, the other is recorded as skipped', async () => {
    const sent: string[] = []
    // The first run holds its lease until the second has tried (a real overlap on every backend,
    // however fast the first would otherwise finish).
    let open = () => {}
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const first = runJob('demo', {}, T0, async (ctx) => {
      await gate
      await sender(sent)(ctx)
    })
    await expect.poll(() => LockModel.countDocuments({ _id: 'job:demo' })).toBe(1)
    const second = await runJob('demo', {}, T0, sender(sent))
    open()
    expect([(await first).outcome, second.outcome]).toEqual(['ok', 'skipped'])
    expect(sent.sort()).toEqual([...keys].sort())
    expect(await JobRunModel.countDocuments({ name: 'demo', outcome: 'skipped' })).toBe(1)
  })

  it('two processes running the work at once (lease lost) still send each item once', async () => {
    const sent: string[] = []
    // Different job names: no shared lease, as when one process's lease expired under it.
    await Promise.all([
      runJob('demo-a', {}, T0, sender(sent)),
      runJob('demo-b', {}, T0, sender(sent)),
      runJob('demo-c', {}, T0, sender(sent)),
    ])
    expect(sent.length).toBe(keys.length)
    expect(new Set(sent).size).toBe(keys.length)
  })

  it('a run killed half way is recorded as failed; the next run sends only the rest, once', async () => {
    const sent: string[] = []
    const first = await runJob('demo', {}, T0, sender(sent, { failAfter: 5 }))
    expect(first.outcome).toBe('failed')
    expect(first.error).toBe('process killed')
    expect(sent).toEqual(keys.slice(0, 5))
    const second = await runJob('demo', {}, new Date(T0.getTime() + 60_000), sender(sent))
    expect(second.outcome).toBe('ok')
    expect(second.counts).toMatchObject({ done: keys.length - 5, alreadyDone: 5 })
    expect(sent).toEqual(keys)
    const runs = await recentRuns('demo')
    expect(runs.map((r) => r.outcome)).toEqual(['ok', 'failed'])
  })

  it('a key left unfinished by a crashed process is taken over only after the lease time', async () => {
    await JobSentModel.create({ _id: 'test:item:0', job: 'demo', at: T0 })
    const sent: string[] = []
    await runJob('demo', { leaseMs: 600_000 }, new Date(T0.getTime() + 60_000), sender(sent))
    expect(sent).not.toContain('test:item:0')
    await runJob('demo', { leaseMs: 600_000 }, new Date(T0.getTime() + 700_000), sender(sent))
    expect(sent.filter((k) => k === 'test:item:0')).toHaveLength(1)
  })

  it('a lease left by a crashed process blocks until it expires', async () => {
    await LockModel.create({
      _id: 'job:demo',
      owner: 'dead',
      createdAt: T0,
      expiresAt: new Date(T0.getTime() + 600_000),
    })
    const sent: string[] = []
    expect((await runJob('demo', {}, new Date(T0.getTime() + 1000), sender(sent))).outcome).toBe('skipped')
    expect((await runJob('demo', {}, new Date(T0.getTime() + 601_000), sender(sent))).outcome).toBe('ok')
    expect(sent).toHaveLength(keys.length)
  })
})
