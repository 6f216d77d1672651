import type { AttachmentInput } from '../services/conversations/conversation.service.js'
import type { RoomBinding } from '../services/rooms/room-binding.service.js'

/**
 * The domain services the chat flows call. They are built by other parts of Linli (cases, knowledge
 * base, events); each is optional so the bot runs before they are wired, answering politely that the
 * service is not available yet.
 */

export interface ReportInput {
  /** The inbound message id: the case service uses it to open one case however often it is replayed. */
  messageId: string
  channel: 'group' | 'direct'
  contactId: string
  contactName: string
  /** The resident's description, phone and ID numbers masked. */
  text: string
  attachments: AttachmentInput[]
  room?: { id: string; topic: string }
  binding?: RoomBinding
  receivedAt: Date
}

export interface ReportResult {
  caseNumber: string
  /** Who handles it, e.g. "网格员 王芳". */
  handlerName: string
  /** When by, e.g. "今天 18:00 前". */
  dueText: string
  /** Set when this joined an open case about the same problem. */
  duplicateOf?: string
  urgent?: boolean
}

export interface FollowUpInput {
  caseNumber: string
  messageId: string
  contactId: string
  text: string
  attachments: AttachmentInput[]
}

export interface PolicyAnswer {
  answer: string
  abstained: boolean
  citations: Array<{ docId: string; title: string; url?: string }>
  /** When abstaining: the case a staff member answers the question in. */
  caseNumber?: string
}

export interface CaseSummary {
  caseNumber: string
  title: string
  statusText: string
}

export interface RateResult {
  /** False when the contact has no resolved case waiting for a rating. */
  rated: boolean
  caseNumber?: string
}

export interface EventSummary {
  title: string
  timeText: string
  place: string
}

export type Intent = 'report' | 'policy' | 'other'

export interface ChatFlows {
  reportProblem?(input: ReportInput): Promise<ReportResult>
  /** Adds a follow-up text or photo to the case just reported. */
  addToCase?(input: FollowUpInput): Promise<void>
  askPolicy?(question: string, context: { contactId: string; communityId?: string }): Promise<PolicyAnswer>
  myCases?(contactId: string): Promise<CaseSummary[]>
  /** Rates the contact's case that waits for a rating; `rated: false` when there is none. */
  rate?(contactId: string, digit: number): Promise<RateResult>
  upcomingEvents?(contactId: string, communityId?: string): Promise<EventSummary[]>
  /** Report or question? Triage provides it; without it, simple rules decide. */
  classify?(text: string): Promise<Intent>
}
