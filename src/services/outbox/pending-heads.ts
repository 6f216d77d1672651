import type { Types } from 'mongoose'
import { OutboxModel } from '../../models/outbox.model.js'
import type { OutboxLane } from './outbox.lanes.js'

/** A waiting message's id and when it is due (as the lane was read). */
export interface PendingEntry {
  _id: Types.ObjectId
  notBefore: Date
}

export interface PendingHeads {
  /**
   * The lane's waiting entries that are due at `now`, oldest first, one at a time: the next one, or
   * undefined when none is due. Each entry is handed out once per read of the lane; the caller
   * checks the message itself (another sender may have sent it meanwhile).
   */
  next(lane: OutboxLane, now: Date): Promise<PendingEntry | undefined>
  /** Forgets what was read of every lane (the next call reads afresh). */
  reset(): void
}

/** A lane with more waiting entries than this is read once and then taken from memory. */
const SMALL_LANE = 20

/**
 * Finds the next due message of a lane, read by the messages' `pendingLane` marker. FerretDB sorts
 * in memory after reading every matching message, so ordering a 2,000-message broadcast costs a few
 * hundred milliseconds: a short
 * lane (replies, mostly) is read sorted on every look, so a new reply is seen at once; a long lane
 * is read sorted once and then taken from memory for up to `cacheMs`, so a broadcast costs one such
 * read per `cacheMs`, not one per message. A message queued into a long lane meanwhile waits for
 * the next read (at most `cacheMs`).
 */
export function createPendingHeads(account: string, cacheMs = 30_000): PendingHeads {
  const cache = new Map<OutboxLane, { entries: PendingEntry[]; readAt: number }>()

  async function read(lane: OutboxLane): Promise<PendingEntry[]> {
    // Top-level equalities only: the marker (indexed) and the account.
    return OutboxModel.find({ pendingLane: lane, account }, { _id: 1, notBefore: 1 })
      .sort({ notBefore: 1, createdAt: 1, _id: 1 })
      .lean<PendingEntry[]>()
  }

  return {
    async next(lane, now) {
      let held = cache.get(lane)
      if (!held || held.entries.length === 0 || Date.now() - held.readAt > cacheMs) {
        const entries = await read(lane)
        held = { entries, readAt: Date.now() }
        if (entries.length > SMALL_LANE) cache.set(lane, held)
        else cache.delete(lane)
      }
      const head = held.entries[0]
      if (!head || head.notBefore.getTime() > now.getTime()) return undefined
      held.entries.shift()
      return head
    },
    reset() {
      cache.clear()
    },
  }
}
