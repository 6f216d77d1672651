import { planEventReminders } from '../services/events/event.reminders.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Every 5 minutes: reminders before events to those signed up (direct chat) and the groups in scope. */
export function eventRemindersJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('event-reminders', runnerOptions(deps), now, async (ctx) => {
    const messages = await planEventReminders(now, deps.config.timezone)
    ctx.count('planned', messages.length)
    for (const m of messages) {
      await sendOnce(deps, ctx, m)
    }
  })
}
