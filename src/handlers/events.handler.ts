import type { ChatServices } from './chat-handler.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'

const SIGNUP_RE = /^报名\s*(\S+)$/
const CANCEL_RE = /^取消报名\s*(\S*)$/
const REMINDERS_RE = /^(退订提醒|取消提醒|开启提醒|订阅提醒)$/

const TIME_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** Upcoming events for the sender (or the group's community). */
export async function runEvents(ctx: ChatContext, services: ChatServices): Promise<void> {
  ctx.outcome = 'events'
  const me = await ctx.me()
  const events = await services.events.listForPerson(me.id, { limit: 5 })
  // Events are a community's: someone the registry places nowhere is told how to get placed.
  const placed = Boolean(me.communityId) || me.staff.communityIds.length > 0
  if (events.length === 0) return ctx.reply(placed ? TEXT.noEvents : TEXT.noEventsNoHome)
  const lines = events.map(
    (e, i) => `${i + 1}. ${e.title}（${e.code}）｜${TIME_FMT.format(e.startsAt)}｜${e.place}`,
  )
  await ctx.reply(say.events({ lines }))
}

/** Event sign-up (报名 <活动码或序号>), cancel (取消报名) and reminders (退订提醒 / 开启提醒). */
export function eventsHandler(services: ChatServices): ChatMiddleware {
  return async (ctx, next) => {
    const signup = SIGNUP_RE.exec(ctx.text)
    const cancel = CANCEL_RE.exec(ctx.text)
    const reminders = REMINDERS_RE.exec(ctx.text)
    if (!signup && !cancel && !reminders) return next()
    try {
      if (reminders) return await setReminders(ctx, services, reminders[1] as string)
      if (signup) return await signUp(ctx, services, signup[1] as string)
      return await cancelSignup(ctx, services, cancel?.[1] ?? '')
    } catch (err) {
      const sentence = politeError(err)
      if (!sentence) throw err
      ctx.outcome += ':refused'
      await ctx.reply(sentence)
    }
  }
}

async function setReminders(ctx: ChatContext, services: ChatServices, word: string): Promise<void> {
  const on = word === '开启提醒' || word === '订阅提醒'
  await services.events.setReminders((await ctx.me()).id, on)
  ctx.outcome = on ? 'events:reminders-on' : 'events:reminders-off'
  await ctx.reply(on ? TEXT.remindersOn : TEXT.remindersOff)
}

async function eventsOf(ctx: ChatContext, services: ChatServices) {
  const events = await services.events.listForPerson((await ctx.me()).id, { limit: 10 })
  const pick = (key: string) =>
    events.find((e) => e.code.toUpperCase() === key.toUpperCase()) ??
    (/^\d{1,2}$/.test(key) ? events[Number(key) - 1] : undefined)
  return { events, pick }
}

async function signUp(ctx: ChatContext, services: ChatServices, key: string): Promise<void> {
  ctx.outcome = 'events:signup'
  const event = (await eventsOf(ctx, services)).pick(key)
  if (!event) return ctx.reply(TEXT.eventNotFound)
  const s = await services.events.signUp(event.id, (await ctx.me()).id, { channel: 'wechat' })
  const slots = { title: event.title, place: event.place }
  await ctx.reply(
    s.already
      ? say.alreadySignedUp(slots)
      : s.status === 'waiting'
        ? say.waitlisted(slots)
        : say.signedUp(slots),
  )
}

async function cancelSignup(ctx: ChatContext, services: ChatServices, key: string): Promise<void> {
  ctx.outcome = 'events:cancel'
  const { events, pick } = await eventsOf(ctx, services)
  const targets = key ? [pick(key)].filter((e) => e !== undefined) : events
  const me = await ctx.me()
  for (const e of targets) {
    const r = await services.events.cancelSignup(e.id, me.id)
    if (r.cancelled) return ctx.reply(say.cancelled({ title: e.title }))
  }
  await ctx.reply(TEXT.signupNotFound)
}
