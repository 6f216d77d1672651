import { describe, expect, it } from 'vitest'
import { recordCommands } from '../../../test/command-recorder.js'
import { makeCommunity, makePerson } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { backfillGridMonths } from './points.grid-keys.js'
import { gridLeaderboard } from './points.leaderboard.js'
import { createPointsService, DEFAULT_POINTS_SETTINGS } from './points.service.js'

const clock = fixedClock(new Date('2026-11-10T09:00:00+08:00'))
const MONTH = '2026-11'

describe('a grid’s points leaderboard, read by the grid’s key', () => {
  useTestDatabase({ monitorCommands: true })

  async function twoGrids() {
    const { community, grid } = await makeCommunity()
    const [g1, g2] = [await grid(1), await grid(2)]
    const wang = await makePerson({ name: '王秀英', communityId: community._id, gridId: g1._id })
    const li = await makePerson({ name: '李建国', communityId: community._id, gridId: g1._id })
    const zhao = await makePerson({ name: '赵大海', communityId: community._id, gridId: g2._id })
    const points = createPointsService({ clock, config: DEFAULT_POINTS_SETTINGS })
    const earn = (p: { _id: unknown }, n: number, key: string) =>
      points.credit({ personId: String(p._id), reason: 'volunteer_hours', refKey: key, points: n })
    const actor = { personId: String(wang._id), roles: ['resident' as const], communityIds: [], gridIds: [] }
    const board = (gridId: unknown) =>
      gridLeaderboard(actor as never, { gridId: String(gridId), month: MONTH, kind: 'activity', limit: 20 })
    return { g1, g2, wang, li, zhao, earn, board, actor }
  }

  it('ranks the grid’s residents from its own entries; a neighbour grid’s points stay there', async () => {
    const { g1, wang, li, zhao, earn, board } = await twoGrids()
    await earn(wang, 30, 'v-1')
    await earn(li, 50, 'v-2')
    await earn(zhao, 80, 'v-3')
    const entry = await PointsEntryModel.findOne({ refKey: 'v-1' }).lean()
    expect(entry?.gridMonth).toBe(`${g1._id}:${MONTH}`)

    const { result, commands } = await recordCommands(() => board(g1._id))
    expect(result.items).toEqual([
      { rank: 1, name: '李**', points: 50 },
      { rank: 2, name: '王**', points: 30 },
    ])
    expect(result.mine).toEqual({ rank: 2, points: 30 })
    // The ledger is read by the grid's key only, never by a list of people.
    const ledger = commands.filter((c) => c.collection === 'points_ledger')
    expect(ledger.map((c) => c.line)).toEqual([
      'find points_ledger {"gridMonth":"String","reason":{"$ne":"String"},"kind":{"$ne":"String"}}',
    ])
  })

  it('keys entries stored before the key existed, once, so they count again', async () => {
    const { g1, wang, li, earn, board } = await twoGrids()
    await earn(wang, 30, 'v-1')
    await earn(li, 20, 'v-2')
    // Written by an older version: no key on it.
    await PointsEntryModel.collection.updateMany({}, { $unset: { gridMonth: '' } })
    expect((await board(g1._id)).items).toEqual([])
    // Someone with no grid keeps no key, and does not stall the repair.
    const drifter = await ResidentModel.create({ name: '流动人员', roles: ['resident'], token: 'tok-drift' })
    await earn(drifter, 5, 'v-3')
    expect(await backfillGridMonths(1)).toBe(2)
    expect(await backfillGridMonths()).toBe(0)
    expect((await board(g1._id)).items.map((r) => r.points)).toEqual([30, 20])
  })
})
