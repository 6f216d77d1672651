import { describe, expect, it } from 'vitest'
import {
  capacityWarning,
  EMBEDDED_PG_SERVES_HOUSEHOLDS,
  EMBEDDED_SQLITE_SERVES_HOUSEHOLDS,
  warnAboutCapacity,
} from './capacity.js'

describe('start-up capacity warning', () => {
  const pg = { source: 'ferretdb' as const, backend: 'postgresql' as const }
  it('warns on SQLite at any size and on PostgreSQL beyond the curve, pointing to docs/deploy.md', () => {
    const sqlite = { source: 'ferretdb' as const, backend: 'sqlite' as const }
    expect(capacityWarning(sqlite, 10)).toMatch(/SQLite.*pilot.*docs\/deploy\.md/)
    expect(capacityWarning(sqlite, EMBEDDED_SQLITE_SERVES_HOUSEHOLDS + 1)).toMatch(
      /beyond.*PostgreSQL.*docs\/deploy\.md/,
    )
    expect(capacityWarning(pg, EMBEDDED_PG_SERVES_HOUSEHOLDS)).toBeUndefined()
    expect(capacityWarning(pg, EMBEDDED_PG_SERVES_HOUSEHOLDS + 1)).toMatch(/beyond.*docs\/deploy\.md/)
    expect(capacityWarning({ source: 'external' }, 10_000_000)).toBeUndefined()
  })

  it('logs the warning once with the count, and never counts on MongoDB', async () => {
    const warnings: unknown[][] = []
    const logger = { warn: (...a: unknown[]) => warnings.push(a) } as never
    let counted = 0
    const count = async () => {
      counted++
      return 300_000
    }
    await warnAboutCapacity(pg, count, logger)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.[0]).toMatchObject({ households: 300_000, see: 'docs/deploy.md' })
    await warnAboutCapacity({ source: 'external' }, count, logger)
    expect(counted).toBe(1)
  })
})
