import type { EventView } from '../types'

/** 已取消, 已结束, 进行中, 报名已截止 or 报名中: what the event is now, from its recorded status and times. */
export function stateOf(e: EventView, now = new Date()): { text: string; cls: string } {
  if (e.status === 'cancelled') return { text: '已取消', cls: 'tag urgent' }
  if (new Date(e.endsAt) <= now) return { text: '已结束', cls: 'tag' }
  if (new Date(e.startsAt) <= now) return { text: '进行中', cls: 'tag live' }
  if (e.signupDeadline && new Date(e.signupDeadline) <= now) return { text: '报名已截止', cls: 'tag' }
  return { text: '报名中', cls: 'tag open' }
}

/** `12 / 30 人，候补 2`. */
export function signedText(e: EventView): string {
  const cap = e.capacity ? ` / ${e.capacity}` : ''
  return `${e.confirmed}${cap} 人${e.waiting ? `，候补 ${e.waiting}` : ''}`
}
