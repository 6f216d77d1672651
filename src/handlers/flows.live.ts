import type { Clock } from '../lib/clock.js'
import { ConflictError } from '../lib/errors.js'
import type { CaseSummary as ServiceCaseSummary } from '../services/cases/case.service.js'
import type { Conversations } from '../services/conversations/conversation.service.js'
import type {
  CaseSummary,
  ChatFlows,
  EventSummary,
  FollowUpInput,
  PolicyAnswer,
  RateResult,
  ReportInput,
  ReportResult,
} from './flows.js'
import { dueTextOf, handlerNameOf, type LiveServices, personOfContact } from './live-services.js'

export interface LiveFlowDeps {
  clock: Clock
  conversations: Conversations
}

/** What the bot last asked this contact in the direct chat: decides what a bare digit means. */
export type LastAsk = 'rating' | 'ack' | 'other' | 'none'

/** Reads the bot's latest message in the contact's direct chat (the digit's question). */
export async function lastAskOf(conversations: Conversations, contactId: string): Promise<LastAsk> {
  const recent = await conversations.transcript(`dm:${contactId}`, 12)
  const out = [...recent].reverse().find((m) => m.direction === 'out')
  if (!out) return 'none'
  if (/打分|评价/.test(out.text) && /1\s*[-–—~到至]\s*5/.test(out.text)) return 'rating'
  if (/回复\s*1/.test(out.text) && /收到/.test(out.text)) return 'ack'
  return 'other'
}

function toCaseAttachments(input: { attachments: ReportInput['attachments'] }) {
  return input.attachments.slice(0, 9).map((a) => ({ kind: a.kind, ref: a.path, name: a.name }))
}

function summaryOf(c: ServiceCaseSummary): CaseSummary {
  const title = c.description.length > 16 ? `${c.description.slice(0, 16)}…` : c.description
  return { caseNumber: c.number, title, statusText: c.statusLabel }
}

const TIME_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/**
 * The chat flows over the real services: a thin adapter from chat to the case service, the
 * knowledge base and events. No domain rules here: the case service routes, deduplicates and
 * notifies; these functions only find the person behind a contact and phrase the result.
 */
export function createLiveFlows(services: LiveServices, deps: LiveFlowDeps): ChatFlows {
  const { cases, registry } = services
  const person = (contactId: string, name = '', home: { communityId?: string; gridId?: string } = {}) =>
    personOfContact(registry, { contactId, name }, home)

  return {
    async reportProblem(input: ReportInput): Promise<ReportResult> {
      const grid = input.binding?.scope === 'grid' ? input.binding.gridId : undefined
      const home = { communityId: input.binding?.communityId, gridId: grid }
      const reporter = await person(input.contactId, input.contactName, home)
      const opened = await cases.open({
        channel: input.channel,
        sourceKey: `chat:${input.messageId}`,
        text: input.text,
        reporter: { personId: reporter.id, contactId: input.contactId, roomId: input.room?.id },
        // The group's grid wins; otherwise the resident's household (the case service looks it up).
        location: grid ? { gridId: grid } : reporter.householdId ? { householdId: reporter.householdId } : {},
        attachments: toCaseAttachments(input),
      })
      const c = opened.case
      return {
        caseNumber: c.number,
        handlerName: await handlerNameOf(registry, c),
        dueText: dueTextOf(c.due.resolveBy, deps.clock.now()),
        duplicateOf: opened.duplicateOf,
        urgent: c.urgency === 'urgent',
      }
    },

    async addToCase(input: FollowUpInput): Promise<void> {
      const p = await person(input.contactId)
      const note = input.text || (input.attachments.length > 0 ? '居民补充了照片' : '居民补充了说明')
      await cases.comment(
        input.caseNumber,
        { personId: p.id, roles: ['resident'] },
        note,
        toCaseAttachments(input),
      )
    },

    async askPolicy(question, context): Promise<PolicyAnswer> {
      const p = await person(context.contactId)
      const a = await services.kb.ask(question, { askerId: p.id })
      return {
        answer: a.answer,
        abstained: a.abstained,
        citations: a.citations.map((c) => ({ docId: c.docId, title: c.title, url: c.url })),
        caseNumber: a.caseNumber,
      }
    },

    async myCases(contactId): Promise<CaseSummary[]> {
      const p = await person(contactId)
      const page = await cases.listForReporter({ personId: p.id, contactId }, { limit: 5 })
      return page.items.map(summaryOf)
    },

    async rate(contactId, digit): Promise<RateResult> {
      // A digit is a rating only right after the bot asked for one.
      if ((await lastAskOf(deps.conversations, contactId)) !== 'rating') return { rated: false }
      const p = await person(contactId)
      const page = await cases.listForReporter({ personId: p.id, contactId }, { limit: 20 })
      const waiting = page.items
        .filter((c) => c.status === 'resolved' || c.status === 'closed')
        .sort((a, b) => (b.resolvedAt?.getTime() ?? 0) - (a.resolvedAt?.getTime() ?? 0))
      for (const c of waiting) {
        try {
          await cases.rate(c.number, { personId: p.id }, digit)
          return { rated: true, caseNumber: c.number }
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err // already rated: try the next one
        }
      }
      return { rated: false }
    },

    async upcomingEvents(contactId, communityId): Promise<EventSummary[]> {
      const p = await person(contactId, '', { communityId })
      const events = await services.events.listForPerson(p.id, { limit: 5 })
      return events.map((e) => ({
        title: `${e.title}（${e.code}）`,
        timeText: TIME_FMT.format(e.startsAt),
        place: e.place,
      }))
    },
  }
}
