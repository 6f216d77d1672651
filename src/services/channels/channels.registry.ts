import type { Config } from '../../lib/config.js'
import { startOfLocalDay } from '../../lib/time.js'
import { OutboxModel } from '../../models/outbox.model.js'
import type { Channel, ChannelName, MessagePurpose } from './channel.js'

export type ChannelsConfig = Config['channels']

/** The channels this process has configured, their failover order per purpose and their limits. */
export interface ChannelRegistry {
  get(name: ChannelName): Channel | undefined
  all(): Channel[]
  /** The configured order for `purpose`, narrowed to registered channels that carry it. */
  order(purpose: MessagePurpose): ChannelName[]
  /** True when the channel used its per-minute pace or its daily quota (local day) at `now`. */
  overQuota(name: ChannelName, now: Date): Promise<boolean>
  /** `unavailable` failures on one channel before a message moves to the next. */
  readonly unavailableTries: number
  /** Registry tags whose people get SMS first (channels.smsFirstTags). */
  readonly smsFirstTags: readonly string[]
}

const MINUTE = 60_000

/**
 * Quotas are counted the way outbox.pacing.ts and the sender's daily budget count: from the outbox
 * documents themselves (`deliveredVia.channel`, `deliveredVia.at`, indexed), never with a counter
 * kept by `$inc` (FerretDB). Only the sender holding the account's lease sends, so a count read
 * before a send is not raced by another sender of the same account.
 */
export function createChannelRegistry(options: {
  channels: Channel[]
  config?: Partial<ChannelsConfig>
  timezone: string
}): ChannelRegistry {
  const byName = new Map(options.channels.map((c) => [c.name, c]))
  const config = { order: {}, limits: {}, unavailableTries: 3, smsFirstTags: [], ...options.config }
  return {
    get: (name) => byName.get(name),
    all: () => [...byName.values()],
    unavailableTries: config.unavailableTries,
    smsFirstTags: config.smsFirstTags,
    order(purpose) {
      const wanted = config.order[purpose] ?? ['wechaty']
      return wanted.filter((name) => byName.get(name)?.purposes.includes(purpose) === true)
    },
    async overQuota(name, now) {
      const limit = config.limits[name]
      if (!limit) return false
      const count = (since: Date) =>
        OutboxModel.countDocuments({ 'deliveredVia.channel': name, 'deliveredVia.at': { $gte: since } })
      if ((await count(new Date(now.getTime() - MINUTE))) >= limit.perMinute) return true
      return (await count(startOfLocalDay(now, options.timezone))) >= limit.daily
    },
  }
}
