import { isDeadLocalOwner, lockOwnerName as ownerName, tryLock } from '../../lib/storage/index.js'
import { LockModel } from '../../models/lock.model.js'

/** Lease owners are named as lock owners are (host, pid, start), so a dead local holder is seen at once. */
export { isDeadLocalOwner }

export interface Lease {
  /** Extends the lease by its length from now (the heartbeat); false when it was lost. */
  renew(): Promise<boolean>
  release(): Promise<void>
}

/**
 * Takes the lease `key` for `ttlMs` by a unique insert, or returns undefined while a live holder has
 * it. A holder that expired, or that was a process of this host that died (SIGKILL, OOM), is broken
 * at once by deleting exactly its document — so a restarted service resumes without waiting for the
 * old lease to run out, while two live processes still never hold it together.
 */
export async function takeLease(key: string, ttlMs: number, now = new Date()): Promise<Lease | undefined> {
  // The same unique-insert acquisition as any lock (breaking an expired or dead local holder).
  const owner = ownerName()
  const release = await tryLock(key, ttlMs, now, owner)
  if (!release) return undefined
  return {
    async renew() {
      const res = await LockModel.updateOne(
        { _id: key, owner },
        { $set: { expiresAt: new Date(Date.now() + ttlMs) } },
      )
      return res.matchedCount === 1
    },
    release,
  }
}

/**
 * Runs fn holding the lease `key` (undefined when busy), renewing it every third of `ttlMs` so a
 * long call (a slow WeChat send) keeps it; released afterwards, also on errors.
 */
export async function withLease<T>(
  key: string,
  ttlMs: number,
  fn: () => Promise<T>,
  now = new Date(),
): Promise<{ ran: true; value: T } | { ran: false }> {
  const lease = await takeLease(key, ttlMs, now)
  if (!lease) return { ran: false }
  const heartbeat = setInterval(() => void lease.renew().catch(() => undefined), Math.max(50, ttlMs / 3))
  heartbeat.unref()
  try {
    return { ran: true, value: await fn() }
  } finally {
    clearInterval(heartbeat)
    await lease.release()
  }
}
