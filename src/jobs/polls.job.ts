import type { JobDeps } from './deps.js'
import { runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Every 5 minutes: closes polls whose deadline has passed and announces results where visible. */
export function pollDeadlinesJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('poll-deadlines', runnerOptions(deps), now, async (ctx) => {
    if (!deps.polls) return ctx.count('notWired')
    ctx.count('closed', await deps.polls.closeDue(now))
  })
}
