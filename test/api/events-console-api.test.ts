import { describe, expect, it } from 'vitest'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { planEventReminders } from '../../src/services/events/event.reminders.js'
import { useTestDatabase } from '../db.js'
import { createHousehold, createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

/** A KH-01 health check on 28 November 09:30–11:00, the day after API_NOW, reminded 1 day and 2 hours before. */
function form(w: Awaited<ReturnType<typeof makeApiWorld>>) {
  return {
    communityId: String(w.community._id),
    gridIds: [String(w.grid._id)],
    title: '社区义诊',
    description: '量血压、测血糖',
    place: '社区活动室',
    startsAt: '2026-11-28 09:30',
    endsAt: '2026-11-28 11:00',
    capacity: 2,
    remindOffsetsMinutes: [1440, 120],
    remindRooms: false,
  }
}

describe('events for the staff console over HTTP: create, edit, sign-ups with homes, check-ins, cancel', () => {
  useTestDatabase()

  it('a bad form is a 400 naming the field in Chinese; an edit changes only what it sends', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const post = (body: unknown) =>
      api.http
        .post('/api/v1/events')
        .set(staff)
        .send(body as object)

    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ capacity: '十个' }, 'capacity', '人数上限要填数字'],
      [{ title: '' }, 'title', '活动名称：请填写活动名称'],
      [{ startsAt: 20261128 }, 'startsAt', '开始时间：时间格式不正确，请写成 2026-12-01 09:30'],
      [{ remindOffsetsMinutes: [-60] }, 'remindOffsetsMinutes.0', '提醒时间要在活动开始之前'],
      [{ colour: 'red' }, '', '不认识的字段：colour'],
    ]
    for (const [change, path, message] of cases) {
      const res = await post({ ...form(w), ...change })
      expect(res.status, JSON.stringify(change)).toBe(400)
      expect(res.body.error.message).toBe(message)
      expect(res.body.error.details[0].path).toBe(path)
    }
    const late = await post({ ...form(w), endsAt: '2026-11-28 09:00' })
    expect([late.status, late.body.error.message]).toEqual([400, '结束时间要晚于开始时间'])

    const created = await post(form(w))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      capacity: 2,
      remindOffsetsMinutes: [1440, 120],
      status: 'scheduled',
    })
    const id = created.body.id as string
    const edited = await api.http.patch(`/api/v1/events/${id}`).set(staff).send({ place: '社区会议室' })
    expect(edited.status).toBe(200)
    // The place moved; the grids, the capacity and the description stayed as they were.
    expect(edited.body).toMatchObject({
      place: '社区会议室',
      gridIds: [String(w.grid._id)],
      capacity: 2,
      description: '量血压、测血糖',
      revision: 1,
    })
    const wrong = await api.http.patch(`/api/v1/events/${id}`).set(staff).send({ capacity: -1 })
    expect([wrong.status, wrong.body.error.message]).toEqual([400, '人数上限不能小于 0'])
    const read = await api.http.get(`/api/v1/events/${id}`).set(staff)
    expect(read.body).toMatchObject({ place: '社区会议室', code: created.body.code })
  })

  it('staff see who signed up with their homes (no phones), the waiting list and check-ins; residents never see the code', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    // Two residents with the same name in different homes.
    const homes = await Promise.all([
      createHousehold(w.grid, '5', '1', '102'),
      createHousehold(w.grid, '3', '1', '201'),
    ])
    const [fangA, fangB] = await Promise.all(
      homes.map((h) =>
        createPerson('王芳', ['resident'], {
          communityId: w.community._id,
          gridId: w.grid._id,
          householdId: h._id,
        }),
      ),
    )
    await ResidentModel.updateMany({}, { $set: { phoneEnc: 'secret-13800001111', phoneHash: 'h' } })
    const created = await api.http.post('/api/v1/events').set(staff).send(form(w))
    const id = created.body.id as string
    const code = created.body.checkinCode as string

    const signUp = async (personId: unknown) =>
      api.http.post(`/api/v1/events/${id}/signup`).set('authorization', await api.bearer(personId))
    expect((await signUp(fangA?._id)).status).toBe(201)
    expect((await signUp(fangB?._id)).status).toBe(201)
    expect((await signUp(w.zhang._id)).body).toMatchObject({ status: 'waiting', position: 1 })

    const roster = await api.http.get(`/api/v1/events/${id}/signups`).set(staff)
    expect(roster.status).toBe(200)
    expect(roster.body.counts).toEqual({ confirmed: 2, waiting: 1, checkedIn: 0 })
    expect(
      roster.body.items.map((s: Record<string, string>) => [s.name, s.building, s.unit, s.room, s.status]),
    ).toEqual([
      ['王芳', '5', '1', '102', 'confirmed'],
      ['王芳', '3', '1', '201', 'confirmed'],
      ['张三', '3', '2', '301', 'waiting'],
    ])
    expect(roster.body.items[0]).toMatchObject({
      channel: 'miniprogram',
      signedUpAt: '2026-11-27T01:00:00.000Z',
    })
    expect(JSON.stringify(roster.body)).not.toMatch(/phone|13800001111/)

    // Residents and staff of another community: no roster, no event page, no code in their list.
    expect(
      (await api.http.get(`/api/v1/events/${id}/signups`).set(await w.headers('otherStaff'))).status,
    ).toBe(403)
    expect((await api.http.get(`/api/v1/events/${id}`).set(await w.headers('reporter'))).status).toBe(403)
    const mine = await api.http.get('/api/v1/events').set(await w.headers('reporter'))
    expect(mine.body.items.map((e: { title: string }) => e.title)).toEqual(['社区义诊'])
    expect(mine.body.items[0].checkinCode).toBeUndefined()
    expect(mine.body.items[0].code).toBe(created.body.code)
    expect(JSON.stringify(mine.body)).not.toContain(code)

    // The 2-hour reminder reaches the two confirmed sign-ups, not the waiting one.
    const reminders = await planEventReminders(new Date('2026-11-28T07:30:00+08:00'), 'Asia/Shanghai')
    expect(reminders.map((r) => r.to.id).sort()).toEqual([String(fangA?._id), String(fangB?._id)].sort())
    expect(reminders[0]?.text).toContain('2小时后开始')

    // At the event: 王芳 (5-1-102) checks in with the code; the roster shows when.
    api.clock.set(new Date('2026-11-28T09:20:00+08:00'))
    const checkin = await api.http
      .post('/api/v1/events/checkin')
      .set('authorization', await api.bearer(fangA?._id))
      .send({ code: code.toLowerCase() })
    expect(checkin.body).toMatchObject({ eventId: id, already: false })
    const after = await api.http
      .get(`/api/v1/events/${id}/signups`)
      .set('authorization', await api.bearer(w.staff._id))
    expect(after.body.counts).toEqual({ confirmed: 2, waiting: 1, checkedIn: 1 })
    expect(after.body.items[0]).toMatchObject({ room: '102', checkedInAt: '2026-11-28T01:20:00.000Z' })
    expect(after.body.items[1].checkedInAt).toBeUndefined()
  })

  it('cancelling tells everyone signed up, with the reason; the list marks it and past events are listed apart', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const staff = await w.headers('staff')
    const created = await api.http.post('/api/v1/events').set(staff).send(form(w))
    const id = created.body.id as string
    await api.http.post(`/api/v1/events/${id}/signup`).set(await w.headers('reporter'))
    const cancelled = await api.http
      .post(`/api/v1/events/${id}/cancel`)
      .set(staff)
      .send({ reason: '暴雨预警' })
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: '暴雨预警' })
    const told = await OutboxModel.find({ 'to.id': String(w.zhang._id), kind: 'event' }).lean()
    expect(told.map((m) => m.text)).toEqual([expect.stringContaining('已取消（暴雨预警）')])

    const community = String(w.community._id)
    const upcoming = await api.http.get(`/api/v1/events?communityId=${community}`).set(staff)
    expect(upcoming.body.items.map((e: { status: string }) => e.status)).toEqual(['cancelled'])
    api.clock.set(new Date('2026-12-05T09:00:00+08:00'))
    const later = { authorization: await api.bearer(w.staff._id) }
    const past = await api.http.get(`/api/v1/events?communityId=${community}&when=past`).set(later)
    expect(past.body.items.map((e: { title: string }) => e.title)).toEqual(['社区义诊'])
    const none = await api.http.get(`/api/v1/events?communityId=${community}`).set(later)
    expect(none.body.items).toEqual([])
    const bad = await api.http.get(`/api/v1/events?communityId=${community}&when=later`).set(later)
    expect(bad.status).toBe(400)
  })
})
