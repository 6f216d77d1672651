import cron, { type ScheduledTask } from 'node-cron'
import type { Clock } from '../lib/clock.js'
import { systemClock } from '../lib/clock.js'
import { caseFollowUpJob } from './case-follow-up.job.js'
import { caseIndexesJob } from './case-indexes.job.js'
import type { Job, JobDeps } from './deps.js'
import { morningDigestsJob } from './digests.job.js'
import { eventRemindersJob } from './event-reminders.job.js'
import { noticeAckFollowUpJob, scheduledNoticesJob } from './notices.job.js'
import { pointsStatementsJob } from './points-statements.job.js'
import { pollDeadlinesJob } from './polls.job.js'
import { retentionJob } from './retention.job.js'
import { shopExpiryJob } from './shop-expiry.job.js'
import { slaWatchJob, slaWatchUrgentJob } from './sla-watch.job.js'

export interface ScheduledJob {
  name: string
  /** A cron expression read in the configured time zone. */
  cron: string
  job: Job
}

/** Every scheduled job and when it runs. */
export function jobTable(deps: JobDeps): ScheduledJob[] {
  const hour = deps.config.digests.hour
  return [
    { name: 'event-reminders', cron: '*/5 * * * *', job: eventRemindersJob },
    { name: 'scheduled-notices', cron: '* * * * *', job: scheduledNoticesJob },
    { name: 'notice-ack-follow-up', cron: '*/15 * * * *', job: noticeAckFollowUpJob },
    { name: 'poll-deadlines', cron: '*/5 * * * *', job: pollDeadlinesJob },
    { name: 'sla-watch-urgent', cron: '* * * * *', job: slaWatchUrgentJob },
    { name: 'sla-watch', cron: '*/10 * * * *', job: slaWatchJob },
    // several ticks in the morning: a process started late still sends today's digests (once each)
    { name: 'morning-digests', cron: `*/15 ${hour}-${Math.min(hour + 3, 23)} * * *`, job: morningDigestsJob },
    { name: 'case-follow-up', cron: '*/30 * * * *', job: caseFollowUpJob },
    { name: 'retention', cron: '30 3 * * *', job: retentionJob },
    { name: 'case-indexes', cron: '17 * * * *', job: caseIndexesJob },
    { name: 'shop-expiry', cron: '17 * * * *', job: shopExpiryJob },
    // several ticks on the 1st: a process started late still sends last month's statements (once each)
    { name: 'points-statements', cron: '*/30 9-12 1 * *', job: pointsStatementsJob },
  ]
}

/**
 * Wires node-cron for every job in the configured time zone. Each tick calls the job with the clock's
 * time; the job's lease in the database keeps two processes from running it at once. A process
 * started with `jobs.enabled=false` schedules nothing.
 */
export function startJobs(deps: JobDeps & { clock?: Clock }): { stop(): Promise<void>; names: string[] } {
  if (!deps.config.jobs.enabled) return { stop: async () => undefined, names: [] }
  const clock = deps.clock ?? systemClock
  const tasks: ScheduledTask[] = []
  for (const entry of jobTable(deps)) {
    const task = cron.schedule(
      entry.cron,
      async () => {
        try {
          await entry.job(deps, clock.now())
        } catch (err) {
          deps.logger?.error({ job: entry.name, err }, `job ${entry.name} could not run`)
        }
      },
      { timezone: deps.config.timezone, name: `linli:${entry.name}`, noOverlap: true },
    )
    tasks.push(task)
  }
  // The case indexes (open workload, 我的工单) are repaired once at start too, so a database from
  // before they existed, or one a crash left behind, is right before the first hourly run.
  void caseIndexesJob(deps, clock.now()).catch((err: unknown) =>
    deps.logger?.error({ job: 'case-indexes', err }, 'job case-indexes could not run at start'),
  )
  return {
    names: tasks.map((t) => t.name ?? ''),
    stop: async () => {
      await Promise.all(tasks.map((t) => t.destroy()))
    },
  }
}
