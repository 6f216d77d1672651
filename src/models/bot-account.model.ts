import { type InferSchemaType, model, Schema } from 'mongoose'

/**
 * Which bot account of the pool reaches a group or a person: `_id` is `room:<id>` or `contact:<id>`,
 * `account` the first account that heard from it (recorded by that bot before the message is
 * handled). Messages to that group or person are queued for that account's sender. Read by `_id` only.
 */
const botReachSchema = new Schema(
  {
    _id: { type: String, required: true },
    account: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
export const BotReachModel = model('BotReach', botReachSchema, 'bot_reach')

/**
 * One self-test probe (`_id` is its nonce): a bot account sent it to a known contact at `sentAt`;
 * `returnedAt` is set when the receipt came back. A bot echoes only probes recorded here, so a
 * stranger cannot make it echo text.
 */
const selfTestProbeSchema = new Schema(
  {
    _id: { type: String, required: true },
    account: { type: String, required: true },
    to: { type: String, required: true },
    sentAt: { type: Date, required: true },
    returnedAt: Date,
    /** The send itself failed (the transport threw): the probe can never come back. */
    sendError: String,
  },
  { versionKey: false },
)
export const SelfTestProbeModel = model('SelfTestProbe', selfTestProbeSchema, 'self_test_probes')
export type SelfTestProbeDoc = InferSchemaType<typeof selfTestProbeSchema>

/**
 * A channel outage staff were told about: `_id` is `<channel>:<account>:<since ISO>`, inserted once
 * (a unique key), so two processes or a restart never alert twice for the same outage.
 */
const channelIncidentSchema = new Schema(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    account: { type: String, required: true },
    state: { type: String, required: true },
    detail: String,
    since: { type: Date, required: true },
    alertedAt: { type: Date, required: true },
    resolvedAt: Date,
  },
  { versionKey: false },
)
channelIncidentSchema.index({ channel: 1, account: 1, resolvedAt: 1 })
export const ChannelIncidentModel = model('ChannelIncident', channelIncidentSchema, 'channel_incidents')
