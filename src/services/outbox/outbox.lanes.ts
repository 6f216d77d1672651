import { OUTBOX_LANES, type OutboxLane } from '../../models/outbox.model.js'

export { OUTBOX_LANES, type OutboxLane }

/**
 * The one table of default lanes by message kind. A caller that knows better passes `lane` at
 * enqueue (an urgent case's alerts are `urgent` although their kind is `warning` or `task`).
 */
const LANE_OF_KIND: Readonly<Record<string, OutboxLane>> = {
  // Conversation replies: someone is waiting in the chat.
  reply: 'reply',
  // Urgent alerts (danger to life or property).
  alert: 'urgent',
  urgent: 'urgent',
  // Task notices: assignments, case updates, follow-ups, deadline warnings, escalations.
  task: 'task',
  assign: 'task',
  update: 'task',
  follow_up: 'task',
  warning: 'task',
  escalation: 'task',
  // Reminders and broadcasts.
  reminder: 'bulk',
  notice: 'bulk',
  event: 'bulk',
  digest: 'bulk',
}

/** The lane of a message of this kind; a kind not in the table goes with the task notices. */
export function laneOfKind(kind: string): OutboxLane {
  return LANE_OF_KIND[kind] ?? 'task'
}

/** The lane a stored message waits in: its own, or (stored before lanes) its kind's. */
export function laneOf(msg: { lane?: string | null; kind: string }): OutboxLane {
  return (OUTBOX_LANES as readonly string[]).includes(msg.lane ?? '')
    ? (msg.lane as OutboxLane)
    : laneOfKind(msg.kind)
}

/** The lane's rank: 0 for replies (highest) to 3 for broadcasts. */
export function laneRank(lane: OutboxLane): number {
  return OUTBOX_LANES.indexOf(lane)
}
