import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { isDuplicateKeyError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { wallClock } from '../../lib/time.js'
import { ChannelIncidentModel } from '../../models/bot-account.model.js'
import { ROLES, type Role } from '../../models/registry.model.js'
import type { Outbox, OutboxInput } from '../outbox/outbox.service.js'
import { peopleWithRoles } from '../registry/registry.staff-queries.js'
import type { ChannelSource } from './channel.js'
import { channelLabel } from './channel-status.js'

export interface ChannelWatch {
  /** Looks at every channel once: alerts on an outage held `afterMinutes`, and on its end. */
  check(): Promise<void>
  start(everyMs?: number): void
  stop(): Promise<void>
}

/**
 * Tells staff when a channel is down or degraded (a logged-out or silently banned bot account, a
 * WeCom app whose secret was revoked, SMS over quota) and again when it is back — by the outbox, so
 * the alert itself fails over to the channels still up. Each outage is recorded once
 * (`channel_incidents`, a unique `_id` of channel, account and the state's start), so a restart or
 * a second process never alerts twice; the messages' outbox keys make the sends once too.
 */
export function createChannelWatch(deps: {
  sources: () => readonly ChannelSource[]
  outbox: Outbox
  clock: Clock
  logger: Logger
  timezone: string
  alerts: Config['channels']['alerts']
}): ChannelWatch {
  const { alerts } = deps
  /** The open incident per `channel:account`, as recorded. */
  const open = new Map<string, { _id: string; since: Date }>()
  let loaded = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  async function recipients(): Promise<OutboxInput['to'][]> {
    const roles = alerts.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r))
    const people = await peopleWithRoles(roles, 1000)
    return [
      ...people.map((p) => ({ type: 'person' as const, id: p.id })),
      ...alerts.robots.map((name) => ({ type: 'robot' as const, id: name })),
    ]
  }

  function hhmm(at: Date): string {
    const t = wallClock(at, deps.timezone)
    return `${t.month}月${t.day}日 ${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`
  }

  async function tell(key: string, text: string): Promise<void> {
    const to = await recipients()
    if (to.length === 0) {
      deps.logger.warn({ key }, 'channel alert has nobody to go to (channels.alerts.roles / robots)')
      return
    }
    await deps.outbox.enqueueMany(
      to.map((t) => ({
        key: `${key}:${t.type}:${t.id}`,
        to: t,
        text,
        kind: 'alert',
        purpose: 'alert' as const,
      })),
    )
  }

  async function check(): Promise<void> {
    if (!loaded) {
      for (const i of await ChannelIncidentModel.find({ resolvedAt: { $exists: false } }).lean()) {
        open.set(`${i.channel}:${i.account}`, { _id: i._id, since: i.since })
      }
      loaded = true
    }
    const now = deps.clock.now()
    for (const source of deps.sources()) {
      const key = `${source.channel}:${source.account}`
      const label = channelLabel(source.channel, source.account)
      const h = source.health()
      const current = open.get(key)
      if (h.state === 'up') {
        if (!current) continue
        open.delete(key)
        await ChannelIncidentModel.updateOne({ _id: current._id }, { $set: { resolvedAt: now } })
        await tell(
          `channel-ok:${current._id}`,
          `【邻里·渠道恢复】${label}已恢复正常（${hhmm(now)}），排队的消息正在补发。`,
        )
        continue
      }
      if (current || now.getTime() - h.since.getTime() < alerts.afterMinutes * 60_000) continue
      const _id = `${key}:${h.since.toISOString()}`
      try {
        await ChannelIncidentModel.create({
          _id,
          channel: source.channel,
          account: source.account,
          state: h.state,
          detail: h.detail,
          since: h.since,
          alertedAt: now,
        })
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
      }
      open.set(key, { _id, since: h.since })
      const what = h.state === 'down' ? '不可用' : '发送不稳定'
      const then =
        source.channel === 'wechaty'
          ? '给网格员和居民的个人通知正改由企业微信、订阅消息或短信发送；群里的消息排队，机器人恢复后补发。请尽快检查该微信账号并重新登录。'
          : '相关消息正改由其他渠道发送，或排队等它恢复后补发。'
      await tell(
        `channel-down:${_id}`,
        `【邻里·渠道告警】${label}${what}${h.detail ? `：${h.detail}` : ''}（自${hhmm(h.since)}起）。${then}`,
      )
    }
  }

  async function guarded(): Promise<void> {
    try {
      await check()
    } catch (err) {
      deps.logger.warn({ err }, 'channel watch could not check the channels')
    }
  }

  return {
    check,
    start(everyMs = 30_000) {
      if (timer) return
      timer = setInterval(() => {
        if (!running) running = guarded().finally(() => (running = undefined))
      }, everyMs)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running
    },
  }
}
