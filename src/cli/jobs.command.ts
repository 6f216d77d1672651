import { recentRuns } from '../jobs/runner.js'
import { jobTable } from '../jobs/schedule.js'
import { systemClock } from '../lib/clock.js'
import { type Command, parseArgs } from './command.js'

/** `linli jobs list | run <name> [--at <ISO time>] | runs <name>`: operate the scheduled jobs by hand. */
export const jobsCommand: Command = {
  name: 'jobs',
  usage: ['jobs list', 'jobs run <任务名> [--at ISO时间]', 'jobs runs <任务名>'],
  summary: '定时任务：列出全部、立即运行一个（持租约），或查看最近运行记录',
  async run(ctx, args) {
    const { flags, positionals } = parseArgs(args)
    const [verb, name] = positionals
    const { outbox, cases, stats, notices, polls } = ctx.services()
    const deps = { config: ctx.config, logger: ctx.logger, outbox, cases, stats, notices, polls }
    const table = jobTable(deps)
    if (verb === 'list' || verb === undefined) {
      for (const j of table) ctx.out(`${j.name.padEnd(22)} ${j.cron}`)
      return 0
    }
    const entry = table.find((j) => j.name === name)
    if (!entry) {
      ctx.err(`没有名为「${name ?? ''}」的任务。可用的任务：${table.map((j) => j.name).join('、')}`)
      return 2
    }
    await ctx.database()
    if (verb === 'runs') {
      for (const r of await recentRuns(entry.name)) {
        ctx.out(
          `${r.startedAt.toISOString()} ${r.outcome.padEnd(8)} ${JSON.stringify(r.counts ?? {})}${r.error ? ` ${r.error}` : ''}`,
        )
      }
      return 0
    }
    if (verb !== 'run') {
      ctx.err('用法：linli jobs list | linli jobs run <任务名> [--at ISO时间] | linli jobs runs <任务名>')
      return 2
    }
    const at = typeof flags.get('at') === 'string' ? new Date(flags.get('at') as string) : systemClock.now()
    if (Number.isNaN(at.getTime())) {
      ctx.err('--at 需要 ISO 时间，例如 2026-12-01T08:00:00+08:00')
      return 2
    }
    const result = await entry.job(deps, at)
    ctx.out(JSON.stringify(result))
    return result.outcome === 'failed' ? 1 : 0
  },
}
