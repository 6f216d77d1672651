import { maskText } from '../lib/mask.js'
import type { Conversations } from '../services/conversations/conversation.service.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { guessIntent, isCourtesy } from './etiquette.js'
import type { ChatFlows } from './flows.js'
import { MENU_FLOWS, TEXT } from './replies.js'

export interface ResidentFlowDeps {
  flows: ChatFlows
  conversations: Conversations
  /** How long a menu choice or a question of the bot waits for the answer. */
  pendingTtlMs: number
  /** How long after a report a photo or detail is added to that case. */
  followUpTtlMs: number
}

/** Opens a case from the message (or asks for the description when there is none yet). */
async function runReport(ctx: ChatContext, d: ResidentFlowDeps, text: string): Promise<void> {
  const { input } = ctx
  ctx.outcome = 'report'
  if (text === '' && input.attachments.length === 0) {
    await d.conversations.setState(input.sender.contactId, ctx.chatKey, {
      flow: 'report',
      ttlMs: d.pendingTtlMs,
    })
    await ctx.reply(TEXT.askReport)
    return
  }
  if (!d.flows.reportProblem) {
    ctx.outcome = 'report:not-ready'
    await ctx.reply(TEXT.notReady)
    return
  }
  const result = await d.flows.reportProblem({
    messageId: input.messageId,
    channel: ctx.isGroup ? 'group' : 'direct',
    contactId: input.sender.contactId,
    contactName: input.sender.name,
    text: maskText(text),
    attachments: input.attachments,
    room: input.room,
    binding: ctx.binding,
    receivedAt: input.receivedAt,
  })
  await d.conversations.setState(input.sender.contactId, ctx.chatKey, {
    flow: 'follow_up',
    caseNumber: result.caseNumber,
    ttlMs: d.followUpTtlMs,
  })
  if (result.duplicateOf) {
    await ctx.reply(`已有邻居反映过此问题（工单 ${result.duplicateOf}），已为您关注进展，处理结果会通知您。`)
    return
  }
  const urgent = result.urgent ? '紧急情况已通知网格员和社区。' : ''
  await ctx.reply(
    `${urgent}已收到，工单号 ${result.caseNumber}，由${result.handlerName}处理，预计${result.dueText}办结。有照片可以直接发给我补充。`,
  )
}

async function runPolicy(ctx: ChatContext, d: ResidentFlowDeps, question: string): Promise<void> {
  ctx.outcome = 'policy'
  if (question === '') {
    await d.conversations.setState(ctx.input.sender.contactId, ctx.chatKey, {
      flow: 'policy',
      ttlMs: d.pendingTtlMs,
    })
    await ctx.reply(TEXT.askPolicy)
    return
  }
  if (!d.flows.askPolicy) {
    ctx.outcome = 'policy:not-ready'
    await ctx.reply(TEXT.notReady)
    return
  }
  const answer = await d.flows.askPolicy(maskText(question), {
    contactId: ctx.input.sender.contactId,
    communityId: ctx.binding?.communityId,
  })
  if (answer.abstained) {
    ctx.outcome = 'policy:abstained'
    await ctx.reply(
      answer.caseNumber
        ? `这个问题我不确定，怕说错了误导您，已转给社区工作人员（工单 ${answer.caseNumber}），稍后回复您。`
        : TEXT.abstained,
    )
    return
  }
  // The knowledge base may already name its sources in the answer; each title is said once.
  const titles = [...new Set(answer.citations.map((c) => `《${c.title}》`))]
  const sources = titles.filter((t) => !answer.answer.includes(t)).join('、')
  await ctx.reply(sources ? `${answer.answer}\n来源：${sources}` : answer.answer)
}

async function runMyCases(ctx: ChatContext, d: ResidentFlowDeps): Promise<void> {
  ctx.outcome = 'my_cases'
  if (!d.flows.myCases) return ctx.reply(TEXT.notReady)
  const cases = await d.flows.myCases(ctx.input.sender.contactId)
  if (cases.length === 0) return ctx.reply(TEXT.noCases)
  const lines = cases.slice(0, 5).map((c, i) => `${i + 1}. ${c.caseNumber} ${c.title}：${c.statusText}`)
  // Case titles may carry a room number: the list goes to a direct chat even when asked in a group.
  await ctx.reply(`您的工单：\n${lines.join('\n')}`, { private: true })
}

async function runEvents(ctx: ChatContext, d: ResidentFlowDeps): Promise<void> {
  ctx.outcome = 'events'
  if (!d.flows.upcomingEvents) return ctx.reply(TEXT.notReady)
  const events = await d.flows.upcomingEvents(ctx.input.sender.contactId, ctx.binding?.communityId)
  if (events.length === 0) return ctx.reply(TEXT.noEvents)
  const lines = events.slice(0, 5).map((e, i) => `${i + 1}. ${e.title}｜${e.timeText}｜${e.place}`)
  await ctx.reply(`近期社区活动：\n${lines.join('\n')}`)
}

/** Answers the flow the bot is waiting for: a menu choice, its own question, a follow-up photo. */
export function pendingHandler(d: ResidentFlowDeps): ChatMiddleware {
  return async (ctx, next) => {
    const pending = ctx.pending
    if (!pending || ctx.trigger) return next()
    const contactId = ctx.input.sender.contactId
    if (pending.flow === 'report' || pending.flow === 'policy') {
      if (/^\d$/.test(ctx.text) || ctx.text === '') return next()
      await d.conversations.clearState(contactId, ctx.chatKey)
      return pending.flow === 'report' ? runReport(ctx, d, ctx.text) : runPolicy(ctx, d, ctx.text)
    }
    if (pending.flow !== 'follow_up' || !pending.caseNumber || !isFollowUp(ctx)) return next()
    ctx.outcome = 'follow_up'
    if (!d.flows.addToCase) return ctx.reply(TEXT.notReady)
    await d.flows.addToCase({
      caseNumber: pending.caseNumber,
      messageId: ctx.input.messageId,
      contactId,
      text: maskText(ctx.text),
      attachments: ctx.input.attachments,
    })
    await ctx.reply(`已补充到工单 ${pending.caseNumber}。`)
  }
}

function isFollowUp(ctx: ChatContext): boolean {
  if (ctx.input.attachments.length > 0) return true
  if (ctx.isGroup && !ctx.input.quoted?.fromBot) return false
  return (
    ctx.text !== '' &&
    !/^\d$/.test(ctx.text) &&
    !isCourtesy(ctx.text) &&
    !/[?？]\s*$|吗[。！!]?$/.test(ctx.text) && // a question is a new topic, not a detail of the report
    !/^(菜单|帮助|我的工单)$/.test(ctx.text)
  )
}

/** A digit: a rating when a resolved case waits for one, otherwise a menu choice. */
export function digitHandler(d: ResidentFlowDeps): ChatMiddleware {
  return async (ctx, next) => {
    if (!/^\d$/.test(ctx.text)) return next()
    const digit = Number(ctx.text)
    if (digit >= 1 && digit <= 5 && d.flows.rate) {
      const rated = await d.flows.rate(ctx.input.sender.contactId, digit)
      if (rated.rated) {
        ctx.outcome = 'rate'
        return ctx.reply(
          `谢谢您的评价（${digit} 分）${rated.caseNumber ? `，工单 ${rated.caseNumber} 已记录` : ''}。`,
        )
      }
    }
    const flow = MENU_FLOWS[ctx.text]
    if (flow === 'report') return runReport(ctx, d, '')
    if (flow === 'policy') return runPolicy(ctx, d, '')
    if (flow === 'events') return runEvents(ctx, d)
    if (flow === 'my_cases') return runMyCases(ctx, d)
    ctx.outcome = 'menu'
    await ctx.reply(TEXT.menu)
  }
}

/** Keywords that work anywhere: 我的工单, 活动, 菜单/帮助. */
export function keywordHandler(d: ResidentFlowDeps): ChatMiddleware {
  return async (ctx, next) => {
    if (/^(我的工单|查工单|工单)$/.test(ctx.text)) return runMyCases(ctx, d)
    if (/^(社区活动|活动)$/.test(ctx.text)) return runEvents(ctx, d)
    if (/^(菜单|帮助|help|\?|？)$/i.test(ctx.text)) {
      ctx.outcome = 'menu'
      return ctx.reply(ctx.isGroup ? TEXT.groupHelp : TEXT.menu)
    }
    return next()
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

/** The last resort: a report, a question, or the menu. */
export function intentHandler(d: ResidentFlowDeps): ChatMiddleware {
  return async (ctx) => {
    if (ctx.trigger === '报修' || ctx.trigger === '报事' || ctx.trigger === '求助')
      return runReport(ctx, d, ctx.text)
    if (ctx.trigger === '咨询') return runPolicy(ctx, d, ctx.text)
    if (ctx.input.type === 'image' && ctx.text === '') {
      ctx.outcome = 'image'
      return ctx.reply(TEXT.imageNote)
    }
    const intent =
      d.flows.classify && ctx.text !== '' ? await d.flows.classify(ctx.text) : guessIntent(ctx.text)
    if (intent === 'report') return runReport(ctx, d, ctx.text)
    if (intent === 'policy') return runPolicy(ctx, d, ctx.text)
    ctx.outcome = 'menu'
    await ctx.reply(ctx.isGroup ? TEXT.groupHelp : TEXT.menu)
  }
}
