import { describe, expect, it } from 'vitest'
import { makeCommunity, makeHousehold, makePerson, staffActor } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { AuditModel } from '../../models/audit.model.js'
import { HouseholdProxyModel } from '../../models/household-proxy.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { GridModel } from '../../models/registry.model.js'
import {
  VolunteerAssignmentModel,
  VolunteerNeedModel,
  VolunteerProfileModel,
} from '../../models/volunteer.model.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createPointsService } from '../points/points.service.js'
import { createProxyService } from '../proxies/proxy.service.js'
import { createVolunteerService } from './volunteer.service.js'

const NOW = new Date('2026-11-27T02:00:00Z') // Friday 10:00 in Shanghai
const SKILLS = ['陪诊', '维修', '助餐', '代购', '陪聊', '理发']

async function setup() {
  const clock = fixedClock(NOW)
  const outbox = createOutbox({ clock })
  const points = createPointsService({ clock })
  const proxies = createProxyService({ clock })
  const volunteers = createVolunteerService({
    clock,
    outbox,
    points,
    proxies,
    settings: { timezone: 'Asia/Shanghai', skills: SKILLS, offerTo: 3 },
  })
  const { community, grid } = await makeCommunity()
  const [g1, g2] = [await grid(1), await grid(2)]
  await GridModel.updateOne(
    { _id: g2._id },
    {
      $set: {
        buildingPlaces: [
          { building: '7', lng: 111.7, lat: 40.8 },
          { building: '8', lng: 111.7001, lat: 40.8001 },
          { building: '9', lng: 111.72, lat: 40.82 },
        ],
      },
    },
  )
  const staffer = await makePerson({ name: '王主任', communityId: community._id, roles: ['community_staff'] })
  const actor = staffActor(staffer, ['community_staff'], [community._id])
  const elderHome = await makeHousehold({
    communityId: community._id,
    gridId: g2._id,
    building: '7',
    room: '301',
  })
  const elder = await makePerson({
    name: '刘奶奶',
    communityId: community._id,
    gridId: g2._id,
    householdId: elderHome._id,
  })
  let rooms = 100
  const volunteer = async (
    name: string,
    gridId: typeof g1._id,
    building: string,
    skills: string[],
    extra = {},
  ) => {
    rooms += 1
    const home = await makeHousehold({ communityId: community._id, gridId, building, room: String(rooms) })
    const p = await makePerson({ name, communityId: community._id, gridId, householdId: home._id })
    await volunteers.register(String(p._id), { skills, ...extra })
    return p
  }
  return { clock, volunteers, proxies, community, g1, g2, actor, elder, elderHome, volunteer }
}

describe('volunteer service', () => {
  void [VolunteerProfileModel, VolunteerNeedModel, VolunteerAssignmentModel, HouseholdProxyModel, AuditModel]
  void [OutboxModel, PointsEntryModel]
  useTestDatabase()

  it('offers a need to volunteers with the skill who are free then, same grid first and nearest', async () => {
    const s = await setup()
    const far = await s.volunteer('远邻', s.g2._id, '9', ['维修'])
    const near = await s.volunteer('近邻', s.g2._id, '8', ['维修'])
    const otherGrid = await s.volunteer('隔壁格', s.g1._id, '1', ['维修'])
    await s.volunteer('只会理发', s.g2._id, '8', ['理发'])
    await s.volunteer('周末有空', s.g2._id, '8', ['维修'], {
      availability: { days: [6, 7], from: '08:00', to: '20:00' },
    })
    await s.volunteer('第四位', s.g1._id, '2', ['维修'])
    const need = await s.volunteers.postNeed(
      {
        communityId: String(s.community._id),
        skill: '维修',
        description: '帮残疾居民修水龙头，电话13812345678',
        startsAt: '2026-11-27 15:00',
        householdId: String(s.elderHome._id),
        requesterId: String(s.elder._id),
      },
      s.actor,
    )
    expect(need.description).not.toContain('13812345678')
    expect(need.offeredTo.map((o) => o.name)).toEqual(['近邻', '远邻', '隔壁格'])
    const offers = await OutboxModel.find({ kind: 'volunteer_offer' }).lean()
    expect(offers.map((o) => o.to?.id).sort()).toEqual(
      [near, far, otherGrid].map((p) => String(p._id)).sort(),
    )
    expect(offers[0]?.text).toContain(`接单 ${need.code}`)
  })

  it('lets exactly one of ten volunteers accepting at once take a one-person need', async () => {
    const s = await setup()
    const people = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.volunteer(`志愿者${i}号`, s.g2._id, '8', ['陪诊'])),
    )
    const need = await s.volunteers.postNeed(
      {
        communityId: String(s.community._id),
        skill: '陪诊',
        description: '陪老人去医院复查',
        startsAt: '2026-11-28 09:00',
      },
      s.actor,
    )
    const results = await Promise.allSettled(people.map((p) => s.volunteers.accept(need.code, String(p._id))))
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(lost.map((r) => (r.reason as Error).message)).toEqual(
      Array(9).fill('这个需求已经有志愿者接了，谢谢您的热心'),
    )
    expect(await VolunteerAssignmentModel.countDocuments({ needId: need.id })).toBe(1)
    expect((await s.volunteers.getNeed(need.id)).status).toBe('filled')
  })

  it('credits volunteer hours once, asks the requester to rate, and takes the rating of a linked proxy only', async () => {
    const s = await setup()
    const v = await s.volunteer('小赵', s.g2._id, '8', ['陪诊'])
    const need = await s.volunteers.postNeed(
      {
        communityId: String(s.community._id),
        skill: '陪诊',
        description: '陪老人去医院',
        startsAt: '2026-11-28 09:00',
        householdId: String(s.elderHome._id),
        requesterId: String(s.elder._id),
      },
      s.actor,
    )
    await s.volunteers.accept(need.id, String(v._id))
    await s.volunteers.checkIn(need.id, String(v._id))
    const done = await s.volunteers.complete(need.id, String(v._id), 2)
    expect(done.pointsCredited).toBe(10) // 5 points an hour
    expect((await s.volunteers.complete(need.id, String(v._id), 2)).pointsCredited).toBe(0)
    expect(await PointsEntryModel.countDocuments({ personId: v._id })).toBe(1)
    expect(
      await OutboxModel.countDocuments({ key: `volunteer-done:${need.id}`, 'to.id': String(s.elder._id) }),
    ).toBe(1)

    const daughter = await makePerson({ name: '刘女儿', communityId: s.community._id })
    const stranger = await makePerson({ name: '路人', communityId: s.community._id })
    await expect(s.volunteers.rate(need.id, String(stranger._id), 5)).rejects.toThrow(
      '还没有登记为这户的代办人',
    )
    await s.proxies.link(
      String(s.elderHome._id),
      { personId: String(daughter._id), relation: 'family', label: '我妈' },
      s.actor,
    )
    expect(await AuditModel.countDocuments({ action: 'link_household_proxy' })).toBe(1)
    const rated = await s.volunteers.rate(need.id, String(daughter._id), 5, '很耐心')
    expect(rated.rating).toMatchObject({ score: 5, byProxy: true })
    await expect(s.volunteers.rate(need.id, String(s.elder._id), 4)).rejects.toThrow('已经评价过了')
  })
})
