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
    /**
     * The queue's marker: the lane while the message is `queued` (set on insert and whenever it is
     * queued again for a retry), unset in the same write that takes it out of `queued` (claimed for
     * sending, undeliverable, failed). The sender finds a lane's waiting messages by this one
     * top-level equality (and `account`), so a reply is found without reading a waiting broadcast
     * and nothing reads the sent messages.
     */
    pendingLane: { type: String, enum: OUTBOX_LANES },
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
// The sender's read of a lane (FerretDB 1.24 refuses `partialFilterExpression`, so sent ones are in it too).
outboxSchema.index({ pendingLane: 1, account: 1, notBefore: 1, createdAt: 1 })
outboxSchema.index({ account: 1, status: 1, sentAt: 1 })
outboxSchema.index({ 'refs.noticeId': 1, status: 1 })
outboxSchema.index({ 'refs.caseId': 1 })
outboxSchema.index({ 'deliveredVia.channel': 1, 'deliveredVia.at': 1 })
export const OutboxModel = model('Outbox', outboxSchema, 'outbox')
export type OutboxDoc = InferSchemaType<typeof outboxSchema> & { _id: Types.ObjectId }

/**
 * The queue's former index, one collection per lane (`outbox_pending_reply`, `…_urgent`, `…_task`,
 * `…_bulk`): replaced by `pendingLane` on the message itself. The sender's start-up check marks the
 * queued messages stored before and drops these collections (see `reconcilePending`).
 */
export const LEGACY_PENDING_COLLECTIONS = OUTBOX_LANES.map((lane) => `outbox_pending_${lane}`)
