import { maskText } from '../lib/mask.js'
import type { CaseUrgency } from '../models/case.model.js'
import { listOpenCasesForSla, type SlaCase } from '../services/cases/case.jobs-queries.js'
import { robotsFeeding } from '../services/channels/robot-feeds.js'
import {
  departmentContactIds,
  gridPrimaryWorkerId,
  staffIdsOfCommunity,
} from '../services/registry/registry.staff-queries.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobContext, type JobRunResult, runJob } from './runner.js'

type DeadlineKind = 'respond' | 'resolve'
const LABEL: Record<DeadlineKind, { limit: string; verb: string }> = {
  respond: { limit: '响应', verb: '响应' },
  resolve: { limit: '办结', verb: '办结' },
}
export const ESCALATION_TIERS = ['grid_worker', 'community_staff', 'street_staff'] as const
export type EscalationTier = (typeof ESCALATION_TIERS)[number]

function duration(ms: number): string {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60_000))
  if (minutes < 60) return `${minutes}分钟`
  const hours = Math.round(minutes / 6) / 10
  return hours < 48 ? `${hours}小时` : `${Math.round(hours / 24)}天`
}

const brief = (c: SlaCase) => maskText(c.description.replace(/\s+/g, ' ').slice(0, 30))

/** The deadlines of a case that still matter: response until someone responded, resolution until resolved. */
function openDeadlines(c: SlaCase): Array<{ kind: DeadlineKind; at: Date }> {
  const out: Array<{ kind: DeadlineKind; at: Date }> = []
  const waitingForResponse = !c.respondedAt && ['received', 'posted', 'assigned'].includes(c.status)
  if (c.deadlines?.respondBy && waitingForResponse) out.push({ kind: 'respond', at: c.deadlines.respondBy })
  if (c.deadlines?.resolveBy) out.push({ kind: 'resolve', at: c.deadlines.resolveBy })
  return out
}

/** Who escalations go to, in order: the grid's worker, the community's staff, the street's staff. */
export async function escalationChain(
  c: SlaCase,
): Promise<Array<{ tier: EscalationTier; personIds: string[] }>> {
  const communityId = c.location?.communityId
  const primary = c.location?.gridId ? await gridPrimaryWorkerId(c.location.gridId) : undefined
  const staffOf = async (role: 'community_staff' | 'street_staff') =>
    communityId ? staffIdsOfCommunity(role, communityId) : []
  const assignee = c.assigneeId ? String(c.assigneeId) : undefined
  const tiers: Array<{ tier: EscalationTier; personIds: string[] }> = [
    { tier: 'grid_worker', personIds: primary ? [primary] : [] },
    { tier: 'community_staff', personIds: await staffOf('community_staff') },
    { tier: 'street_staff', personIds: await staffOf('street_staff') },
  ]
  // The assignee's own tier is not an escalation: start above it.
  const own = tiers.findIndex((t) => assignee && t.personIds.includes(assignee))
  return tiers
    .slice(own + 1)
    .map((t) => ({ ...t, personIds: t.personIds.filter((p) => p !== assignee) }))
    .filter((t) => t.personIds.length > 0)
}

async function handlersOf(c: SlaCase): Promise<string[]> {
  if (c.assigneeId) return [String(c.assigneeId)]
  if (!c.departmentId) return []
  return departmentContactIds([c.departmentId])
}

async function warn(deps: JobDeps, ctx: JobContext, c: SlaCase, kind: DeadlineKind, at: Date): Promise<void> {
  const text = `【时限提醒】工单 ${c.number}（${brief(c)}）距${LABEL[kind].limit}时限还有${duration(at.getTime() - ctx.now.getTime())}，请尽快处理。`
  for (const personId of await handlersOf(c)) {
    const key = `sla:${c._id}:${kind}:${at.getTime()}:warn:${personId}`
    await sendOnce(deps, ctx, {
      key,
      to: { type: 'person', id: personId },
      text,
      kind: 'warning',
      refs: { caseId: String(c._id) },
    })
  }
}

async function escalate(
  deps: JobDeps,
  ctx: JobContext,
  c: SlaCase,
  kind: DeadlineKind,
  at: Date,
): Promise<void> {
  const stepMs =
    (c.urgency === 'urgent'
      ? deps.config.sla.urgentEscalationStepMinutes
      : deps.config.sla.escalationStepMinutes) * 60_000
  const overdueMs = ctx.now.getTime() - at.getTime()
  const chain = await escalationChain(c)
  const reached = chain.slice(0, Math.floor(overdueMs / stepMs) + 1)
  const text = `【超时督办】工单 ${c.number}（${brief(c)}）已超过${LABEL[kind].limit}时限${duration(overdueMs)}，仍未${LABEL[kind].verb}，请督促处理。`
  // A community staff group's robot feed sees each overdue case once per deadline.
  for (const robot of await robotsFeeding(deps.config, c.location?.communityId)) {
    await sendOnce(deps, ctx, {
      key: `sla:${c._id}:${kind}:${at.getTime()}:escalate:robot:${robot}`,
      to: { type: 'robot', id: robot },
      text,
      kind: 'escalation',
      purpose: 'alert',
      refs: { caseId: String(c._id) },
    })
  }
  for (const step of reached) {
    for (const personId of step.personIds) {
      const key = `sla:${c._id}:${kind}:${at.getTime()}:escalate:${step.tier}:${personId}`
      await sendOnce(deps, ctx, {
        key,
        to: { type: 'person', id: personId },
        text,
        kind: 'escalation',
        refs: { caseId: String(c._id) },
      })
    }
    const recordKey = `sla:${c._id}:${kind}:${at.getTime()}:escalated:${step.tier}`
    if (deps.cases?.recordEscalation) {
      await ctx.once(
        recordKey,
        () =>
          deps.cases?.recordEscalation?.({
            caseId: String(c._id),
            tier: step.tier,
            toPersonIds: step.personIds,
            now: ctx.now,
          }) ?? Promise.resolve(),
      )
    }
  }
}

/** Reminds the posted departments once, halfway through the claim window (社区下单、部门抢单). */
async function remindUnclaimed(deps: JobDeps, ctx: JobContext, c: SlaCase): Promise<void> {
  if (c.status !== 'posted' || !c.claimDeadline || ctx.now >= c.claimDeadline) return
  const halfway = c.claimDeadline.getTime() - (deps.config.cases.claimWindowMinutes * 60_000) / 2
  if (ctx.now.getTime() < halfway) return
  const contacts = await departmentContactIds(c.postedDepartmentIds ?? [])
  const text = `【待抢单】工单 ${c.number}（${brief(c)}）还没有部门认领，${duration(c.claimDeadline.getTime() - ctx.now.getTime())}后将派给默认部门，请及时抢单。`
  for (const personId of contacts) {
    const key = `sla:${c._id}:unclaimed:${c.claimDeadline.getTime()}:${personId}`
    await sendOnce(deps, ctx, {
      key,
      to: { type: 'person', id: personId },
      text,
      kind: 'warning',
      refs: { caseId: String(c._id) },
    })
  }
}

/** Checks one case: a warning before each open deadline, escalation after it, unclaimed reminders. */
async function watchCase(deps: JobDeps, ctx: JobContext, c: SlaCase): Promise<void> {
  const fraction = deps.config.sla.warnAtFraction
  for (const d of openDeadlines(c)) {
    const warnAt = c.createdAt.getTime() + fraction * (d.at.getTime() - c.createdAt.getTime())
    if (ctx.now >= d.at) await escalate(deps, ctx, c, d.kind, d.at)
    else if (ctx.now.getTime() >= warnAt) await warn(deps, ctx, c, d.kind, d.at)
  }
  await remindUnclaimed(deps, ctx, c)
}

function slaWatch(name: string, urgency: CaseUrgency) {
  return (deps: JobDeps, now: Date): Promise<JobRunResult> =>
    runJob(name, runnerOptions(deps), now, async (ctx) => {
      const cases = await listOpenCasesForSla(urgency)
      ctx.count('cases', cases.length)
      for (const c of cases) await watchCase(deps, ctx, c)
      if (deps.cases?.dispatchUnclaimed) ctx.count('dispatched', await deps.cases.dispatchUnclaimed(now))
    })
}

/**
 * SLA watch: warns the assignee when `sla.warnAtFraction` of a response/resolution window has passed,
 * escalates after the deadline one tier per `sla.escalationStepMinutes` (grid worker → community
 * staff → street staff), reminds departments of unclaimed posted cases and hands the expired ones to
 * the case service. Each message once per deadline. Urgent cases: every minute; others: every 10.
 */
export const slaWatchUrgentJob = slaWatch('sla-watch-urgent', 'urgent')
export const slaWatchJob = slaWatch('sla-watch', 'normal')
