import {
  type Follower,
  followersOfPending,
  listAckFollowUpNotices,
} from '../services/notices/notice.ack-follow-ups.js'
import { createNoticeService, type NoticeService } from '../services/notices/notice.service.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** The notice service as a job sees it: the clock stands at the job's `now`. */
export function noticeServiceFor(deps: JobDeps, now: Date): NoticeService {
  const { timezone, notices } = deps.config
  return createNoticeService({
    clock: { now: () => now },
    outbox: deps.outbox,
    settings: {
      timezone,
      confirmAboveRooms: notices.confirmAboveRooms,
      confirmAbovePersons: notices.confirmAbovePersons,
    },
  })
}

/** Every minute: sends scheduled notices whose time has come, and finishes sends cut short by a crash. */
export function scheduledNoticesJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('scheduled-notices', runnerOptions(deps), now, async (ctx) => {
    const notices = noticeServiceFor(deps, now)
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
    const due = await listAckFollowUpNotices(cutoff, oldest)
    const notices = noticeServiceFor(deps, now)
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
