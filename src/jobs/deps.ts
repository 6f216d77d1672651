import type { Config } from '../lib/config.js'
import type { NoticeService } from '../services/notices/notice.service.js'
import type { Outbox, OutboxInput } from '../services/outbox/outbox.service.js'
import type { PointsService } from '../services/points/points.service.js'
import type { PollService } from '../services/polls/poll.service.js'
import type { ShopService } from '../services/shop/shop.service.js'
import type { StatsService } from '../services/stats/stats.service.js'
import type { JobContext, JobRunResult, RunnerDeps } from './runner.js'

/**
 * The parts of the case service the jobs call when it is wired in (structural, so jobs do not depend
 * on its construction): `createCaseService(...)` satisfies it.
 */
export interface CaseHooks {
  /** Hands posted cases whose claim window passed to the default department; returns the count. */
  dispatchUnclaimed?(now: Date): Promise<number>
  /** Closes resolved cases left unrated; called with a time shifted back so the 回访 gets its window. */
  closeStale?(now: Date): Promise<number>
  /** Records an SLA escalation on the case (timeline) without sending messages of its own. */
  recordEscalation?(input: {
    caseId: string
    tier: string
    toPersonIds: string[]
    now: Date
  }): Promise<unknown>
}

/** What every job gets: configuration, the outbox, and optional services of other parts. */
export interface JobDeps extends RunnerDeps {
  config: Config
  outbox: Outbox
  cases?: CaseHooks
  stats?: Pick<StatsService, 'dailyFigures'>
  /** Scheduled sends and the acknowledgement report (the notices the jobs act on). */
  notices?: Pick<NoticeService, 'sendDue' | 'acks'>
  /** Polls past their deadline are closed (and their results announced). */
  polls?: Pick<PollService, 'closeDue'>
  /** The points shop: open redemptions past their pickup time are expired and refunded. */
  shop?: Pick<ShopService, 'expireDue'>
  /** Monthly points statements (积分对账单). */
  points?: Pick<PointsService, 'statement' | 'monthOf' | 'peopleWithEntries'>
}

/** A scheduled job: a plain async function of its dependencies and the time it runs for. */
export type Job = (deps: JobDeps, now: Date) => Promise<JobRunResult>

/** The runner's options from the configuration (lease length). */
export function runnerOptions(deps: JobDeps): RunnerDeps {
  return {
    logger: deps.logger,
    leaseMs: deps.leaseMs ?? deps.config.jobs.leaseSeconds * 1000,
    onRun: deps.onRun,
  }
}

/**
 * Queues a job's message once across runs and processes: its outbox key is also the run's once-key,
 * so a message is never planned twice even after the outbox entry has been cleaned up.
 */
export async function sendOnce(deps: Pick<JobDeps, 'outbox'>, ctx: JobContext, message: OutboxInput) {
  return ctx.once(message.key, () => deps.outbox.enqueue(message))
}
