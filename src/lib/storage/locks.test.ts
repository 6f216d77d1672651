import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { CounterModel, LockModel } from '../../models/lock.model.js'
import { LookupKeyModel } from '../../models/lookup-key.model.js'
import { lockOwnerName } from './lock-owner.js'
import { nextSequence, withLock } from './locks.js'
import { claimKey, dropKey, lookupKey, putKey } from './lookup-keys.js'

describe('locks, sequences and lookup keys', () => {
  useTestDatabase()
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('lets one holder at a time run a read-modify-write: forty concurrent increments all count', async () => {
    await CounterModel.create({ _id: 'visits', seq: 0 })
    const bump = () =>
      withLock('counter-test', async () => {
        const c = await CounterModel.findById('visits').lean()
        await sleep(1)
        await CounterModel.updateOne({ _id: 'visits' }, { $set: { seq: (c?.seq ?? 0) + 1 } })
      })
    await Promise.all(Array.from({ length: 40 }, bump))
    expect((await CounterModel.findById('visits').lean())?.seq).toBe(40)
    expect(await LockModel.countDocuments()).toBe(0)
  })

  it('waits for a holder in another process, and breaks a lock whose holder died', async () => {
    const now = Date.now()
    await LockModel.create({
      _id: 'shared',
      owner: 'other-process',
      createdAt: new Date(now),
      expiresAt: new Date(now + 60_000),
    })
    const order: string[] = []
    const waiting = withLock('shared', async () => {
      order.push('ours')
    })
    await sleep(100)
    order.push('theirs released')
    await LockModel.deleteOne({ _id: 'shared' })
    await waiting
    expect(order).toEqual(['theirs released', 'ours'])

    await LockModel.create({
      _id: 'dead',
      owner: 'crashed',
      createdAt: new Date(now - 60_000),
      expiresAt: new Date(now - 1),
    })
    await expect(withLock('dead', async () => 'ran')).resolves.toBe('ran')
  })

  it('breaks at once a lock left by a process of this host that was killed, never a live one', async () => {
    // A real process of this host, killed with SIGKILL: its pid is no longer running.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    await new Promise((r) => child.once('spawn', r))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const [host, , start, hold] = lockOwnerName().split('/')
    const now = Date.now()
    const left = (key: string, owner: string) =>
      LockModel.create({ _id: key, owner, createdAt: new Date(now), expiresAt: new Date(now + 15_000) })
    await left('intake:killed', [host, child.pid, start, hold].join('/'))
    const t0 = Date.now()
    await expect(withLock('intake:killed', async () => 'ran', { waitMs: 1000 })).resolves.toBe('ran')
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(await LockModel.countDocuments({ _id: 'intake:killed' })).toBe(0)

    // A live holder of this host (this very process, another hold) keeps its lock.
    await left('intake:live', lockOwnerName())
    await expect(withLock('intake:live', async () => 'never', { waitMs: 300 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    })
  })

  it('waits out by default a lock whose holder crashed on another host', async () => {
    const now = Date.now()
    await LockModel.create({
      _id: 'remote',
      owner: 'other-host~1/4242/start/hold',
      createdAt: new Date(now),
      expiresAt: new Date(now + 1500),
    })
    // The waiter's default patience is the lock's ttl and more: it never gives up first.
    await expect(withLock('remote', async () => 'ran', { ttlMs: 1000 })).resolves.toBe('ran')
  })

  it('gives up with UNAVAILABLE when another process holds the lock too long', async () => {
    const now = Date.now()
    await LockModel.create({
      _id: 'busy',
      owner: 'other',
      createdAt: new Date(now),
      expiresAt: new Date(now + 60_000),
    })
    await expect(withLock('busy', async () => 'never', { waitMs: 200 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    })
  })

  it('hands out each sequence number once under concurrency', async () => {
    const got = await Promise.all(Array.from({ length: 30 }, () => nextSequence('case:261128')))
    expect(new Set(got).size).toBe(30)
    expect(Math.max(...got)).toBe(30)
  })

  it('lets exactly one of several claimants own a key, and reads, replaces and drops it', async () => {
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((ref) => claimKey('case-source', 'wx:1', ref)))
    expect(claims.filter((c) => c.claimed)).toHaveLength(1)
    const winner = claims.find((c) => c.claimed)?.ref
    expect(new Set(claims.map((c) => c.ref))).toEqual(new Set([winner]))
    expect(await lookupKey('case-source', 'wx:1')).toBe(winner)
    await putKey('contact', 'wxid_1', 'p1')
    await putKey('contact', 'wxid_1', 'p2')
    expect(await lookupKey('contact', 'wxid_1')).toBe('p2')
    await dropKey('contact', 'wxid_1')
    expect(await lookupKey('contact', 'wxid_1')).toBeUndefined()
    expect(await LookupKeyModel.countDocuments()).toBe(1)
  })
})
