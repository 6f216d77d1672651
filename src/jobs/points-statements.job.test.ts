import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { fixedClock } from '../lib/clock.js'
import { loadConfig } from '../lib/config.js'
import { OutboxModel } from '../models/outbox.model.js'
import { PointsEntryModel } from '../models/points.model.js'
import { createOutbox } from '../services/outbox/outbox.service.js'
import { createPointsService } from '../services/points/points.service.js'
import { pointsStatementsJob, previousMonth } from './points-statements.job.js'

const config = loadConfig({ LINLI_ENV: 'test' })

describe('monthly points statements', () => {
  useTestDatabase()

  it('sends last month’s statement once to everyone whose points moved, even when run again', async () => {
    expect(previousMonth('2027-01')).toBe('2026-12')
    expect(previousMonth('2026-11')).toBe('2026-10')
    const clock = fixedClock(new Date('2026-11-20T10:00:00+08:00'))
    const points = createPointsService({ clock })
    const person = '64b7f0c2a1b2c3d4e5f60718'
    const by = '64b7f0c2a1b2c3d4e5f60719'
    await points.adjust({ personId: person, delta: 12, refKey: 'nov-1', note: '志愿服务', byId: by })
    await points.award({
      personId: person,
      kind: 'conduct',
      rule: '邻里互助',
      note: '帮忙取快递',
      refKey: 'nov-2',
      byId: by,
    })
    const outbox = createOutbox({ clock })
    const deps = { config, outbox, points }
    const dec1 = new Date('2026-12-01T09:30:00+08:00')
    await pointsStatementsJob(deps, dec1)
    await pointsStatementsJob(deps, new Date('2026-12-01T10:00:00+08:00'))
    const sent = await OutboxModel.find({ key: /^points-statement:/ }).lean()
    expect(sent.map((m) => m.key)).toEqual([`points-statement:2026-11:${person}`])
    expect(sent[0]?.text).toBe(
      [
        '您 2026-11 的积分对账单：',
        '活动积分：月初 0 分，获得 12 分，兑换花费 0 分，月末 12 分',
        '品德积分：月初 0 分，获得 5 分，兑换花费 0 分，月末 5 分',
        '发送「积分」可以查看积分商城并兑换。',
      ].join('\n'),
    )
    expect(await PointsEntryModel.countDocuments()).toBe(2)
  })
})
