import { MESSAGE_PURPOSES, type MessagePurpose } from './channel.js'

/**
 * The purpose of a message by its outbox `kind`, like the lanes (outbox.lanes.ts): enqueue callers
 * keep passing `kind` only; a kind not in the table is a task notice.
 */
const PURPOSE_OF_KIND: Readonly<Record<string, MessagePurpose>> = {
  reply: 'reply',
  alert: 'alert',
  urgent: 'alert',
  task: 'task',
  assign: 'task',
  follow_up: 'task',
  warning: 'task',
  escalation: 'task',
  update: 'update',
  rating: 'rating',
  reminder: 'reminder',
  event: 'reminder',
  notice: 'notice',
  digest: 'digest',
}

export function purposeOfKind(kind: string): MessagePurpose {
  return PURPOSE_OF_KIND[kind] ?? 'task'
}

/** The purpose a stored message has: its own, or (stored before purposes) its kind's. */
export function purposeOf(msg: { purpose?: string | null; kind: string }): MessagePurpose {
  return (MESSAGE_PURPOSES as readonly string[]).includes(msg.purpose ?? '')
    ? (msg.purpose as MessagePurpose)
    : purposeOfKind(msg.kind)
}
