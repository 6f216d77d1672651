import type { Config } from '../../lib/config.js'
import { laneRank, OUTBOX_LANES, type OutboxLane } from './outbox.lanes.js'

/** The outbox limits of the configuration: pace, budgets and the share kept for replies. */
export type OutboxLimits = Config['outbox']

/** How much of the budgets a lane may use: messages per minute, and the day's total it stops at. */
export interface LaneCap {
  perMinute: number
  perDay: number
}

const MINUTE = 60_000

/**
 * What each lane may use. Replies and urgent alerts may use the whole per-minute and daily budget;
 * task notices, reminders and broadcasts leave `replyReservePercent` of both for them; broadcasts
 * and reminders use at most `bulkPercent` of a minute.
 */
export function laneCaps(limits: OutboxLimits): Record<OutboxLane, LaneCap> {
  const share = (n: number, percent: number) => Math.max(1, Math.floor((n * percent) / 100))
  const unreserved = 100 - limits.replyReservePercent
  const full = { perMinute: limits.perMinute, perDay: limits.dailyBudget }
  const task = {
    perMinute: share(limits.perMinute, unreserved),
    perDay: share(limits.dailyBudget, unreserved),
  }
  return {
    reply: full,
    urgent: full,
    task,
    bulk: { ...task, perMinute: share(limits.perMinute, Math.min(limits.bulkPercent, unreserved)) },
  }
}

/** The lanes whose daily share is not used up when `sentToday` messages went out today. */
export function lanesWithinDailyBudget(limits: OutboxLimits, sentToday: number): OutboxLane[] {
  const caps = laneCaps(limits)
  return OUTBOX_LANES.filter((lane) => sentToday < caps[lane].perDay)
}

export interface Pacer {
  /** The lanes that may send at `now`, and when the next closed lane opens (ms epoch). */
  open(now: number): { lanes: OutboxLane[]; nextOpenAt: number }
  /** Records an attempt that reached WeChat (sent, or failed there) in `lane` at `at`. */
  record(lane: OutboxLane, at: number): void
  /** Starts the spacing from a send before this process started (the last one in the database). */
  seed(lastSentAt: number): void
}

/**
 * The per-minute pace by lane, kept in memory by the sender that holds the lease. Any two messages
 * are at least `60 s / perMinute` (plus random jitter) apart; a lane's messages are also spaced at its
 * own cap, counted from the lane down (task notices count themselves and broadcasts; replies count
 * everything), and at most its cap go in any 60 s. So a broadcast goes out at its share's pace, a
 * reply queued meanwhile goes after the shorter reply spacing instead of behind the broadcast, and
 * replies do not push the broadcast's own spacing back.
 */
export function createPacer(limits: OutboxLimits, random: () => number = Math.random): Pacer {
  const caps = laneCaps(limits)
  const window: Array<{ at: number; rank: number }> = []
  let last = Number.NEGATIVE_INFINITY
  let jitter = 0

  function openAt(lane: OutboxLane, now: number): number {
    const cap = caps[lane].perMinute
    const rank = laneRank(lane)
    const counted = window.filter((w) => w.rank >= rank && w.at > now - MINUTE)
    const lastOfLane = counted.at(-1)?.at ?? Number.NEGATIVE_INFINITY
    const spaced = Math.max(last + MINUTE / limits.perMinute, lastOfLane + MINUTE / cap) + jitter
    const full = counted.length >= cap ? (counted[counted.length - cap]?.at ?? now) + MINUTE : now
    return Math.max(spaced, full)
  }

  return {
    open(now) {
      while (window.length > 0 && (window[0]?.at ?? now) <= now - MINUTE) window.shift()
      const lanes: OutboxLane[] = []
      let nextOpenAt = Number.POSITIVE_INFINITY
      for (const lane of OUTBOX_LANES) {
        const at = openAt(lane, now)
        if (at <= now) lanes.push(lane)
        else nextOpenAt = Math.min(nextOpenAt, at)
      }
      return { lanes, nextOpenAt }
    },
    record(lane, at) {
      window.push({ at, rank: laneRank(lane) })
      last = at
      jitter = random() * limits.jitterMs
    },
    seed(lastSentAt) {
      last = Math.max(last, lastSentAt)
      jitter = random() * limits.jitterMs
    },
  }
}
