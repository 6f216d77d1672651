import { describe, expect, it } from 'vitest'
import { commandContext } from '../../test/cli-context.js'
import { useTestDatabase } from '../../test/db.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { JobRunModel, JobSentModel } from '../models/job.model.js'
import { jobsCommand } from './jobs.command.js'

const context = () => commandContext()

describe('linli jobs', () => {
  void [JobRunModel, JobSentModel, ChatMessageModel]
  useTestDatabase()

  it('lists the jobs, runs one by hand and shows its recorded runs', async () => {
    const list = context()
    expect(await jobsCommand.run(list.ctx, ['list'])).toBe(0)
    expect(list.out.join('\n')).toContain('sla-watch-urgent')
    const run = context()
    expect(await jobsCommand.run(run.ctx, ['run', 'retention', '--at', '2026-11-28T00:00:00Z'])).toBe(0)
    expect(JSON.parse(run.out[0] as string)).toMatchObject({ name: 'retention', outcome: 'ok' })
    const runs = context()
    expect(await jobsCommand.run(runs.ctx, ['runs', 'retention'])).toBe(0)
    expect(runs.out[0]).toContain('2026-11-28T00:00:00.000Z ok')
  })

  it('names the available jobs when asked for an unknown one, and rejects a bad time', async () => {
    const bad = context()
    expect(await jobsCommand.run(bad.ctx, ['run', 'nope'])).toBe(2)
    expect(bad.err[0]).toContain('event-reminders')
    const badAt = context()
    expect(await jobsCommand.run(badAt.ctx, ['run', 'retention', '--at', 'yesterday'])).toBe(2)
  })
})
