import type { Config } from '../lib/config.js'
import type { Outbox } from '../services/outbox/outbox.service.js'
import type { RunnerDeps } from './runner.js'

/** The case service's optional hooks the SLA job calls when they exist (the case helper owns them). */
export interface CaseHooks {
  /** Hands posted cases whose claim window passed to the default department. */
  dispatchUnclaimed?(now: Date): Promise<unknown>
  /** Records an escalation on the case's timeline (escalationLevel, 'escalated' entry). */
  recordEscalation?(input: {
    caseId: string
    level: number
    toPersonIds: string[]
    now: Date
  }): Promise<unknown>
}

/** Yesterday's figures of one community, as the stats service computes them. */
export interface DailyFigures {
  created: number
  resolved: number
  overdue: number
  /** 0–1, undefined when nobody rated. */
  satisfaction?: number
}

export interface StatsHooks {
  dailyFigures?(input: { communityId: string; day: string }): Promise<DailyFigures>
}

/** What every job gets: configuration, the outbox, and optional services of other parts. */
export interface JobDeps extends RunnerDeps {
  config: Config
  outbox: Outbox
  cases?: CaseHooks
  stats?: StatsHooks
}

/** A scheduled job: a plain async function of its dependencies and the time it runs for. */
export type Job = (deps: JobDeps, now: Date) => Promise<import('./runner.js').JobRunResult>

/** The runner's options from the configuration (lease length). */
export function runnerOptions(deps: JobDeps): RunnerDeps {
  return { logger: deps.logger, leaseMs: deps.leaseMs ?? deps.config.jobs.leaseSeconds * 1000 }
}
