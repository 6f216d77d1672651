import { type InferSchemaType, model, Schema, type Types } from 'mongoose'
import { MESSAGE_PURPOSES } from '../services/channels/channel.js'

/**
 * `sent_unknown`: the sender stopped between marking a message `sending` and recording the result;
 * it may or may not have reached WeChat and is never sent again on purpose (at-most-once).
 */
export const OUTBOX_STATUSES = [
  'queued',
  'sending',
  'sent',
  'sent_unknown',
  'failed',
  'undeliverable',
] as const
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number]

/**
 * Priority lanes, highest first: conversation replies, urgent alerts, task notices (assignments,
 * case updates, follow-ups), then reminders and broadcasts. The sender always takes the next due
 * message of the highest lane; see src/services/outbox/outbox.lanes.ts for which kind goes where.
 */
export const OUTBOX_LANES = ['reply', 'urgent', 'task', 'bulk'] as const
export type OutboxLane = (typeof OUTBOX_LANES)[number]

/**
 * One outgoing chat message (reply, task notice, case update, reminder, broadcast). `key` is unique:
 * enqueueing the same key twice queues it once, so a replayed handler or job never sends twice.
 */
const outboxSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    /** room: a Wechaty room id; contact: a Wechaty contact id; person: a Resident id resolved at send time;
     *  robot: a WeCom group robot's name in `wecom.robots` (a staff group's feed). */
    to: {
      type: { type: String, enum: ['room', 'contact', 'person', 'robot'], required: true },
      id: { type: String, required: true },
    },
    text: { type: String, required: true },
    kind: { type: String, required: true }, // reply, task, update, reminder, notice, digest, warning …
    /** The priority lane, set at enqueue (from `kind` unless the caller knows better). */
    lane: { type: String, enum: OUTBOX_LANES },
    /** Which bot account sends it (one per deployment today). */
    account: { type: String, default: 'default' },
    status: { type: String, enum: OUTBOX_STATUSES, default: 'queued' },
    attempts: { type: Number, default: 0 },
    notBefore: { type: Date, required: true },
    lastError: String,
    sentAt: Date,
    /** Why it is sent (src/services/channels/purposes.ts): decides which channels may carry it. */
    purpose: { type: String, enum: MESSAGE_PURPOSES },
    /**
     * Channels this message has left for the next one (failover), in order. Pushed in the same
     * conditional update that takes the message out of `sending`, before the next channel is tried.
     */
    channelsDone: { type: [String], default: undefined },
    /** The channel being tried while `sending` (a `sent_unknown` message says which one). */
    sendingVia: { channel: String, at: Date },
    /** Which channel delivered it; `address` is masked for SMS. */
    deliveredVia: { channel: String, address: String, at: Date, providerMessageId: String },
    /** Every failed attempt: channel, the ChannelError kind and the provider's code. */
    attemptsLog: {
      type: [{ _id: false, channel: String, kind: String, code: String, at: Date }],
      default: undefined,
    },
    refs: {
      caseId: String,
      /** The case's number, for channels that show it (an SMS template, a subscribe message's page). */
      caseNumber: String,
      noticeId: String,
      eventId: String,
      messageId: String,
    },
  },
  { timestamps: true },
)
outboxSchema.index({ status: 1, notBefore: 1 })
outboxSchema.index({ account: 1, status: 1, sentAt: 1 })
outboxSchema.index({ 'refs.noticeId': 1, status: 1 })
outboxSchema.index({ 'refs.caseId': 1 })
outboxSchema.index({ 'deliveredVia.channel': 1, 'deliveredVia.at': 1 })
export const OutboxModel = model('Outbox', outboxSchema, 'outbox')
export type OutboxDoc = InferSchemaType<typeof outboxSchema> & { _id: Types.ObjectId }

/**
 * The queue's index, one collection per lane: one small document per `queued` outbox message (same
 * `_id`), deleted when the message leaves the queue. The sender looks for the next due message of
 * the highest lane here, so a reply is found by reading the (short) reply lane only, however long a
 * broadcast waits in the bulk lane — and nothing reads the whole outbox (FerretDB's SQLite backend
 * would scan it for any filter but an exact `_id`).
 */
const outboxPendingSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    account: { type: String, required: true },
    notBefore: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

const pendingModel = (lane: OutboxLane) =>
  model(`OutboxPending_${lane}`, outboxPendingSchema, `outbox_pending_${lane}`)

/** The pending index of each lane (`outbox_pending_reply`, `…_urgent`, `…_task`, `…_bulk`). */
export const OutboxPendingModels = {
  reply: pendingModel('reply'),
  urgent: pendingModel('urgent'),
  task: pendingModel('task'),
  bulk: pendingModel('bulk'),
} as const satisfies Record<OutboxLane, unknown>
