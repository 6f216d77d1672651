import { CaseModel } from '../models/case.model.js'
import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Looks no further back than this for resolved cases, so an old backlog is never messaged. */
const LOOKBACK_MS = 14 * 24 * 3600_000

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
    const due = await CaseModel.find({
      status: 'resolved',
      rating: { $exists: false },
      resolvedAt: {
        $lte: new Date(now.getTime() - delayMs),
        $gte: new Date(now.getTime() - delayMs - LOOKBACK_MS),
      },
    })
      .select('number reporterId reporter')
      .lean()
    for (const c of due) {
      const to = c.reporterId
        ? { type: 'person' as const, id: String(c.reporterId) }
        : c.reporter?.contactId
          ? { type: 'contact' as const, id: c.reporter.contactId }
          : undefined
      if (!to) {
        ctx.count('noReporter')
        continue
      }
      const key = `case:${c._id}:follow-up`
      await ctx.once(key, () =>
        deps.outbox.enqueue({
          key,
          to,
          text: followUpText(c.number),
          kind: 'follow_up',
          refs: { caseId: String(c._id) },
        }),
      )
    }
    if (deps.cases?.closeStale)
      ctx.count('closed', await deps.cases.closeStale(new Date(now.getTime() - delayMs)))
  })
}
