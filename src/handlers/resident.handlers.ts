import type { ChatServices, ChatSettings } from './chat-handler.js'
import { MENU_FLOWS, TEXT } from './chat-texts.js'
import type { ChatMiddleware } from './composer.js'
import { isCourtesy, isGreeting, isRatingShaped } from './etiquette.js'
import { runEvents } from './events.handler.js'
import { runMyCases, runPolicy, runReport } from './report.flow.js'

/**
 * A short question about upcoming events: 「最近有什么活动」「社区有啥活动吗」「这周有活动吗」
 * 「有什么活动可以报名」. Needs a question word (什么/啥/哪些) or a question ending (吗/没有/可以报名), so
 * a report that mentions 活动室 or 活动 in passing is not taken for one.
 */
const EVENTS_QUESTION =
  /^(请问|问一下)?(咱们|我们)?(社区|小区)?(最近|近期|这周|本周|下周|这周末|周末|这几天|今天|明天)?(有|都有|还有|会有)?(?:(什么|啥|哪些)(社区|小区)?活动(吗|呀|啊|么|没|没有|可以报名|能报名|可以参加|能参加)?|活动(吗|么|没|没有|可以报名|能报名))[？?。!！]*$/

/** Keywords that work anywhere: 我的工单, 活动 (or a short question about events), 菜单/帮助. */
export function keywordHandler(services: ChatServices): ChatMiddleware {
  return async (ctx, next) => {
    if (/^(我的工单|查工单|工单)$/.test(ctx.text)) return runMyCases(ctx, services)
    if (/^(社区活动|活动)$/.test(ctx.text) || EVENTS_QUESTION.test(ctx.text)) return runEvents(ctx, services)
    if (/^(菜单|帮助|help|\?|？)$/i.test(ctx.text)) {
      ctx.outcome = 'menu'
      return ctx.reply(ctx.isGroup ? TEXT.groupHelp : TEXT.menu)
    }
    return next()
  }
}

/** A bare digit no open question was waiting for: a menu choice. */
export function menuDigitHandler(services: ChatServices, settings: ChatSettings): ChatMiddleware {
  return async (ctx, next) => {
    if (!/^\d$/.test(ctx.text)) return next()
    const flow = MENU_FLOWS[ctx.text]
    if (flow === 'report') return runReport(ctx, services, settings, '')
    if (flow === 'policy') return runPolicy(ctx, services, settings, '')
    if (flow === 'events') return runEvents(ctx, services)
    if (flow === 'my_cases') return runMyCases(ctx, services)
    ctx.outcome = 'menu'
    await ctx.reply(TEXT.menu)
  }
}

const PERSONAL_DATA = /电话|手机|号码|身份证|住址|门牌|联系方式|个人信息|名单|户籍/
const OTHER_PEOPLE =
  /所有|全部|全体|每个|每户|每一户|其他|别人|他人|其他人|邻居们|居民们|住户们|业主们|大家的|整栋|整个小区/
const HANDING_OVER = /发|给我|告诉|列|导出|公布|查|统计|整理/
const OVERRIDE =
  /忽略(以上|上面|之前|前面|所有)?的?(指令|指示|规则|设定|提示)|ignore (all |the )?(previous|above|prior) (instructions|rules)|system prompt|你现在是|扮演/i

/** A request for other people's phone, ID or address, or an attempt to rewrite the bot's rules. */
export function isPrivacyProbe(text: string): boolean {
  if (OVERRIDE.test(text)) return true
  return PERSONAL_DATA.test(text) && OTHER_PEOPLE.test(text) && HANDING_OVER.test(text)
}

/**
 * Refuses, politely and without opening a case, to hand out residents' personal data or to follow
 * instructions that try to change what the bot does.
 */
export function privacyGuardHandler(): ChatMiddleware {
  return async (ctx, next) => {
    if (!isPrivacyProbe(ctx.text)) return next()
    ctx.outcome = 'refused:privacy'
    await ctx.reply(TEXT.privacyRefusal)
  }
}

/**
 * The last resort: a trigger word decides; otherwise what triage read — a request opens a case, a
 * question goes to the knowledge base, small talk gets a short friendly answer and no case.
 */
export function intentHandler(services: ChatServices, settings: ChatSettings): ChatMiddleware {
  return async (ctx) => {
    if (ctx.trigger === '报修' || ctx.trigger === '报事' || ctx.trigger === '求助')
      return runReport(ctx, services, settings, ctx.text)
    if (ctx.trigger === '咨询') return runPolicy(ctx, services, settings, ctx.text)
    if (ctx.input.type === 'image' && ctx.text === '') {
      ctx.outcome = 'image'
      return ctx.reply(TEXT.imageNote)
    }
    const t = ctx.triaged
    if (ctx.text === '' || isGreeting(ctx.text)) {
      ctx.outcome = 'menu'
      return ctx.reply(ctx.isGroup ? TEXT.groupHelp : TEXT.menu)
    }
    if (isRatingShaped(ctx.text, t)) {
      // A rating with no rating asked (none is recorded for this person): thanked, never a new case.
      ctx.outcome = 'rating:none-pending'
      return ctx.reply(TEXT.noRatingPending)
    }
    if (t?.intent === 'request') return runReport(ctx, services, settings, ctx.text)
    if (t?.intent === 'question') return runPolicy(ctx, services, settings, ctx.text)
    ctx.outcome = t?.language === 'en' ? 'chat:english' : 'chat'
    if (t?.language === 'en') return ctx.reply(TEXT.english)
    await ctx.reply(isCourtesy(ctx.text) ? TEXT.thanks : TEXT.chitChat)
  }
}
