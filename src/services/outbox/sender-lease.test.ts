import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { LockModel } from '../../models/lock.model.js'
import { isDeadLocalOwner, takeLease, withLease } from './sender-lease.js'

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  return Number(r.stdout)
}

describe('sender lease', () => {
  void LockModel
  useTestDatabase()

  it('keeps a second taker out while the holder is alive, and lets it in after release', async () => {
    const first = await takeLease('outbox-sender:a', 15_000)
    expect(first).toBeDefined()
    expect(await takeLease('outbox-sender:a', 15_000)).toBeUndefined()
    await first?.release()
    expect(await takeLease('outbox-sender:a', 15_000)).toBeDefined()
  })

  it('breaks at once an unexpired lease whose holder on this host has died (a kill -9)', async () => {
    const held = await takeLease('outbox-sender:b', 60_000)
    const doc = await LockModel.findById('outbox-sender:b').lean()
    const [host, , ...rest] = (doc?.owner ?? '').split('/')
    const ghost = [host, String(deadPid()), ...rest].join('/')
    expect(isDeadLocalOwner(ghost)).toBe(true)
    await LockModel.updateOne({ _id: 'outbox-sender:b' }, { $set: { owner: ghost } })
    expect(await takeLease('outbox-sender:b', 15_000)).toBeDefined()
    await held?.release() // the old handle releases nothing of the new holder's
    expect(await LockModel.exists({ _id: 'outbox-sender:b' })).toBeTruthy()
  })

  it('waits for the lease of another host to run out', async () => {
    const future = new Date(Date.now() + 60_000)
    await LockModel.create({
      _id: 'outbox-sender:c',
      owner: 'other-host~1/4242/x/y',
      createdAt: new Date(),
      expiresAt: future,
    })
    expect(isDeadLocalOwner('other-host~1/4242/x/y')).toBe(false)
    expect(await takeLease('outbox-sender:c', 15_000)).toBeUndefined()
    await LockModel.updateOne({ _id: 'outbox-sender:c' }, { $set: { expiresAt: new Date(Date.now() - 1) } })
    expect(await takeLease('outbox-sender:c', 15_000)).toBeDefined()
  })

  it('renews the lease while a long send holds it', async () => {
    let outsider: unknown = 'not tried'
    const run = await withLease('outbox-sender:d', 300, async () => {
      await new Promise((r) => setTimeout(r, 700))
      outsider = await takeLease('outbox-sender:d', 300)
      return 'sent'
    })
    expect(run).toEqual({ ran: true, value: 'sent' })
    expect(outsider).toBeUndefined()
    expect(await LockModel.exists({ _id: 'outbox-sender:d' })).toBeNull()
  })
})
