import { bindRoom, makeCommunity, makeHousehold, makePerson, staffActor } from './community-fixtures.js'

/**
 * A community with two grids for polls and 议事: households 3-101 and 3-102 in grid 1 (3-101 with
 * two members, 张大爷 and 张阿姨), 8-201 in grid 2; 李租户 in grid 1 without a household; a group
 * bound to each grid; staff 王主任, grid-2 worker 赵网格员, and 外社区居民 of another community.
 */
export async function makePollWorld(code = 'KP') {
  const { community, grid } = await makeCommunity(code)
  const g1 = await grid(1)
  const g2 = await grid(2)
  const other = await makeCommunity(`${code}X`)
  const otherGrid = await other.grid(1)
  const c = community._id
  const h1 = await makeHousehold({ communityId: c, gridId: g1._id, building: '3', room: '101' })
  const h2 = await makeHousehold({ communityId: c, gridId: g1._id, building: '3', room: '102' })
  const h3 = await makeHousehold({ communityId: c, gridId: g2._id, building: '8', room: '201' })
  const at = (gridId: typeof g1._id, householdId?: typeof h1._id) => ({ communityId: c, gridId, householdId })
  const zhang = await makePerson({ name: '张大爷', ...at(g1._id, h1._id), contactId: 'kp-zhang' })
  const zhangWife = await makePerson({ name: '张阿姨', ...at(g1._id, h1._id), contactId: 'kp-zhang-wife' })
  const qian = await makePerson({ name: '钱师傅', ...at(g1._id, h2._id), contactId: 'kp-qian' })
  const sun = await makePerson({ name: '孙老师', ...at(g2._id, h3._id), contactId: 'kp-sun' })
  const tenant = await makePerson({ name: '李租户', ...at(g1._id), contactId: 'kp-li' })
  const outsider = await makePerson({
    name: '外社区居民',
    communityId: other.community._id,
    gridId: otherGrid._id,
  })
  const staffer = await makePerson({
    name: '王主任',
    communityId: c,
    roles: ['community_staff'],
    staff: { communityIds: [c] },
  })
  const worker2 = await makePerson({
    name: '赵网格员',
    communityId: c,
    roles: ['grid_worker'],
    staff: { gridIds: [g2._id] },
  })
  const room1 = await bindRoom({
    roomId: `${code}-room-1`,
    communityId: c,
    gridId: g1._id,
    code: `${code}-01`,
  })
  const room2 = await bindRoom({
    roomId: `${code}-room-2`,
    communityId: c,
    gridId: g2._id,
    code: `${code}-02`,
  })
  return {
    community,
    g1,
    g2,
    h1,
    h2,
    h3,
    zhang,
    zhangWife,
    qian,
    sun,
    tenant,
    outsider,
    staffer,
    worker2,
    room1,
    room2,
    as: {
      staff: staffActor(staffer, ['community_staff'], [c]),
      worker2: staffActor(worker2, ['grid_worker'], [], [g2._id]),
      resident: (p: { _id: unknown }) => ({
        personId: String(p._id),
        roles: ['resident' as const],
        communityIds: [],
        gridIds: [],
      }),
    },
  }
}

export type PollWorld = Awaited<ReturnType<typeof makePollWorld>>
