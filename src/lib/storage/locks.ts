import { CounterModel, LockModel } from '../../models/lock.model.js'
import { isDuplicateKeyError, UnavailableError } from '../errors.js'
import { isDeadLocalOwner, lockOwnerName } from './lock-owner.js'

export interface LockOptions {
  /** How long the lock is held before others may break it (a crashed holder on another host). */
  ttlMs?: number
  /**
   * How long to wait for a busy lock before giving up with UNAVAILABLE; default the lock's ttl plus
   * five seconds, so a waiter outlasts a holder that crashed on another host.
   */
  waitMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Tries once to take the lock `key`; returns a release function, or undefined when someone else holds
 * it. A lock whose holder is gone is broken first: one past its expiry, or one held by a process of
 * this host that died (kill -9, OOM) — at once, so a restarted service does not wait out the lock of
 * the process it replaces. Only exactly that holder's document is deleted. `owner` names the holder
 * (a fresh name by default; a lease passes its own to renew under it).
 */
export async function tryLock(
  key: string,
  ttlMs = 10_000,
  now = new Date(),
  owner = lockOwnerName(),
): Promise<(() => Promise<void>) | undefined> {
  const doc = { _id: key, owner, createdAt: now, expiresAt: new Date(now.getTime() + ttlMs) }
  try {
    await LockModel.create(doc)
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err
    const held = await LockModel.findById(key).lean<{ owner: string; expiresAt: Date }>()
    if (held && held.expiresAt.getTime() >= now.getTime() && !isDeadLocalOwner(held.owner)) return undefined
    if (held && (await LockModel.deleteOne({ _id: key, owner: held.owner })).deletedCount !== 1)
      return undefined
    try {
      await LockModel.create(doc)
    } catch (again) {
      if (isDuplicateKeyError(again)) return undefined
      throw again
    }
  }
  return async () => {
    await LockModel.deleteOne({ _id: key, owner })
  }
}

/** The tail of each key's local queue: callers in this process wait their turn here, not in the database. */
const localTails = new Map<string, Promise<void>>()

/** Waits for this process's earlier holders of `key`; returns the function that lets the next one in. */
async function localTurn(key: string): Promise<() => void> {
  const before = localTails.get(key) ?? Promise.resolve()
  let leave = () => {}
  const mine = new Promise<void>((resolve) => {
    leave = resolve
  })
  const tail = before.then(() => mine)
  localTails.set(key, tail)
  await before
  return () => {
    leave()
    if (localTails.get(key) === tail) localTails.delete(key)
  }
}

/**
 * Runs fn while holding the lock `key`, so read-modify-write sequences on one record never interleave
 * across requests or processes. Keys name what they protect, e.g. `case:<id>`. Callers in one process
 * queue in memory and only the head of the queue takes the database lock, so a burst on one key costs
 * one insert and one delete per holder instead of a storm of polling inserts; other processes still
 * wait on the database lock with back-off.
 */
export async function withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const ttlMs = options.ttlMs ?? 15_000
  const leave = await localTurn(key)
  try {
    const deadline = Date.now() + (options.waitMs ?? ttlMs + 5_000)
    let delay = 5
    for (;;) {
      const release = await tryLock(key, ttlMs)
      if (release) {
        try {
          return await fn()
        } finally {
          await release()
        }
      }
      if (Date.now() > deadline) throw new UnavailableError('系统繁忙，请稍后再试', { lock: key })
      await sleep(delay + Math.random() * delay)
      delay = Math.min(delay * 2, 200)
    }
  } finally {
    leave()
  }
}

/** The next value of a named counter (1, 2, 3 …), unique across processes. */
export async function nextSequence(name: string): Promise<number> {
  return withLock(`counter:${name}`, async () => {
    const current = await CounterModel.findById(name).lean()
    const seq = (current?.seq ?? 0) + 1
    await CounterModel.updateOne({ _id: name }, { $set: { seq } }, { upsert: true })
    return seq
  })
}
