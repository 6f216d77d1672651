import { maskText, numbersIn } from '../lib/mask.js'
import { dueTextOf, handlerNameOf } from '../services/cases/case.texts.js'
import type { AskKind } from '../services/conversations/asks.service.js'
import type { KbAnswer } from '../services/kb/kb.service.js'
import { retiredNote } from '../services/kb/kb-answer.js'
import type { ChatServices, ChatSettings } from './chat-handler.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatContext } from './composer.js'

/** The longest description a case keeps (the case service refuses more). */
const MAX_CASE_TEXT = 1_990

/** Records a question of the bot for this sender in this chat. */
export function askSender(
  ctx: ChatContext,
  services: ChatServices,
  kind: AskKind,
  ttlMs: number,
  caseNumber?: string,
): Promise<void> {
  return services.asks.record(
    { type: 'contact', id: ctx.input.sender.contactId },
    { kind, chat: ctx.input.room ? `room:${ctx.input.room.id}` : 'dm', caseNumber, ttlMs },
  )
}

/** Opens a case from the message (or asks for the description when there is none yet). */
export async function runReport(
  ctx: ChatContext,
  services: ChatServices,
  settings: ChatSettings,
  text: string,
  options: { urgent?: boolean; proxyFor?: string; voice?: boolean } = {},
): Promise<void> {
  const { input } = ctx
  ctx.outcome = 'report'
  if (text === '' && input.attachments.length === 0) {
    await askSender(ctx, services, 'report', settings.pendingTtlMs)
    return ctx.reply(TEXT.askReport)
  }
  const me = await ctx.me()
  const groupGrid = ctx.binding?.scope === 'grid' ? ctx.binding.gridId : undefined
  const opened = await services.cases.open({
    channel: ctx.isGroup ? 'group' : 'direct',
    sourceKey: `chat:${input.messageId}`,
    text: maskText(text).slice(0, MAX_CASE_TEXT),
    reporter: { personId: me.id, contactId: input.sender.contactId, roomId: input.room?.id },
    // The group's grid and community are a hint: the building named and the household come first.
    hint: {
      ...(groupGrid ? { gridId: groupGrid } : {}),
      ...(ctx.binding ? { communityId: ctx.binding.communityId } : {}),
    },
    ...(options.urgent ? { urgency: 'urgent' } : {}),
    // A proxy (代办) reporting for the household it is linked to (checked by the caller).
    ...(options.proxyFor ? { proxyFor: { householdId: options.proxyFor } } : {}),
    attachments: input.attachments.slice(0, 9).map((a) => ({ kind: a.kind, ref: a.path, name: a.name })),
  })
  const c = opened.case
  // The description the bot asked for after 「1」 has come (also when danger took the lead).
  if (ctx.asks.some((a) => a.kind === 'report'))
    await services.asks.settle({ type: 'contact', id: input.sender.contactId }, { kind: 'report' })
  await askSender(ctx, services, 'follow_up', settings.followUpTtlMs, c.number)
  if (opened.duplicateOf) return ctx.reply(say.reportJoined({ caseNumber: opened.duplicateOf }))
  // A voice message without a transcript: the worker listens to it; the resident is never asked to type.
  if (options.voice) return ctx.reply(say.voiceForwarded({ caseNumber: c.number }))
  // Held at the intake desk because nobody knows where the resident lives: ask once for the place.
  const atDesk =
    c.owner?.kind !== 'department' && c.owner?.kind !== 'posted' && c.owner?.queue === 'intake_desk'
  if (atDesk && !ctx.isGroup && !ctx.asks.some((a) => a.kind === 'location')) {
    ctx.outcome = 'report:held'
    await askSender(ctx, services, 'location', 24 * 3600_000, c.number)
    return ctx.reply(say.reportHeldAskPlace({ caseNumber: c.number }))
  }
  await ctx.reply(
    say.reportOpened({
      caseNumber: c.number,
      handler: await handlerNameOf(c),
      due: dueTextOf(c.due.resolveBy, services.clock.now()),
      urgent: c.urgency === 'urgent',
    }),
  )
}

/** Answers a policy question from the knowledge base, or hands it to staff with a case. */
export async function runPolicy(
  ctx: ChatContext,
  services: ChatServices,
  settings: ChatSettings,
  question: string,
): Promise<void> {
  ctx.outcome = 'policy'
  if (question === '') {
    await askSender(ctx, services, 'policy', settings.pendingTtlMs)
    return ctx.reply(TEXT.askPolicy)
  }
  const me = await ctx.me()
  const answer = await services.kb.ask(maskText(question), { askerId: me.id })
  if (answer.abstained) {
    ctx.outcome = 'policy:abstained'
    const reply = answer.caseNumber ? say.policyHandedOver({ caseNumber: answer.caseNumber }) : TEXT.abstained
    // The rule the asker remembers may be gone: say so rather than leave them wondering.
    return ctx.reply(answer.retired ? `${retiredNote(answer.retired)}${reply}` : reply)
  }
  await replyWithAnswer(ctx, answer)
}

/**
 * A policy question asked in a group without addressing the bot: answered when the documents answer
 * it (true), left alone otherwise — no 「不确定」 in the neighbours' chat and no case for staff.
 */
export async function answerOverheard(ctx: ChatContext, services: ChatServices): Promise<boolean> {
  const me = await ctx.me()
  const answer = await services.kb.ask(maskText(ctx.text), { askerId: me.id, handOver: false })
  if (answer.abstained) return false
  ctx.outcome = 'policy:overheard'
  await replyWithAnswer(ctx, answer)
  return true
}

async function replyWithAnswer(ctx: ChatContext, answer: KbAnswer): Promise<void> {
  // The knowledge base may already name its sources in the answer; each title is said once.
  const titles = [...new Set(answer.citations.map((c) => `《${c.title}》`))]
  const sources = titles.filter((t) => !answer.answer.includes(t)).join('、')
  // An office's phone number quoted from a published document is public: it is not masked in groups.
  const published = answer.citations.map((c) => c.passage).join('\n')
  const publicNumbers = numbersIn(answer.answer).filter((n) => published.includes(n))
  await ctx.reply(say.policyAnswer({ answer: answer.answer, sources }), { publicNumbers })
}

/** A resident's own cases (to a direct chat: titles may carry a room number). */
export async function runMyCases(ctx: ChatContext, services: ChatServices): Promise<void> {
  ctx.outcome = 'my_cases'
  const me = await ctx.me()
  const page = await services.cases.listForReporter(
    { personId: me.id, contactId: ctx.input.sender.contactId },
    { limit: 5 },
  )
  if (page.items.length === 0) return ctx.reply(TEXT.noCases)
  const lines = page.items.map((c, i) => {
    const title = c.description.length > 16 ? `${c.description.slice(0, 16)}…` : c.description
    return `${i + 1}. ${c.number} ${title}：${c.statusLabel}`
  })
  await ctx.reply(say.myCases({ lines }), { private: true })
}
