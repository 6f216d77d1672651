import type { Config } from '../../lib/config.js'
import { CommunityModel } from '../../models/registry.model.js'

/**
 * The WeCom group robots whose feed covers a community (`wecom.robotFeeds`): a community staff
 * group sees its morning figures and overdue escalations without anyone forwarding them. Only
 * robots that exist in `wecom.robots` are named.
 */
export async function robotsFeeding(config: Config, communityId: unknown): Promise<string[]> {
  const feeds = Object.entries(config.wecom.robotFeeds).filter(([name]) => config.wecom.robots[name])
  if (feeds.length === 0 || !communityId) return []
  const community = await CommunityModel.findById(communityId, { code: 1 }).lean()
  if (!community) return []
  return feeds
    .filter(([, feed]) => feed.communities.length === 0 || feed.communities.includes(community.code))
    .map(([name]) => name)
}
