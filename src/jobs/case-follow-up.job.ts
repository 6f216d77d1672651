import { listFollowUpDue } from '../services/cases/case.jobs-queries.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Looks no further back than this for resolved cases, so an old backlog is never messaged. */
const LOOKBACK_MS = 14 * 24 * 3600_000
/** How long the 回访 question waits for the resident's rating. */
const RATING_WINDOW_MS = 7 * 24 * 3600_000

function followUpText(number: string): string {
  return `您好！您反映的问题（工单 ${number}）已经处理完毕。请问您对处理结果满意吗？回复 1-5 分（5 分最满意），也欢迎说说您的意见。谢谢您的支持！`
}

/**
 * 回访: a resolved case without a rating gets one polite follow-up to its reporter
 * `cases.followUpDelayHours` after resolution. Cases still unrated one more delay later are handed to
 * the case service's closeStale (when wired), so the reporter always has the full window to answer.
 */
export function caseFollowUpJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('case-follow-up', runnerOptions(deps), now, async (ctx) => {
    const delayMs = deps.config.cases.followUpDelayHours * 3600_000
    const due = await listFollowUpDue(
      new Date(now.getTime() - delayMs - LOOKBACK_MS),
      new Date(now.getTime() - delayMs),
    )
    for (const c of due) {
      const { to } = c
      if (!to) {
        ctx.count('noReporter')
        continue
      }
      const key = c.round ? `case:${c.id}:follow-up:${c.round}` : `case:${c.id}:follow-up`
      await sendOnce(deps, ctx, {
        key,
        to,
        text: followUpText(c.number),
        kind: 'follow_up',
        refs: { caseId: c.id },
        expects: { kind: 'rating', caseNumber: c.number, ttlMs: RATING_WINDOW_MS },
      })
    }
    if (deps.cases?.closeStale)
      ctx.count('closed', await deps.cases.closeStale(new Date(now.getTime() - delayMs)))
  })
}
