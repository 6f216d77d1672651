import type { Types } from 'mongoose'
import type { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import type { Config } from '../../lib/config.js'
import { describeIssues, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { withLock } from '../../lib/storage/index.js'
import { type CaseActorRole, type CaseDoc, CaseModel, type TimelineAction } from '../../models/case.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { staffKey } from '../../models/staff-keys.js'
import type { OutboxLane } from '../outbox/outbox.lanes.js'
import type { Outbox, OutboxInput } from '../outbox/outbox.service.js'
import type { Recipient } from './case.notify.js'
import { normaliseCaseNumber } from './case.number.js'
import type { CaseHandlers } from './case.routing.js'
import type { DueStateFn } from './case.views.js'
import { keyUpdate } from './case.workload.js'

/** What triage tells about a text (the triage service's result has at least these fields). */
export interface CaseTriageResult {
  category: string
  urgency: 'urgent' | 'normal'
  isRequest?: boolean
  location?: { building?: string | null; unit?: string | null; room?: string | null }
}
/** Triage as a function, so the case service does not depend on how triage is built. */
export type CaseTriage = (
  text: string,
  ctx: { gridId?: string; householdId?: string },
) => Promise<CaseTriageResult>

/** The responsibility service as the case service uses it (see src/services/responsibility). */
export interface CaseResponsibility {
  rule(category: string): { level: string }
  deadlines(category: string, urgency: 'urgent' | 'normal', from: Date): { respondBy: Date; resolveBy: Date }
  whoHandles(input: {
    category: string
    urgency: 'urgent' | 'normal'
    gridId?: string | Types.ObjectId
    householdId?: string | Types.ObjectId
    at?: Date
  }): Promise<CaseHandlers>
  dueState?: DueStateFn
}

/** The points ledger as the case service uses it (optional: cases work without points). */
export interface CasePoints {
  credit(input: {
    personId: string
    reason: 'report_verified' | 'rating_given'
    refKey: string
    refs?: { caseId?: string }
  }): Promise<unknown>
  reverse(refKey: string, note: string, options?: { byId?: string }): Promise<unknown>
}

/** Events for other features (points, statistics, digests); each is called after the change is stored. */
export interface CaseHooks {
  onVerified?(e: { caseId: string; number: string; reporterId?: string; at: Date }): Promise<void> | void
  onRated?(e: {
    caseId: string
    number: string
    personId?: string
    contactId?: string
    score: number
    byReporter: boolean
    at: Date
  }): Promise<void> | void
  onRejected?(e: { caseId: string; number: string; reporterId?: string; at: Date }): Promise<void> | void
}

export type CaseSettings = Config['cases']

export interface CaseServiceDeps {
  clock: Clock
  outbox: Outbox
  responsibility: CaseResponsibility
  triage?: CaseTriage
  logger?: Logger
  /** `cases.*` and `timezone` of the config. */
  config: Pick<Config, 'cases' | 'timezone'>
  points?: CasePoints
  hooks?: CaseHooks
  /** The people acting for a household (代办人): they follow its cases' updates as subscribers. */
  householdProxies?: (householdId: string) => Promise<string[]>
}

/** Internal: what the intake, action and query modules share. */
export interface CaseContext extends CaseServiceDeps {
  /**
   * Reads the case (by its number, or by the id of a case already in hand), runs `fn` under its lock,
   * writes the change, then runs its `after` effects.
   */
  mutate(which: string | CaseRef, fn: (c: CaseDoc) => Promise<CaseChange> | CaseChange): Promise<CaseDoc>
  /** Queues `text` to each recipient once per case and event (options: lane, the question asked). */
  notify(
    c: CaseDoc,
    event: string,
    recipients: Recipient[],
    text: string,
    kind: string,
    options?: NotifyOptions,
  ): Promise<number>
  now(): Date
}

/** How a case message is queued beyond its text: its outbox lane, the question it asks. */
export interface NotifyOptions {
  /** The outbox lane when the kind's default is not right (an urgent alert). */
  lane?: OutboxLane
  /** The question the message asks its recipients (a rating), recorded as they are queued. */
  expects?: OutboxInput['expects']
}

/** A case already read: its id and number. */
export interface CaseRef {
  _id: Types.ObjectId
  number: string
}

/** One timeline entry as the modules write it (`at` is stamped by `mutate`). */
export interface TimelineInput {
  actorId?: string
  actorRole: CaseActorRole
  action: TimelineAction
  note?: string
  attachments?: Array<{ kind: 'image' | 'voice' | 'file'; ref: string; name?: string }>
  from?: string
  to?: string
}

export interface CaseChange {
  set?: Record<string, unknown>
  unset?: string[]
  push?: Record<string, unknown[]>
  timeline: TimelineInput[]
  after?: (updated: CaseDoc) => Promise<void>
}

/** Parses input with zod; a bad value is a 400 with the field named, in Chinese. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const res = schema.safeParse(raw)
  if (!res.success)
    throw new InvalidInputError('提交的内容不完整或格式不正确', describeIssues(res.error.issues))
  return res.data
}

/** Finds a case by the number residents quote (tolerant of full-width digits and a missing dash). */
export async function findCase(number: string): Promise<CaseDoc> {
  const n = normaliseCaseNumber(String(number))
  if (!n) throw new NotFoundError(`工单 ${number}`)
  // One equality on the unique, indexed `number` (a GIN index on the embedded PostgreSQL backend).
  const c = await CaseModel.findOne({ number: n }).lean<CaseDoc>().exec()
  if (!c) throw new NotFoundError(`工单 ${number}`)
  return c
}

/** Builds the shared context: the lock-protected mutation and the outbox helper. */
export function createCaseContext(deps: CaseServiceDeps): CaseContext {
  const now = () => deps.clock.now()
  async function mutate(
    which: string | CaseRef,
    fn: (c: CaseDoc) => Promise<CaseChange> | CaseChange,
  ): Promise<CaseDoc> {
    const { _id, number } = typeof which === 'string' ? await findCase(which) : which
    return withLock(`case:${_id}`, async () => {
      const current = await CaseModel.findById(_id).lean<CaseDoc>().exec()
      if (!current) throw new NotFoundError(`工单 ${number}`)
      const change = await fn(current)
      const at = now()
      const entries = change.timeline.map((t) => ({ ...t, at }))
      // The open workload (`holderId`) and 无人负责 (`unowned`) change in the same write as the
      // status, the assignee and the queue.
      const keys = keyUpdate(current, change.set ?? {}, change.unset ?? [])
      const unset = [...(change.unset ?? []), ...keys.unset]
      const update: Record<string, unknown> = {
        $set: { ...change.set, ...keys.set, updatedAt: at },
        $push: { timeline: { $each: entries }, ...eachOf(change.push) },
      }
      if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']))
      await CaseModel.updateOne({ _id }, update).exec()
      const updated = (await CaseModel.findById(_id).lean<CaseDoc>().exec()) as CaseDoc
      await change.after?.(updated)
      return updated
    })
  }
  async function notify(
    c: CaseDoc,
    event: string,
    recipients: Recipient[],
    text: string,
    kind: string,
    options: NotifyOptions = {},
  ) {
    const msgs = recipients.map((to) => ({
      key: `case:${c._id}:${event}:${to.type}:${to.id}`,
      to,
      text,
      kind,
      refs: { caseId: String(c._id), caseNumber: c.number },
      ...options,
    }))
    return deps.outbox.enqueueMany(msgs)
  }
  return { ...deps, mutate, notify, now }
}

function eachOf(push: Record<string, unknown[]> | undefined): Record<string, { $each: unknown[] }> {
  return Object.fromEntries(Object.entries(push ?? {}).map(([k, v]) => [k, { $each: v }]))
}

/** On-duty community staff of a community, as outbox recipients. */
export async function communityStaffOf(communityId: unknown): Promise<Recipient[]> {
  if (communityId == null) return []
  // One equality on the maintained key (never erased people), not a scan of residents by role.
  const staff = await ResidentModel.find(
    { staffKeys: staffKey.community('community_staff', String(communityId)) },
    { _id: 1, staff: 1 },
  )
    .lean()
    .exec()
  return staff.filter((s) => s.staff?.onDuty !== false).map((s) => ({ type: 'person', id: String(s._id) }))
}

/** Outbox recipients for person ids. */
export function persons(ids: ReadonlyArray<unknown>): Recipient[] {
  return [...new Set(ids.map(String))].map((id) => ({ type: 'person', id }))
}
