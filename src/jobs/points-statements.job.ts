import type { PointsStatement } from '../services/points/points.statement.js'
import { type JobDeps, runnerOptions, sendOnce } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** The month before 'YYYY-MM'. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** The statement as a private message: each kind's opening, earned, spent and closing. */
export function statementText(s: PointsStatement): string {
  const line = (label: string, k: PointsStatement['kinds']['activity']) =>
    `${label}：月初 ${k.opening} 分，获得 ${k.earned} 分，兑换花费 ${k.spent} 分，月末 ${k.closing} 分`
  return [
    `您 ${s.month} 的积分对账单：`,
    line('活动积分', s.kinds.activity),
    line('品德积分', s.kinds.conduct),
    '发送「积分」可以查看积分商城并兑换。',
  ].join('\n')
}

/**
 * Early on the 1st: everyone whose points moved last month gets last month's statement, privately,
 * once per person and month (the outbox key is the once-key, so reruns and crashes send nothing twice).
 */
export function pointsStatementsJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('points-statements', runnerOptions(deps), now, async (ctx) => {
    const points = deps.points
    if (!points) return ctx.count('notWired')
    const month = previousMonth(points.monthOf(now))
    const people = await points.peopleWithEntries(month)
    for (const personId of people) {
      const statement = await points.statement(personId, month)
      await sendOnce(deps, ctx, {
        key: `points-statement:${month}:${personId}`,
        to: { type: 'person', id: personId },
        text: statementText(statement),
        kind: 'digest',
      })
      ctx.count('statements')
    }
  })
}
