import { model, Schema } from 'mongoose'

/**
 * One failed send through one channel (any ChannelError kind), for the console's 「今日失败」 count.
 * A plain insert per failure (no `$inc` counter, which FerretDB does not make atomic), counted by the
 * equality `{day, channel, account}` the index answers; `day` is midnight of the local day.
 */
const channelFailureSchema = new Schema(
  {
    day: { type: Date, required: true },
    channel: { type: String, required: true },
    account: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
)
channelFailureSchema.index({ day: 1, channel: 1, account: 1 })

export const ChannelFailureModel = model('ChannelFailure', channelFailureSchema, 'channel_failures')
