import { describe, expect, it } from 'vitest'
import { bindRoom, makeCommunity, makePerson, staffActor } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { EventModel, EventSignupModel } from '../../models/event.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { PointsEntryModel } from '../../models/points.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createPointsService } from '../points/points.service.js'
import { createEventService } from './event.service.js'
import { formatLocal, parseEventTime } from './event.time.js'

const NOW = new Date('2026-11-28T02:00:00Z') // 10:00 in Shanghai
const settings = { timezone: 'Asia/Shanghai', reminderOffsetsMinutes: [1440, 60] }

async function setup(capacity = 2) {
  const clock = fixedClock(NOW)
  const outbox = createOutbox({ clock })
  const points = createPointsService({ clock })
  const events = createEventService({ clock, outbox, settings, points })
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const g2 = await grid(2)
  const staffer = await makePerson({
    name: '王主任',
    communityId: community._id,
    roles: ['community_staff'],
    staff: { communityIds: [community._id] },
  })
  const actor = staffActor(staffer, ['community_staff'], [community._id])
  const people = await Promise.all(
    ['张一', '张二', '张三', '张四'].map((name) =>
      makePerson({ name, communityId: community._id, gridId: g1._id }),
    ),
  )
  const event = await events.create(
    {
      communityId: String(community._id),
      title: '邻里节包饺子',
      place: '社区活动中心',
      startsAt: '2026-12-01 09:00',
      endsAt: '2026-12-01 11:00',
      capacity,
      volunteerHours: 2,
    },
    actor,
  )
  return { clock, events, community, g1, g2, staffer, actor, people, event }
}

describe('event service', () => {
  void [EventModel, EventSignupModel, OutboxModel, PointsEntryModel, ResidentModel, RoomBindingModel]
  useTestDatabase()

  it('reads wall-clock times in Asia/Shanghai and gives each event a short check-in code', async () => {
    const { event } = await setup()
    expect(event.startsAt.toISOString()).toBe('2026-12-01T01:00:00.000Z')
    expect(event.code).toMatch(/^[2-9A-Z]{6}$/)
    expect(event.remindOffsetsMinutes).toEqual([1440, 60])
    expect(parseEventTime('2026-12-01T00:30+01:00', 'Asia/Shanghai')?.toISOString()).toBe(
      '2026-11-30T23:30:00.000Z',
    )
    expect(formatLocal(new Date('2026-11-30T16:30:00Z'), 'Asia/Shanghai')).toBe('12月1日（周二）00:30')
  })

  it('refuses bad input and non-staff with clear Chinese messages', async () => {
    const { events, community, people, actor } = await setup()
    const base = { communityId: String(community._id), title: 't', place: 'p', startsAt: '2026-12-02 09:00' }
    await expect(events.create({ ...base, endsAt: '2026-12-02 08:00' }, actor)).rejects.toThrow(
      '结束时间要晚于开始时间',
    )
    await expect(events.create({ ...base, endsAt: 'tomorrow' }, actor)).rejects.toThrow('格式不正确')
    const resident = staffActor(people[0] as never, ['resident'], [])
    await expect(events.create({ ...base, endsAt: '2026-12-02 10:00' }, resident)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
  })

  it('fills places, then keeps a waiting list; a cancellation promotes the first waiting and tells them', async () => {
    const { events, event, people } = await setup(2)
    const [a, b, c, d] = people.map((p) => String(p._id)) as [string, string, string, string]
    expect((await events.signUp(event.id, a)).status).toBe('confirmed')
    expect((await events.signUp(event.id, b)).status).toBe('confirmed')
    const third = await events.signUp(event.id, c)
    expect(third).toMatchObject({ status: 'waiting', position: 1 })
    expect(await events.signUp(event.id, d)).toMatchObject({ status: 'waiting', position: 2 })
    expect((await events.signUp(event.id, c)).already).toBe(true)

    const res = await events.cancelSignup(event.id, a)
    expect(res).toEqual({ cancelled: true, promotedPersonId: c })
    const list = await events.signups(event.id)
    expect(
      list
        .filter((s) => s.status === 'confirmed')
        .map((s) => s.personId)
        .sort(),
    ).toEqual([b, c].sort())
    expect(list.find((s) => s.personId === d)).toMatchObject({ status: 'waiting', position: 1 })
    const told = await OutboxModel.find({ 'to.id': c }).lean()
    expect(told).toHaveLength(1)
    expect(told[0]?.text).toContain('从候补转为正式报名')
  })

  it('never lets concurrent sign-ups exceed the capacity', async () => {
    const { events, community, g1 } = await setup(5)
    const many = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        makePerson({ name: `居民${i}`, communityId: community._id, gridId: g1._id }),
      ),
    )
    const [event] = await events.listForCommunity(String(community._id))
    if (!event) throw new Error('event missing')
    const results = await Promise.all(many.map((p) => events.signUp(event.id, String(p._id))))
    expect(results.filter((r) => r.status === 'confirmed')).toHaveLength(5)
    expect(results.filter((r) => r.status === 'waiting')).toHaveLength(7)
    expect(await EventSignupModel.countDocuments({ status: 'confirmed' })).toBe(5)
  })

  it('check-in by code credits volunteer hours once and only during the event', async () => {
    const { events, event, people, clock } = await setup(2)
    const a = String(people[0]?._id)
    await events.signUp(event.id, a)
    await expect(events.checkIn(event.checkinCode, a)).rejects.toThrow('不在签到时间内')
    clock.set(new Date('2026-12-01T01:10:00Z'))
    // The public sign-up code (listed in chat) does not check anyone in: only the one shown at the event.
    expect(event.checkinCode).not.toBe(event.code)
    await expect(events.checkIn(event.code, a)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const first = await events.checkIn(event.checkinCode.toLowerCase(), a)
    expect(first).toMatchObject({ already: false, pointsCredited: 10 })
    const again = await events.checkIn(event.checkinCode, a)
    expect(again.already).toBe(true)
    expect(await PointsEntryModel.countDocuments({ personId: people[0]?._id })).toBe(1)
    await expect(events.checkIn('ZZZZZZ', a)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('moving an event tells everyone signed up; cancelling tells them and the groups in scope', async () => {
    const { events, event, people, actor, community, g1 } = await setup(1)
    await bindRoom({ roomId: 'room-g1', communityId: community._id, gridId: g1._id, code: 'KC-01' })
    const [a, b] = people.map((p) => String(p._id)) as [string, string]
    await events.signUp(event.id, a)
    await events.signUp(event.id, b) // waiting
    const moved = await events.update(
      event.id,
      { startsAt: '2026-12-01 14:00', endsAt: '2026-12-01 16:00' },
      actor,
    )
    expect(moved.revision).toBe(1)
    expect(await OutboxModel.countDocuments({ key: /:moved:1:/ })).toBe(2)
    await events.update(event.id, { title: '邻里节包饺子（改）' }, actor)
    expect(await OutboxModel.countDocuments({ key: /:moved:/ })).toBe(2)

    const cancelled = await events.cancel(event.id, '天气原因', actor)
    expect(cancelled.status).toBe('cancelled')
    await events.cancel(event.id, '天气原因', actor)
    const notes = await OutboxModel.find({ key: /:cancelled:/ }).lean()
    expect(notes.map((n) => n.to?.id).sort()).toEqual([a, b, 'room-g1'].sort())
    expect(notes[0]?.text).toContain('天气原因')
    await expect(events.signUp(event.id, String(people[2]?._id))).rejects.toThrow('活动已取消')
  })

  it('lists events of the resident community and grid only; opt-out is stored on the resident', async () => {
    const { events, actor, community, g2, people } = await setup()
    await events.create(
      {
        communityId: String(community._id),
        gridIds: [String(g2._id)],
        title: '二网格议事会',
        place: '二网格活动室',
        startsAt: '2026-12-03 19:00',
        endsAt: '2026-12-03 20:00',
      },
      actor,
    )
    const mine = await events.listForPerson(String(people[0]?._id))
    expect(mine.map((e) => e.title)).toEqual(['邻里节包饺子'])
    await expect(
      events.signUp(
        (await events.listForCommunity(String(community._id)))[1]?.id ?? '',
        String(people[0]?._id),
      ),
    ).rejects.toThrow('仅限指定网格')
    await events.setReminders(String(people[0]?._id), false)
    expect((await ResidentModel.findById(people[0]?._id).lean())?.preferences?.reminders).toBe(false)
  })
})
