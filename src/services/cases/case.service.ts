import type { CaseDoc } from '../../models/case.model.js'
import type { CaseActor } from './case.access.js'
import {
  acceptCase,
  claimCase,
  closeStale,
  commentCase,
  dispatchUnclaimed,
  escalateCase,
  mergeCases,
  progressCase,
  rateCase,
  recordEscalationOnCase,
  rejectCase,
  reopenCase,
  resolveCase,
  returnCase,
  type TransferInput,
  transferCase,
  type WhoInput,
} from './case.actions.js'
import { type CaseServiceDeps, createCaseContext } from './case.context.js'
import { openCase } from './case.intake.js'
import {
  type CommunityFilter,
  getCase,
  listAtIntakeDesk,
  listForCommunity,
  listForGrid,
  listForReporter,
  listForWorker,
  listMarketplace,
  type Page,
  type PageInput,
} from './case.queries.js'
import { holdReturned, type RelocateInput, relocateCase, routeCase } from './case.routing.js'
import {
  type CallbackInput,
  closeCase,
  type PostInput,
  postCase,
  recordCallback,
  withNames,
} from './case.staff.js'
import { type CaseSummary, type CaseView, toCaseView } from './case.views.js'
import {
  type CaseForNeed,
  type CaseNeedRef,
  caseForNeed,
  recordVolunteerNeed,
  recordVolunteerOutcome,
} from './case.volunteer.js'

export type { CaseActor } from './case.access.js'
export { SYSTEM_ACTOR } from './case.access.js'
export type {
  CaseHooks,
  CasePoints,
  CaseResponsibility,
  CaseServiceDeps,
  CaseTriage,
} from './case.context.js'
export { OpenCaseInput } from './case.intake.js'
export { RelocateInput } from './case.routing.js'
export { CallbackInput, PostInput } from './case.staff.js'
export type { CaseSummary, CaseView } from './case.views.js'

/** What `open` returns: the case, whether this call created it, and the number it duplicated. */
export interface OpenResult {
  case: CaseView
  created: boolean
  /** The report joined this open case as a subscriber instead of opening a new one. */
  duplicateOf?: string
}

/** The case service: the one intake for every channel, routing, lifecycle, rating and queries. */
export interface CaseService {
  /** The ONLY way a case is created. Idempotent on `sourceKey`; joins an open duplicate instead of opening one. */
  open(input: unknown): Promise<OpenResult>
  /** Routes a case still `received` (after a failed routing or a return); harmless otherwise. */
  route(number: string): Promise<CaseView>
  get(number: string): Promise<CaseView>
  accept(number: string, actor: CaseActor): Promise<CaseView>
  progress(number: string, actor: CaseActor, note: string, attachments?: unknown): Promise<CaseView>
  resolve(number: string, actor: CaseActor, note: string, attachments?: unknown): Promise<CaseView>
  transfer(number: string, actor: CaseActor, input: TransferInput): Promise<CaseView>
  returnCase(number: string, actor: CaseActor, reason: string): Promise<CaseView>
  comment(number: string, actor: CaseActor, note: string, attachments?: unknown): Promise<CaseView>
  reject(number: string, actor: CaseActor, reason: string): Promise<CaseView>
  escalate(number: string, actor: CaseActor, note: string): Promise<CaseView>
  /** The scheduler's SLA escalation, written on the timeline without messages of its own. */
  recordEscalation(input: {
    caseId: string
    tier: string
    toPersonIds: string[]
    now: Date
  }): Promise<CaseView>
  claim(number: string, departmentId: string, actor: CaseActor): Promise<CaseView>
  merge(sourceNumber: string, intoNumber: string, actor: CaseActor): Promise<CaseView>
  /** 社区下单: community staff offer the case to departments, which may claim it within the window. */
  post(number: string, actor: CaseActor, input: PostInput): Promise<CaseView>
  /** Community staff close a resolved case. */
  close(number: string, actor: CaseActor, reason: string): Promise<CaseView>
  /** Community staff record a call-back (电话回访) of a case rated low or not at all. */
  recordCallback(number: string, actor: CaseActor, input: CallbackInput): Promise<CaseView>
  rate(number: string, who: WhoInput, score: unknown, comment?: string): Promise<CaseView>
  /** 需要志愿者: checks the actor may flag the case; what a volunteer need is built from. */
  caseForNeed(number: string, actor: CaseActor): Promise<CaseForNeed>
  /** Records the need posted from the case (data and timeline); a repeat writes nothing. */
  recordVolunteerNeed(number: string, actor: CaseActor, need: CaseNeedRef): Promise<CaseView>
  /** The need's outcome on the case's timeline. */
  recordVolunteerOutcome(number: string, code: string, note: string): Promise<CaseView>
  reopen(number: string, who: WhoInput | CaseActor, reason: string): Promise<CaseView>
  /** Scheduler: posted cases past their claim window go to the default department. Returns the count. */
  dispatchUnclaimed(now: Date): Promise<number>
  /** Scheduler: resolved cases not rated within cases.followUpDelayHours are closed. Returns the count. */
  closeStale(now: Date): Promise<number>
  listForReporter(
    who: { personId?: string; contactId?: string },
    page?: PageInput,
  ): Promise<Page<CaseSummary>>
  listForWorker(workerId: string, opts?: { status?: string } & PageInput): Promise<Page<CaseSummary>>
  listForGrid(gridId: string, opts?: { status?: string } & PageInput): Promise<Page<CaseSummary>>
  listMarketplace(departmentId: string, page?: PageInput): Promise<Page<CaseSummary>>
  listForCommunity(
    communityId: string,
    filter?: CommunityFilter,
    page?: PageInput,
  ): Promise<Page<CaseSummary> & { total?: number }>
  /**
   * Says where an open case is (community, grid, building…) and routes it again by the usual order;
   * the new owner is told and the timeline records the move. For cases held at the intake desk, and
   * for the chat layer once a stranger named their community and building.
   */
  relocate(number: string, actor: CaseActor, place: RelocateInput): Promise<CaseView>
  /**
   * Open cases held at a queue (the intake desk, or a community's dispatch queue after a return) or,
   * against the rules, with no owner at all; limited to the given communities when any are given.
   */
  listAtIntakeDesk(scope?: { communityIds?: string[] }, page?: PageInput): Promise<Page<CaseSummary>>
}

/** Builds the case service over its dependencies (clock, outbox, responsibility, optional triage/points). */
export function createCaseService(deps: CaseServiceDeps): CaseService {
  const ctx = createCaseContext(deps)
  const view = (c: CaseDoc) => toCaseView(c, ctx.now(), deps.responsibility.dueState)
  return {
    async open(input) {
      const o = await openCase(ctx, input)
      return { case: view(o.doc), created: o.created, duplicateOf: o.duplicateOf }
    },
    route: async (n) => view(await routeCase(ctx, n)),
    get: async (n) => withNames(await getCase(ctx, n)),
    accept: async (n, a) => view(await acceptCase(ctx, n, a)),
    progress: async (n, a, note, att) => view(await progressCase(ctx, n, a, note, att)),
    resolve: async (n, a, note, att) => view(await resolveCase(ctx, n, a, note, att)),
    transfer: async (n, a, t) => view(await transferCase(ctx, n, a, t)),
    returnCase: async (n, a, r) => view(await holdReturned(ctx, await returnCase(ctx, n, a, r))),
    comment: async (n, a, note, att) => view(await commentCase(ctx, n, a, note, att)),
    reject: async (n, a, r) => view(await rejectCase(ctx, n, a, r)),
    escalate: async (n, a, note) => view(await escalateCase(ctx, n, a, note)),
    recordEscalation: async (input) => view(await recordEscalationOnCase(ctx, input)),
    claim: async (n, d, a) => view(await claimCase(ctx, n, d, a)),
    merge: async (s, t, a) => view(await mergeCases(ctx, s, t, a)),
    post: async (n, a, p) => view(await postCase(ctx, n, a, p)),
    close: async (n, a, r) => view(await closeCase(ctx, n, a, r)),
    recordCallback: async (n, a, b) => view(await recordCallback(ctx, n, a, b)),
    rate: async (n, w, s, c) => view(await rateCase(ctx, n, w, s, c)),
    caseForNeed: (n, a) => caseForNeed(n, a),
    recordVolunteerNeed: async (n, a, need) => view(await recordVolunteerNeed(ctx, n, a, need)),
    recordVolunteerOutcome: async (n, code, note) => view(await recordVolunteerOutcome(ctx, n, code, note)),
    reopen: async (n, w, r) => view(await reopenCase(ctx, n, w, r)),
    dispatchUnclaimed: (now) => dispatchUnclaimed(ctx, now),
    closeStale: (now) => closeStale(ctx, now),
    listForReporter: (w, p) => listForReporter(ctx, w, p),
    listForWorker: (id, o) => listForWorker(ctx, id, o),
    listForGrid: (id, o) => listForGrid(ctx, id, o),
    listMarketplace: (id, p) => listMarketplace(ctx, id, p),
    listForCommunity: (id, f, p) => listForCommunity(ctx, id, f, p),
    relocate: async (n, a, place) => view(await relocateCase(ctx, n, a, place)),
    listAtIntakeDesk: (scope, p) => listAtIntakeDesk(ctx, scope, p),
  }
}
