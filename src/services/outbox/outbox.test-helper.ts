import { loadConfig } from '../../lib/config.js'

/** The outbox limits of the test configuration: a fast pace unless told otherwise. */
export function testLimits(outbox: Record<string, number> = {}) {
  return loadConfig(
    {},
    {
      overrides: {
        env: 'test',
        outbox: { perMinute: 60_000, jitterMs: 0, dailyBudget: 1000, maxAttempts: 3, ...outbox },
      },
    },
  ).outbox
}

/** Polls until `check` returns true (or fails after `ms`). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
