import {
  type Follower,
  followersOfPending,
  listAckFollowUpNotices,
} from '../services/notices/notice.ack-follow-ups.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** Every minute: sends scheduled notices whose time has come, and finishes sends cut short by a crash. */
export function scheduledNoticesJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('scheduled-notices', runnerOptions(deps), now, async (ctx) => {
    const notices = deps.notices
    if (!notices) return ctx.count('notWired')
    const count = await notices.sendDue(now, async (_id, deliver) => ctx.count('enqueued', await deliver()))
    ctx.count('notices', count)
  })
}

/**
 * Every 15 minutes: for notices that asked for 收到, vulnerable residents (独居老人 …) who have not
 * replied after `notices.ackFollowUpHours` are named to their linked party member or grid worker,
 * once per notice and follower, for a visit or a call.
 */
export function noticeAckFollowUpJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('notice-ack-follow-up', runnerOptions(deps), now, async (ctx) => {
    const { ackFollowUpHours, vulnerableTags } = deps.config.notices
    const cutoff = new Date(now.getTime() - ackFollowUpHours * 3600_000)
    const oldest = new Date(cutoff.getTime() - 3 * 24 * 3600_000)
    const notices = deps.notices
    if (!notices) return ctx.count('notWired')
    const due = await listAckFollowUpNotices(cutoff, oldest)
    for (const n of due) {
      const report = await notices.acks(n.id)
      const pending = report.pending.filter((p) => p.tags.some((t) => vulnerableTags.includes(t)))
      ctx.count('vulnerablePending', pending.length)
      if (pending.length === 0) continue
      for (const f of (await followersOfPending(pending)).values()) {
        const key = `notice:${n.id}:ack-follow-up:${f.personId}`
        await sendOnce(deps, ctx, {
          key,
          to: { type: 'person', id: f.personId },
          text: followUpText(n.title, f),
          kind: 'follow_up',
          refs: { noticeId: n.id },
        })
      }
    }
  })
}

function followUpText(title: string, f: Follower): string {
  const lines = f.residents.map((r) => `· ${r.name}（${r.tags.join('、')}）${r.address}`)
  return `【请上门确认】通知“${title}”发出后，以下居民还没有回复收到，请您电话或上门确认他们已知晓、是否需要帮助：\n${lines.join('\n')}`
}
