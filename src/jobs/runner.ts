import { isDuplicateKeyError } from '../lib/errors.js'
import type { Logger } from '../lib/logger.js'
import { tryLock } from '../lib/storage/index.js'
import { type JobOutcome, JobRunModel, JobSentModel } from '../models/job.model.js'

/** What a job body gets: its time, a once-only helper and counters recorded with the run. */
export interface JobContext {
  name: string
  now: Date
  /**
   * Runs fn once per key across runs and processes: the key is inserted first and only the winner
   * runs fn. Returns true when this call ran it. A failing fn gives the key back (a later run retries).
   */
  once(key: string, fn: () => Promise<unknown>): Promise<boolean>
  /** Adds n (default 1) to the counter `what` recorded in the job run. */
  count(what: string, n?: number): void
}

export interface RunnerDeps {
  logger?: Logger
  /** How long a run holds the job's lease (and how long an unfinished once-key blocks others). */
  leaseMs?: number
  /** Told of every run's result (skipped, ok, failed): the Prometheus job counter. */
  onRun?: (result: JobRunResult) => void
}

export interface JobRunResult {
  name: string
  outcome: Exclude<JobOutcome, 'running'>
  counts: Record<string, number>
  error?: string
}

export const DEFAULT_LEASE_MS = 10 * 60_000

function createContext(name: string, now: Date, staleMs: number, counts: Record<string, number>): JobContext {
  const count = (what: string, n = 1) => {
    counts[what] = (counts[what] ?? 0) + n
  }
  async function claim(key: string): Promise<boolean> {
    try {
      await JobSentModel.create({ _id: key, job: name, at: now })
      return true
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err
    }
    // A key left unfinished by a crashed run may be taken over once it is older than the lease.
    const stale = await JobSentModel.deleteOne({
      _id: key,
      doneAt: { $exists: false },
      at: { $lt: new Date(now.getTime() - staleMs) },
    })
    if (stale.deletedCount !== 1) return false
    try {
      await JobSentModel.create({ _id: key, job: name, at: now })
      return true
    } catch (err) {
      if (isDuplicateKeyError(err)) return false
      throw err
    }
  }
  async function once(key: string, fn: () => Promise<unknown>): Promise<boolean> {
    if (!(await claim(key))) {
      count('alreadyDone')
      return false
    }
    try {
      await fn()
    } catch (err) {
      await JobSentModel.deleteOne({ _id: key })
      throw err
    }
    await JobSentModel.updateOne({ _id: key }, { $set: { doneAt: now } })
    count('done')
    return true
  }
  return { name, now, once, count }
}

/**
 * Runs one job under its database lease `job:<name>` and records the run in `job_runs`. When another
 * process holds the lease the run is recorded as skipped and fn is not called. Errors are recorded and
 * returned (outcome failed), never thrown: a scheduler must keep going.
 */
export async function runJob(
  name: string,
  deps: RunnerDeps,
  now: Date,
  fn: (ctx: JobContext) => Promise<void>,
): Promise<JobRunResult> {
  const result = await runLeased(name, deps, now, fn)
  deps.onRun?.(result)
  return result
}

async function runLeased(
  name: string,
  deps: RunnerDeps,
  now: Date,
  fn: (ctx: JobContext) => Promise<void>,
): Promise<JobRunResult> {
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS
  const release = await tryLock(`job:${name}`, leaseMs, now)
  if (!release) {
    await JobRunModel.create({ name, startedAt: now, endedAt: now, outcome: 'skipped', counts: {} })
    return { name, outcome: 'skipped', counts: {} }
  }
  const counts: Record<string, number> = {}
  const t0 = Date.now()
  try {
    const run = await JobRunModel.create({ name, startedAt: now, outcome: 'running', counts })
    let outcome: JobRunResult['outcome'] = 'ok'
    let error: string | undefined
    try {
      await fn(createContext(name, now, leaseMs, counts))
    } catch (err) {
      outcome = 'failed'
      error = err instanceof Error ? err.message : String(err)
      deps.logger?.error({ job: name, err }, `job ${name} failed: ${error}`)
    }
    await JobRunModel.updateOne(
      { _id: run._id },
      { $set: { endedAt: new Date(now.getTime() + Date.now() - t0), outcome, counts, error } },
    )
    return { name, outcome, counts, ...(error ? { error } : {}) }
  } finally {
    await release()
  }
}

/** The latest recorded runs of a job, newest first (for the CLI and tests). */
export async function recentRuns(name: string, limit = 10) {
  return JobRunModel.find({ name }).sort({ startedAt: -1 }).limit(limit).lean()
}
