import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { silentLogger } from '../../lib/logger.js'
import { ChannelIncidentModel } from '../../models/bot-account.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { createOutbox } from '../outbox/outbox.service.js'
import type { ChannelHealth, ChannelSource } from './channel.js'
import { createChannelWatch } from './channel-watch.js'

const config = loadConfig({}, { overrides: { env: 'test' } })

describe('channel watch: staff are told when a channel is down, once, and when it is back', () => {
  useTestDatabase()

  it('alerts admins and the staff robot after the grace period, once per outage, and on recovery', async () => {
    const clock = fixedClock(new Date('2026-12-07T01:00:00Z'))
    const outbox = createOutbox({ clock })
    // Someone holding both alerted roles is told once.
    const admin = await ResidentModel.create({
      name: '赵站长',
      roles: ['admin', 'street_staff'],
      token: 'tok-admin',
    })
    const street = await ResidentModel.create({
      name: '街道李科长',
      roles: ['street_staff'],
      token: 'tok-street',
    })
    await ResidentModel.create({ name: '居民甲', roles: ['resident'], token: 'tok-r' })
    let health: ChannelHealth = { state: 'up', since: clock.now() }
    const bot: ChannelSource = { channel: 'wechaty', account: 'kanghe2', health: () => health }
    const watch = () =>
      createChannelWatch({
        sources: () => [bot],
        outbox,
        clock,
        logger: silentLogger,
        timezone: 'Asia/Shanghai',
        alerts: { afterMinutes: 5, roles: ['admin', 'street_staff'], robots: ['staff'] },
      })
    const first = watch()
    await first.check()
    health = { state: 'down', detail: '机器人已掉线', since: clock.now() }
    clock.advance(4 * 60_000)
    await first.check()
    expect(await OutboxModel.countDocuments({ kind: 'alert' })).toBe(0) // a short blip is not an outage

    clock.advance(2 * 60_000)
    await first.check()
    await first.check()
    // A restarted process (a new watch) finds the outage already told.
    await watch().check()
    const alerts = await OutboxModel.find({ kind: 'alert' }).lean()
    expect(alerts.map((a) => `${a.to?.type}:${a.to?.id}`).sort()).toEqual(
      [`person:${admin._id}`, `person:${street._id}`, 'robot:staff'].sort(),
    )
    expect(alerts[0]?.text).toBe(
      '【邻里·渠道告警】群机器人（kanghe2）不可用：机器人已掉线（自12月7日 09:00起）。' +
        '给网格员和居民的个人通知正改由企业微信、订阅消息或短信发送；群里的消息排队，机器人恢复后补发。请尽快检查该微信账号并重新登录。',
    )
    expect(alerts.every((a) => a.purpose === 'alert')).toBe(true)
    expect(await ChannelIncidentModel.countDocuments()).toBe(1)

    health = { state: 'up', since: clock.now() }
    await first.check()
    await first.check()
    const back = await OutboxModel.find({ text: { $regex: '渠道恢复' } }).lean()
    expect(back).toHaveLength(3)
    expect(back[0]?.text).toBe(
      '【邻里·渠道恢复】群机器人（kanghe2）已恢复正常（12月7日 09:06），排队的消息正在补发。',
    )
    expect((await ChannelIncidentModel.findOne().lean())?.resolvedAt).toBeInstanceOf(Date)

    // A second outage is a new incident, told again.
    health = { state: 'degraded', detail: '最近多次发送失败', since: clock.now() }
    clock.advance(6 * 60_000)
    await first.check()
    expect(await OutboxModel.countDocuments({ text: { $regex: '发送不稳定：最近多次发送失败' } })).toBe(3)
  })

  it('uses the configured defaults: admins and street staff after five minutes', () => {
    expect(config.channels.alerts).toEqual({ afterMinutes: 5, roles: ['admin', 'street_staff'], robots: [] })
  })
})
