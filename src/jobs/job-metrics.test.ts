import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { scrapeMetrics } from '../../test/metrics-scrape.js'
import { createMetrics } from '../http/metrics.js'
import { tryLock } from '../lib/storage/index.js'
import { JobRunModel } from '../models/job.model.js'
import { LockModel } from '../models/lock.model.js'
import { runJob } from './runner.js'

const T0 = new Date('2026-11-28T00:00:00Z')

describe('job runs are counted in /metrics', () => {
  void [JobRunModel, LockModel]
  useTestDatabase()

  it('counts ok, failed and skipped runs by job in linli_job_runs_total', async () => {
    const metrics = createMetrics()
    const onRun = (r: { name: string; outcome: string }) =>
      metrics.gauges.jobRuns.inc({ job: r.name, outcome: r.outcome })
    await runJob('sla-watch', { onRun }, T0, async () => undefined)
    await runJob('sla-watch', { onRun }, new Date(T0.getTime() + 60_000), async () => undefined)
    await runJob('digests', { onRun }, T0, async () => {
      throw new Error('database away')
    })
    // Another process holds the retention lease: this run is skipped.
    await tryLock('job:retention', 60_000, T0)
    await runJob('retention', { onRun }, T0, async () => undefined)

    const res = await scrapeMetrics(metrics, T0)
    expect(res.status).toBe(200)
    expect(res.text).toContain('linli_job_runs_total{job="sla-watch",outcome="ok"} 2')
    expect(res.text).toContain('linli_job_runs_total{job="digests",outcome="failed"} 1')
    expect(res.text).toContain('linli_job_runs_total{job="retention",outcome="skipped"} 1')
  })
})
