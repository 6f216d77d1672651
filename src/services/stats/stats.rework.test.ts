import { describe, expect, it } from 'vitest'
import { makeCaseService, makeCaseWorld } from '../../../test/case-world.js'
import { useTestDatabase } from '../../../test/db.js'
import { toCsv } from './stats.csv.js'
import { createStatsService } from './stats.service.js'

describe('重办率 in the statistics', () => {
  useTestDatabase()

  it('counts cases sent back after a low rating over cases resolved at least once, as the cases say', async () => {
    const w = await makeCaseWorld()
    const { service, clock } = makeCaseService()
    const start = clock.now()
    const zhang = { personId: String(w.zhang._id) }
    const open = async (key: string, text: string, category: string) =>
      (
        await service.open({
          channel: 'group',
          sourceKey: key,
          text,
          category,
          reporter: zhang,
          location: { gridCode: 'KH-01' },
        })
      ).case.number
    const stillBad = await open('s-1', '3号楼楼道灯坏了', 'facility_repair')
    const fixedLater = await open('s-2', '5号楼门口垃圾没人清', 'sanitation')
    const good = await open('s-3', '楼上装修太吵了', 'noise')
    const unrated = await open('s-4', '小区里有流浪狗追人', 'greening_pets')
    await open('s-5', '消防通道被车堵了', 'parking_traffic') // never resolved
    for (const n of [stillBad, fixedLater, good, unrated]) await service.resolve(n, w.as.staff, '已处理')
    await service.rate(stillBad, zhang, 1, '根本没修')
    await service.rate(fixedLater, zhang, 2)
    await service.resolve(fixedLater, w.as.staff, '已重新清运')
    await service.rate(fixedLater, zhang, 4)
    await service.rate(good, zhang, 5)

    const stats = createStatsService({ clock })
    const report = await stats.communityStats({
      communityId: String(w.community._id),
      from: start,
      to: new Date(clock.now().getTime() + 1),
      by: 'grid',
    })
    // What the cases themselves say: sent back at least once, and resolved at least once.
    const cases = await Promise.all([stillBad, fixedLater, good, unrated].map((n) => service.get(n)))
    const reworked = cases.filter((c) => c.timeline.some((t) => t.action === 'rework')).length
    const resolved = cases.filter((c) => c.timeline.some((t) => t.action === 'resolved')).length
    expect({ reworked, resolved }).toEqual({ reworked: 2, resolved: 4 })
    expect(report.totals.total).toBe(5)
    expect(report.totals.rework).toEqual({ reworked, resolved, rate: reworked / resolved })
    // The low rating of the case still being redone counts as dissatisfied; the redone one as its 4.
    expect(report.totals.satisfaction).toMatchObject({ rated: 3, satisfied: 2 })

    const [header = [], , totals = []] = toCsv([...report.rows, report.totals], 'grid')
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .map((line) => line.split(','))
    expect(totals[header.indexOf('重办率')]).toBe('50.0%')
    expect(totals[header.indexOf('重办数')]).toBe('2')
  })
})
