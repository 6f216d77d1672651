import { maskText } from '../lib/mask.js'
import { type DigestCase, listOpenCasesOfAssignee } from '../services/cases/case.jobs-queries.js'
import { robotsFeeding } from '../services/channels/robot-feeds.js'
import { localDay, localHour, shiftDay, startOfLocalDay } from '../services/events/event.time.js'
import {
  communityName,
  communityStaffByCommunity,
  gridWorkerIds,
} from '../services/registry/registry.staff-queries.js'
import { createStatsService, type DailyFigures } from '../services/stats/stats.service.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobContext, type JobRunResult, runJob } from './runner.js'

type OpenCase = DigestCase

function workerDigestText(day: string, open: OpenCase[], dueToday: OpenCase[], overdue: number): string {
  const lines = open
    .slice(0, 5)
    .map((c) => `· ${c.number} ${maskText(c.description.replace(/\s+/g, ' ').slice(0, 24))}`)
  const more = open.length > 5 ? `\n…另有 ${open.length - 5} 件` : ''
  return (
    `【今日待办 ${day}】您有 ${open.length} 件未办结工单，其中今天到期 ${dueToday.length} 件` +
    `${overdue ? `、已超期 ${overdue} 件` : ''}：\n${lines.join('\n')}${more}`
  )
}

async function sendWorkerDigests(deps: JobDeps, ctx: JobContext, day: string): Promise<void> {
  const tz = deps.config.timezone
  const dayEnd = startOfLocalDay(shiftDay(day, 1), tz)
  for (const workerId of await gridWorkerIds()) {
    const open = await listOpenCasesOfAssignee(workerId)
    if (open.length === 0) continue
    const due = (c: OpenCase) => c.deadlines?.resolveBy
    const dueToday = open.filter((c) => due(c) && (due(c) as Date) >= ctx.now && (due(c) as Date) < dayEnd)
    const overdue = open.filter((c) => due(c) && (due(c) as Date) < ctx.now).length
    const key = `digest:${day}:worker:${workerId}`
    const text = workerDigestText(day, open, dueToday, overdue)
    await sendOnce(deps, ctx, { key, to: { type: 'person', id: workerId }, text, kind: 'digest' })
  }
}

function communityDigestText(name: string, f: DailyFigures): string {
  const rate =
    f.satisfaction.rate === null
      ? '暂无评价'
      : `${Math.round(f.satisfaction.rate * 100)}%（${f.satisfaction.rated} 条评价）`
  return `【昨日简报 ${f.day}】${name}：新增工单 ${f.newCases} 件，办结 ${f.resolved} 件，当前超期 ${f.overdue} 件，满意率 ${rate}。`
}

async function sendCommunityDigests(deps: JobDeps, ctx: JobContext, day: string): Promise<void> {
  const stats =
    deps.stats ?? createStatsService({ clock: { now: () => ctx.now }, timezone: deps.config.timezone })
  for (const [communityId, personIds] of await communityStaffByCommunity()) {
    const name = await communityName(communityId)
    if (name === undefined) continue
    const figures = await stats.dailyFigures({ communityId, day: shiftDay(day, -1) })
    const text = communityDigestText(name, figures)
    for (const personId of personIds) {
      const key = `digest:${day}:community:${communityId}:${personId}`
      await sendOnce(deps, ctx, { key, to: { type: 'person', id: personId }, text, kind: 'digest' })
    }
    for (const robot of await robotsFeeding(deps.config, communityId)) {
      const key = `digest:${day}:community:${communityId}:robot:${robot}`
      await sendOnce(deps, ctx, { key, to: { type: 'robot', id: robot }, text, kind: 'digest' })
    }
  }
}

/**
 * Morning digests (from `digests.hour`, local time): each grid worker gets their open cases and those
 * due today; community staff get yesterday's figures (new, resolved, overdue, 满意率). Once per day
 * and person, so the job can run several times in the morning to cover a late start.
 */
export function morningDigestsJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('morning-digests', runnerOptions(deps), now, async (ctx) => {
    if (localHour(now, deps.config.timezone) < deps.config.digests.hour) {
      ctx.count('tooEarly')
      return
    }
    const day = localDay(now, deps.config.timezone)
    await sendWorkerDigests(deps, ctx, day)
    await sendCommunityDigests(deps, ctx, day)
  })
}
