import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Every hour: shop redemptions not picked up in time expire; their points come back (a reversal entry). */
export function shopExpiryJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('shop-expiry', runnerOptions(deps), now, async (ctx) => {
    if (!deps.shop) return ctx.count('notWired')
    ctx.count('expired', await deps.shop.expireDue())
  })
}
