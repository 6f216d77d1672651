import type { ChannelStatus } from '../types'

/** Each state's word: the chip's colour is never the only sign. */
export const CHANNEL_STATE_WORDS: Record<ChannelStatus['state'], string> = {
  up: '正常',
  degraded: '不稳定',
  down: '已掉线',
  unconfigured: '未配置',
}

/** Community staff, street staff and admins see the channels (the API decides too). */
export const canSeeChannels = (roles: readonly string[]): boolean =>
  roles.some((r) => r === 'community_staff' || r === 'street_staff' || r === 'admin')

/**
 * The home page's warning when a channel is down, built from the rows: which are down, and which
 * working channels carry the messages meanwhile (or that messages wait in the queue).
 */
export function downSentence(rows: readonly ChannelStatus[]): string | undefined {
  const down = rows.filter((r) => r.state === 'down')
  if (down.length === 0) return undefined
  const working = rows.filter((r) => r.state === 'up' || r.state === 'degraded').map((r) => r.label)
  const waiting = down.reduce((n, r) => Math.max(n, r.waiting), 0)
  const names = down.map((r) => r.label).join('、')
  if (working.length > 0) return `${names}已掉线：消息正通过${working.join('、')}发送`
  return `${names}已掉线：暂时没有可用的发送渠道，${waiting > 0 ? `${waiting} 条消息` : '消息'}在排队等待`
}
