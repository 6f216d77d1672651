import type { EventDoc } from '../../models/event.model.js'
import { formatLocal } from './event.time.js'

type EventText = Pick<EventDoc, 'title' | 'place' | 'startsAt'> & { cancelReason?: string | null }

/** "明天", "3小时后", "25分钟后": how far away the start is, for a reminder. */
function offsetLabel(minutes: number): string {
  if (minutes < 60) return `${Math.max(minutes, 1)}分钟后`
  if (minutes < 20 * 60) return `${Math.round(minutes / 60)}小时后`
  const days = Math.round(minutes / 1440)
  return days <= 1 ? '明天' : `${days}天后`
}

/** The direct-chat reminder for someone who signed up. */
export function reminderText(e: EventText, minutesLeft: number, timeZone: string): string {
  return (
    `【活动提醒】您报名的“${e.title}”${offsetLabel(minutesLeft)}开始：${formatLocal(e.startsAt, timeZone)}，` +
    `地点：${e.place}。如不能参加，请回复“取消报名”。不想收到活动提醒可回复“退订提醒”。`
  )
}

/** The reminder posted in the bound groups in scope. */
export function roomReminderText(e: EventText, minutesLeft: number, timeZone: string): string {
  return `【活动预告】“${e.title}”${offsetLabel(minutesLeft)}开始：${formatLocal(e.startsAt, timeZone)}，地点：${e.place}。欢迎邻居们参加！`
}

export function eventChangedText(e: EventText, timeZone: string): string {
  return `【活动变更】您报名的“${e.title}”时间或地点有调整：${formatLocal(e.startsAt, timeZone)}，地点：${e.place}。如不能参加，请回复“取消报名”。`
}

export function eventCancelledText(e: EventText, timeZone: string): string {
  const why = e.cancelReason ? `（${e.cancelReason}）` : ''
  return `【活动取消】很抱歉，原定${formatLocal(e.startsAt, timeZone)}的“${e.title}”已取消${why}。给您带来不便，敬请谅解。`
}

export function promotedText(e: EventText, timeZone: string): string {
  return `好消息：“${e.title}”有人取消了报名，您已从候补转为正式报名。时间：${formatLocal(e.startsAt, timeZone)}，地点：${e.place}。`
}
