import Router from '@koa/router'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { CHANNEL_NAMES } from '../../services/channels/channel.js'
import { type ChannelStatusSource, channelStatusRows } from '../../services/channels/channel-status.js'
import { requireRole } from '../middleware/auth.js'
import { parseQuery } from '../validate.js'

/** Who sees the channels' health: community and street staff, admins (not grid workers or residents). */
export const CHANNEL_STATUS_ROLES = ['community_staff', 'street_staff', 'admin'] as const

export const ChannelStatusQuery = z.object({}).strict()

const SelfTest = z.object({ at: z.iso.datetime(), ok: z.boolean(), detail: z.string().optional() })

export const ChannelStatusBody = z.object({
  items: z.array(
    z.object({
      channel: z.enum(CHANNEL_NAMES),
      account: z.string().optional(),
      label: z.string(),
      state: z.enum(['up', 'degraded', 'down', 'unconfigured']),
      detail: z.string().optional(),
      since: z.iso.datetime(),
      lastSelfTest: SelfTest.optional(),
      sentToday: z.number().int(),
      failedToday: z.number().int(),
      waiting: z.number().int(),
    }),
  ),
})

/**
 * `GET /api/v1/console/channels`: every sending channel (and bot account) with its health, last
 * self-test, today's sent and failed counts and its queue; official channels not set up show as
 * `unconfigured` with the settings they lack (names only).
 */
export function channelsRoutes(deps: {
  channelStatus: () => ChannelStatusSource[]
  config: Config
  clock: Clock
}): Router {
  const router = new Router({ prefix: '/api/v1/console' })
  const startedAt = deps.clock.now()
  router.get('/channels', async (ctx) => {
    requireRole(ctx, ...CHANNEL_STATUS_ROLES)
    parseQuery(ctx, ChannelStatusQuery)
    ctx.set('Cache-Control', 'no-store')
    ctx.body = {
      items: await channelStatusRows({
        sources: deps.channelStatus(),
        config: deps.config,
        now: deps.clock.now(),
        startedAt,
      }),
    }
  })
  return router
}
