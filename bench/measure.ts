/** One benchmark figure: what was measured, its value and unit, and what to read it with. */
export interface Metric {
  metric: string
  value: number
  unit: string
  note?: string
}

/** The p-th percentile (0–100) of the samples, nearest-rank; NaN for none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

/** Rounds for display: three significant figures for small values, whole numbers above 100. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v
  if (Math.abs(v) >= 100) return Math.round(v)
  return Number(v.toPrecision(3))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Runs `work` from `concurrency` workers until `seconds` pass or `maxOps` are done; returns
 * completed operations per second.
 */
export async function closedLoop(
  work: (i: number) => Promise<unknown>,
  opts: { concurrency: number; seconds: number; maxOps: number },
): Promise<{ ops: number; perSecond: number; ms: number }> {
  const started = performance.now()
  const deadline = started + opts.seconds * 1000
  let next = 0
  let ops = 0
  const worker = async () => {
    while (performance.now() < deadline && next < opts.maxOps) {
      await work(next++)
      ops++
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker))
  const ms = performance.now() - started
  return { ops, perSecond: (ops * 1000) / ms, ms }
}

/** Polls `check` every `everyMs` until it is true or `ms` pass; returns whether it became true. */
export async function waitFor(check: () => Promise<boolean>, ms: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(everyMs)
  }
  return check()
}

/** Samples this process's resident set size; `peakMb()` is the highest seen so far. */
export function rssSampler(everyMs = 100) {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, everyMs)
  timer.unref()
  return {
    peakMb: () => Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
    nowMb: () => process.memoryUsage().rss / 2 ** 20,
    reset: () => {
      peak = process.memoryUsage().rss
    },
    stop: () => clearInterval(timer),
  }
}

/** Runs `fn` `runs` times one after another; the time of each run, in ms. */
export async function timeRuns(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn(i)
    ms.push(performance.now() - t)
  }
  return ms
}

/** `median … ms, p95 … ms` of the samples. */
export const medianP95 = (ms: number[]) =>
  `median ${round(percentile(ms, 50))} ms, p95 ${round(percentile(ms, 95))} ms`
