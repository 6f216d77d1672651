import { describe, expect, it } from 'vitest'
import {
  bindRoom,
  makeCommunity,
  makeHousehold,
  makePerson,
  staffActor,
} from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { noticeAckFollowUpJob, scheduledNoticesJob } from '../../jobs/notices.job.js'
import { fixedClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { JobRunModel, JobSentModel } from '../../models/job.model.js'
import { NoticeAckModel, NoticeModel } from '../../models/notice.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createNoticeService } from './notice.service.js'

const NOW = new Date('2026-11-28T02:00:00Z')
const config = loadConfig({ LINLI_ENV: 'test' })
const settings = { timezone: 'Asia/Shanghai', confirmAboveRooms: 3, confirmAbovePersons: 5 }

async function setup() {
  const clock = fixedClock(NOW)
  const outbox = createOutbox({ clock })
  const notices = createNoticeService({ clock, outbox, settings })
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const g2 = await grid(2)
  const worker = await makePerson({ name: '赵网格员', communityId: community._id, roles: ['grid_worker'] })
  await GridModel.updateOne({ _id: g1._id }, { $set: { primaryWorkerId: worker._id } })
  const party = await makePerson({
    name: '钱党员',
    communityId: community._id,
    gridId: g1._id,
    roles: ['party_member'],
  })
  const staffer = await makePerson({ name: '王主任', communityId: community._id, roles: ['community_staff'] })
  const actor = staffActor(staffer, ['community_staff'], [community._id])
  const h1 = await makeHousehold({
    communityId: community._id,
    gridId: g1._id,
    building: '3',
    room: '201',
    partyMemberId: party._id,
  })
  const h2 = await makeHousehold({ communityId: community._id, gridId: g1._id, building: '5', room: '502' })
  const elderA = await makePerson({
    name: '孙奶奶',
    communityId: community._id,
    gridId: g1._id,
    householdId: h1._id,
    tags: ['独居老人'],
  })
  const elderB = await makePerson({
    name: '周爷爷',
    communityId: community._id,
    gridId: g1._id,
    householdId: h2._id,
    tags: ['独居老人'],
  })
  const elderC = await makePerson({
    name: '吴奶奶',
    communityId: community._id,
    gridId: g1._id,
    tags: ['独居老人'],
  })
  for (const [i, gridId] of [g1._id, g1._id, g2._id].entries()) {
    await bindRoom({ roomId: `room-${i}`, communityId: community._id, gridId, code: 'KC-0x' })
  }
  return { clock, notices, community, g1, g2, worker, party, actor, elders: [elderA, elderB, elderC] }
}

describe('notice service', () => {
  void [
    NoticeModel,
    NoticeAckModel,
    OutboxModel,
    JobRunModel,
    JobSentModel,
    HouseholdModel,
    ResidentModel,
    RoomBindingModel,
  ]
  useTestDatabase()

  it('sends a grid notice to the bound groups of that grid and reports delivery per group', async () => {
    const { notices, actor, community, g1 } = await setup()
    const n = await notices.create(
      {
        communityId: String(community._id),
        gridIds: [String(g1._id)],
        title: '停水通知',
        body: '明天9点到12点停水。',
      },
      actor,
    )
    const sent = await notices.send(n.id, {}, actor)
    expect(sent).toMatchObject({ status: 'sent', enqueued: 2, planned: { rooms: 2, persons: 0 } })
    await expect(notices.send(n.id, {}, actor)).rejects.toThrow('已经发送过了')
    await OutboxModel.updateOne(
      { key: `notice:${n.id}:room:room-0` },
      { $set: { status: 'sent', sentAt: NOW } },
    )
    await OutboxModel.updateOne(
      { key: `notice:${n.id}:room:room-1` },
      { $set: { status: 'failed', lastError: '群不存在' } },
    )
    const report = await notices.delivery(n.id)
    expect(report.totals).toMatchObject({ sent: 1, failed: 1, queued: 0 })
    expect(report.rooms).toEqual([
      { roomId: 'room-0', status: 'sent', sentAt: NOW },
      { roomId: 'room-1', status: 'failed', lastError: '群不存在' },
    ])
    const msg = await OutboxModel.findOne({ key: `notice:${n.id}:room:room-0` }).lean()
    expect(msg?.text).toBe('【社区通知】停水通知\n明天9点到12点停水。')
  })

  it('a large scope needs confirmation, with a message saying how many would receive it', async () => {
    const { notices, actor, community } = await setup()
    await bindRoom({ roomId: 'room-9', communityId: community._id })
    const n = await notices.create(
      { communityId: String(community._id), title: '防汛', body: '注意防汛。' },
      actor,
    )
    const err = await notices.send(n.id, {}, actor).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'CONFLICT',
      details: { rooms: 4, persons: 0, needsConfirmation: true },
    })
    expect((err as Error).message).toBe('本通知将发送到 4 个群、0 位居民，范围较大，请确认后再发送')
    expect(await OutboxModel.countDocuments({})).toBe(0)
    expect((await notices.send(n.id, { confirm: true }, actor)).enqueued).toBe(4)
  })

  it('a scheduled notice goes out when the job runs at its time, once', async () => {
    const { notices, actor, community, g2 } = await setup()
    const n = await notices.create(
      { communityId: String(community._id), gridIds: [String(g2._id)], title: '疫苗', body: '周六接种。' },
      actor,
    )
    const scheduled = await notices.send(n.id, { at: '2026-11-28 18:00' }, actor) // 10:00Z
    expect(scheduled).toMatchObject({ status: 'scheduled', enqueued: 0 })
    expect(scheduled.scheduledAt?.toISOString()).toBe('2026-11-28T10:00:00.000Z')
    const deps = { config, outbox: createOutbox({ clock: fixedClock(NOW) }), notices }
    await scheduledNoticesJob(deps, new Date('2026-11-28T09:59:00Z'))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    const [a, b] = await Promise.all([
      scheduledNoticesJob(deps, new Date('2026-11-28T10:00:00Z')),
      scheduledNoticesJob(
        { config, outbox: createOutbox({ clock: fixedClock(NOW) }), notices },
        new Date('2026-11-28T10:00:00Z'),
      ),
    ])
    // One run plans it; the other is skipped while the first holds the job's lease, or (when the
    // first has finished by then) finds it sent: either way its messages are queued once.
    expect([a.outcome, b.outcome]).toContain('ok')
    expect((a.counts.enqueued ?? 0) + (b.counts.enqueued ?? 0)).toBe(1)
    await scheduledNoticesJob(deps, new Date('2026-11-28T10:01:00Z'))
    expect(await OutboxModel.countDocuments({ 'refs.noticeId': n.id })).toBe(1)
    expect((await notices.get(n.id)).status).toBe('sent')
  })

  it('lists who has not acknowledged; "1" from a resident acknowledges the latest notice once', async () => {
    const { notices, actor, community, elders } = await setup()
    const n = await notices.create(
      {
        communityId: String(community._id),
        tags: ['独居老人'],
        title: '寒潮预警',
        body: '今晚降温，注意保暖。',
        requireAck: true,
      },
      actor,
    )
    const sent = await notices.send(n.id, {}, actor)
    expect(sent.planned).toEqual({ rooms: 0, persons: 3 })
    expect((await OutboxModel.findOne({ 'to.type': 'person' }).lean())?.text).toContain('收到请回复1')
    const [a] = elders.map((e) => String(e._id))
    expect(await notices.acknowledgeLatest(a as string)).toEqual({
      noticeId: n.id,
      title: '寒潮预警',
      recorded: true,
    })
    expect(await notices.acknowledge(n.id, a as string)).toEqual({ recorded: false })
    const report = await notices.acks(n.id)
    expect(report.acknowledged.map((p) => p.name)).toEqual(['孙奶奶'])
    expect(report.pending.map((p) => p.name).sort()).toEqual(['吴奶奶', '周爷爷'].sort())
  })

  it('previews the reach before sending, naming the vulnerable residents no message will reach', async () => {
    const clock = fixedClock(NOW)
    const outbox = createOutbox({ clock })
    const notices = createNoticeService({
      clock,
      outbox,
      settings: { ...settings, vulnerableTags: ['独居老人'] },
    })
    const made = await makeCommunity()
    const community = made.community
    const grid = await made.grid(1)
    const staffer = await makePerson({
      name: '王主任',
      communityId: community._id,
      roles: ['community_staff'],
    })
    const actor = staffActor(staffer, ['community_staff'], [community._id])
    const home = await makeHousehold({
      communityId: community._id,
      gridId: grid._id,
      building: '7',
      room: '301',
    })
    await makePerson({
      name: '王丽娟',
      communityId: community._id,
      gridId: grid._id,
      householdId: home._id,
      tags: ['独居老人'],
    })
    await makePerson({
      name: '王丽娟',
      communityId: community._id,
      gridId: grid._id,
      contactId: 'wx-wlj',
      tags: ['独居老人'],
    })
    await makePerson({ name: '李明', communityId: community._id, gridId: grid._id, contactId: 'wx-lm' })
    await bindRoom({ roomId: 'room-7', communityId: community._id, gridId: grid._id, code: 'KC-07' })
    const n = await notices.create(
      {
        communityId: String(community._id),
        gridIds: [String(grid._id)],
        title: '停水通知',
        body: '明天停水。',
        channels: ['rooms', 'persons'],
      },
      actor,
    )
    const reach = await notices.reach(n.id)
    expect(reach.rooms.map((r) => r.roomId)).toEqual(['room-7'])
    expect(reach.persons).toBe(3)
    expect(reach.withWeChat).toBe(2)
    expect(reach.vulnerable.persons).toBe(2)
    expect(reach.vulnerable.withoutWeChat.map((p) => [p.name, p.address])).toEqual([
      ['王丽娟', '7号楼1单元301'],
    ])
    // Nothing was sent by looking.
    expect(await OutboxModel.countDocuments({})).toBe(0)
  })

  it('tells apart pending residents by address and asks their follower once, in one click', async () => {
    const { notices, actor, community, elders, party } = await setup()
    const n = await notices.create(
      {
        communityId: String(community._id),
        tags: ['独居老人'],
        title: '寒潮预警',
        body: '今晚降温。',
        requireAck: true,
      },
      actor,
    )
    await notices.send(n.id, {}, actor)
    const report = await notices.acks(n.id)
    const sun = report.pending.find((p) => p.name === '孙奶奶')
    expect(sun?.address).toBe('3号楼1单元201')
    expect(sun?.follower).toEqual({ personId: String(party._id), name: '钱党员', role: 'party_member' })
    const first = await notices.followUp(n.id, String(elders[0]?._id))
    expect(first.queued).toBe(true)
    const again = await notices.followUp(n.id, String(elders[0]?._id))
    expect(again.queued).toBe(false)
    const asked = await OutboxModel.find({ 'to.id': String(party._id), kind: 'task' }).lean()
    expect(asked).toHaveLength(1)
    expect(asked[0]?.text).toContain('3号楼1单元201 孙奶奶 还没有确认收到')
    await notices.acknowledge(n.id, String(elders[1]?._id))
    await expect(notices.followUp(n.id, String(elders[1]?._id))).rejects.toThrow(/已经确认收到/)
  })

  it('vulnerable residents who did not reply are named to their party member or grid worker, once', async () => {
    const { notices, actor, community, elders, worker, party } = await setup()
    const n = await notices.create(
      {
        communityId: String(community._id),
        tags: ['独居老人'],
        title: '寒潮预警',
        body: '今晚降温。',
        requireAck: true,
      },
      actor,
    )
    await notices.send(n.id, {}, actor)
    await notices.acknowledge(n.id, String(elders[2]?._id))
    const deps = { config, outbox: createOutbox({ clock: fixedClock(NOW) }), notices }
    const early = await noticeAckFollowUpJob(deps, new Date(NOW.getTime() + 23 * 3600_000))
    expect(early.counts.done ?? 0).toBe(0)
    const later = new Date(NOW.getTime() + 25 * 3600_000)
    await noticeAckFollowUpJob(deps, later)
    await noticeAckFollowUpJob(deps, new Date(later.getTime() + 15 * 60_000))
    const follow = await OutboxModel.find({ kind: 'follow_up' }).lean()
    expect(follow).toHaveLength(2)
    const toParty = follow.find((m) => m.to?.id === String(party._id))
    const toWorker = follow.find((m) => m.to?.id === String(worker._id))
    expect(toParty?.text).toContain('孙奶奶（独居老人）3号楼1单元201')
    expect(toWorker?.text).toContain('周爷爷')
    expect(toWorker?.text).not.toContain('吴奶奶')
  })

  it('refuses non-staff, empty scopes and bad times politely', async () => {
    const { notices, actor, community, elders } = await setup()
    const resident = staffActor(elders[0] as never, ['resident'], [])
    await expect(
      notices.create({ communityId: String(community._id), title: 't', body: 'b' }, resident),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const n = await notices.create(
      { communityId: String(community._id), tags: ['不存在的标签'], title: 't', body: 'b' },
      actor,
    )
    await expect(notices.send(n.id, {}, actor)).rejects.toThrow('没有已绑定的群或居民')
    await expect(notices.send(n.id, { at: 'next week' }, actor)).rejects.toThrow('格式不正确')
    await expect(notices.get('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
