import type { Conversations } from '../services/conversations/conversation.service.js'
import type { ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'
import { lastAskOf } from './flows.live.js'
import { type LiveServices, personOfContact } from './live-services.js'

const SIGNUP_RE = /^报名\s*(\S+)$/
const CANCEL_RE = /^取消报名\s*(\S*)$/
const REMINDERS_RE = /^(退订提醒|取消提醒|开启提醒|订阅提醒)$/

/**
 * Event sign-up (报名 <活动码或序号>), cancel (取消报名), reminders (退订提醒 / 开启提醒) and the
 * notice acknowledgement ("1" right after a notice that asked 收到请回复1). A bare digit means what
 * the bot last asked this contact: an acknowledgement here, a rating or a menu choice further on.
 */
export function residentExtras(services: LiveServices, conversations: Conversations): ChatMiddleware {
  return async (ctx, next) => {
    const { contactId, name } = ctx.input.sender
    const text = ctx.text
    if (!ctx.isGroup && text === '1' && (await lastAskOf(conversations, contactId)) === 'ack') {
      const me = await personOfContact(services.registry, { contactId, name })
      const ack = await services.notices.acknowledgeLatest(me.id, 'wechat')
      ctx.outcome = 'notice:ack'
      return ctx.reply(ack ? `已确认收到《${ack.title}》，谢谢！` : '好的，已收到。')
    }
    const signup = SIGNUP_RE.exec(text)
    const cancel = CANCEL_RE.exec(text)
    const reminders = REMINDERS_RE.exec(text)
    if (!signup && !cancel && !reminders) return next()
    const me = await personOfContact(services.registry, { contactId, name })
    try {
      if (reminders) {
        const on = reminders[1] === '开启提醒' || reminders[1] === '订阅提醒'
        await services.events.setReminders(me.id, on)
        ctx.outcome = on ? 'events:reminders-on' : 'events:reminders-off'
        return ctx.reply(
          on ? '已开启活动提醒。' : '已退订活动提醒，以后不再给您发提醒。想恢复请回复「开启提醒」。',
        )
      }
      const events = await services.events.listForPerson(me.id, { limit: 10 })
      const pick = (key: string) =>
        events.find((e) => e.code.toUpperCase() === key.toUpperCase()) ??
        (/^\d{1,2}$/.test(key) ? events[Number(key) - 1] : undefined)
      if (signup) {
        ctx.outcome = 'events:signup'
        const event = pick(signup[1] as string)
        if (!event) return ctx.reply('没有找到这个活动，请回复「活动」查看近期活动的序号。')
        const s = await services.events.signUp(event.id, me.id, { channel: 'wechat' })
        const waiting = s.status === 'waiting'
        return ctx.reply(
          s.already
            ? `您已经报过名了：${event.title}。`
            : waiting
              ? `${event.title} 名额已满，已为您排队候补，有空位会通知您。`
              : `报名成功：${event.title}，${event.place}。活动前会提醒您。`,
        )
      }
      ctx.outcome = 'events:cancel'
      const key = cancel?.[1] ?? ''
      const targets = key ? [pick(key)].filter((e) => e !== undefined) : events
      for (const e of targets) {
        const r = await services.events.cancelSignup(e.id, me.id)
        if (r.cancelled) return ctx.reply(`已取消报名：${e.title}。`)
      }
      return ctx.reply('没有找到您的报名记录。')
    } catch (err) {
      const sentence = politeError(err)
      if (!sentence) throw err
      ctx.outcome += ':refused'
      await ctx.reply(sentence)
    }
  }
}
