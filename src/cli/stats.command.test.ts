import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { commandContext } from '../../test/cli-context.js'
import { useTestDatabase } from '../../test/db.js'
import { systemClock } from '../lib/clock.js'
import { displayWidth } from '../lib/text-width.js'
import { insertCase, insertCommunity } from '../services/stats/stats.fixtures.js'
import { addDays, dayOf } from '../services/stats/stats.time.js'
import { statsCommand } from './stats.command.js'

const context = () => commandContext()

describe('linli stats', () => {
  useTestDatabase()

  async function seedToday() {
    const p = await insertCommunity('KH')
    const now = systemClock.now()
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000)
    await insertCase({
      communityId: p.communityId,
      gridId: p.gridA,
      assigneeId: p.workerA,
      createdAt: hoursAgo(30),
      respondedAfterH: 1,
      resolvedAfterH: 5,
      rating: 5,
    })
    await insertCase({
      communityId: p.communityId,
      gridId: p.gridA,
      assigneeId: p.workerA,
      createdAt: hoursAgo(3),
    })
    await insertCase({
      communityId: p.communityId,
      gridId: p.gridB,
      assigneeId: p.workerB,
      createdAt: hoursAgo(0.01),
    })
    return { p, today: dayOf(now, 'Asia/Shanghai') }
  }

  it('prints a table per grid for the last 30 days by default', async () => {
    await seedToday()
    const { ctx, out } = context()
    expect(await statsCommand.run(ctx, ['--community', 'KH'])).toBe(0)
    // Columns line up on screen (汉字 are two columns wide): every row's second cell starts at one column.
    const cells = (l: string | undefined) => (l ?? '').trim().split(/ {2,}/)
    const secondCellAt = (l: string) => displayWidth(/^(?:\S.*?)? {2,}/.exec(l)?.[0] ?? '')
    expect(new Set(out.slice(1).map(secondCellAt)).size).toBe(1)
    expect(cells(out[1])).toEqual([
      '工单数',
      '响应率',
      '解决率',
      '满意率',
      '重办率',
      '平均响应(时)',
      '平均解决(时)',
      '当前超期',
    ])
    expect(out.slice(2).map((l) => cells(l).slice(0, 2))).toEqual([
      ['KH-01 一网格', '2'],
      ['KH-02 二网格', '1'],
      ['合计', '3'],
    ])
    // one answered in time, one 3 h old and never answered (late, overdue), one just in (not due);
    // the one resolved case was not sent back: 重办率 0.0%
    expect(cells(out.at(-1))).toEqual(['合计', '3', '50.0%', '100.0%', '100.0%', '0.0%', '1', '5', '1'])
  })

  it('writes an Excel CSV per worker to a file', async () => {
    const { today } = await seedToday()
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'linli-stats-')), 'stats.csv')
    const { ctx } = context()
    const from = addDays(today, -5)
    const code = await statsCommand.run(ctx, [
      '--by',
      'worker',
      '--from',
      from,
      '--to',
      today,
      '--csv',
      '--out',
      file,
    ])
    expect(code).toBe(0)
    const bytes = readFileSync(file)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const records: string[][] = parseCsv(bytes.toString('utf8'), { bom: true })
    expect(records.map((r) => [r[0], r[1]])).toEqual([
      ['网格员', '工单数'],
      ['李网格', '1'],
      ['王网格', '2'],
      ['合计', '3'],
    ])
  })

  it('refuses bad options with a message and exit code 2', async () => {
    const { ctx, err } = context()
    expect(await statsCommand.run(ctx, ['--by', 'street'])).toBe(2)
    expect(await statsCommand.run(ctx, ['--from', '2026-13-01'])).toBe(2)
    expect(await statsCommand.run(ctx, ['--from', '2026-11-10', '--to', '2026-11-01'])).toBe(2)
    expect(err).toHaveLength(3)
    expect(err[0]).toContain('--by')
    await expect(statsCommand.run(ctx, ['--community', 'NOPE'])).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
