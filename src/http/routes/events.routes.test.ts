import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { testAuth } from '../../../test/auth.js'
import { bindRoom, makeCommunity, makePerson } from '../../../test/community-fixtures.js'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { silentLogger } from '../../lib/logger.js'
import { EventModel, EventSignupModel } from '../../models/event.model.js'
import { NoticeAckModel, NoticeModel } from '../../models/notice.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { RoomBindingModel } from '../../models/room-binding.model.js'
import { createEventService } from '../../services/events/event.service.js'
import { createNoticeService } from '../../services/notices/notice.service.js'
import { createOutbox } from '../../services/outbox/outbox.service.js'
import { createPointsService } from '../../services/points/points.service.js'
import { createApp } from '../app.js'
import { authenticate } from '../middleware/auth.js'
import { eventsRoutes } from './events.routes.js'
import { noticesRoutes } from './notices.routes.js'

const NOW = new Date('2026-11-28T02:00:00Z')

async function setup() {
  const clock = fixedClock(NOW)
  const outbox = createOutbox({ clock })
  const events = createEventService({
    clock,
    outbox,
    settings: { timezone: 'Asia/Shanghai', reminderOffsetsMinutes: [1440, 60] },
    points: createPointsService({ clock }),
  })
  const notices = createNoticeService({
    clock,
    outbox,
    settings: { timezone: 'Asia/Shanghai', confirmAboveRooms: 1, confirmAbovePersons: 200 },
  })
  const { auth, bearer } = testAuth(NOW)
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: 64,
    middleware: [authenticate(auth)],
    routers: [eventsRoutes({ events }), noticesRoutes({ notices })],
  })
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const staff = await makePerson({
    name: '王主任',
    communityId: community._id,
    roles: ['community_staff'],
    staff: { communityIds: [community._id] },
  })
  const resident = await makePerson({ name: '李阿姨', communityId: community._id, gridId: g1._id })
  await bindRoom({ roomId: 'room-a', communityId: community._id, gridId: g1._id, code: 'KC-01' })
  await bindRoom({ roomId: 'room-b', communityId: community._id })
  return {
    http: request(app.callback()),
    clock,
    community,
    staffAuth: await bearer(String(staff._id)),
    residentAuth: await bearer(String(resident._id)),
    resident,
  }
}

describe('events and notices routes', () => {
  void [
    EventModel,
    EventSignupModel,
    NoticeModel,
    NoticeAckModel,
    OutboxModel,
    ResidentModel,
    RoomBindingModel,
  ]
  useTestDatabase()

  it('staff create an event; a resident lists it, signs up, cancels, and checks in with the code', async () => {
    const { http, staffAuth, residentAuth, community, clock } = await setup()
    const created = await http
      .post('/api/v1/events')
      .set('authorization', staffAuth)
      .send({
        communityId: String(community._id),
        title: '义诊',
        place: '卫生站',
        startsAt: '2026-12-01 09:00',
        endsAt: '2026-12-01 11:00',
        capacity: 10,
        volunteerHours: 1,
      })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    const list = await http.get('/api/v1/events').set('authorization', residentAuth)
    expect(list.status).toBe(200)
    expect(list.body.items.map((e: { title: string }) => e.title)).toEqual(['义诊'])
    const signup = await http.post(`/api/v1/events/${id}/signup`).set('authorization', residentAuth)
    expect(signup.status).toBe(201)
    expect(signup.body.status).toBe('confirmed')
    expect((await http.post(`/api/v1/events/${id}/signup`).set('authorization', residentAuth)).status).toBe(
      200,
    )
    const cancelled = await http.delete(`/api/v1/events/${id}/signup`).set('authorization', residentAuth)
    expect(cancelled.body).toEqual({ cancelled: true })
    clock.set(new Date('2026-12-01T01:30:00Z'))
    const checkin = await http
      .post('/api/v1/events/checkin')
      .set('authorization', residentAuth)
      .send({ code: created.body.checkinCode })
    expect(checkin.status).toBe(200)
    expect(checkin.body).toMatchObject({ title: '义诊', already: false, pointsCredited: 5 })
  })

  it('residents cannot create events; bad input is a 400 with a Chinese message; unknown ids 404', async () => {
    const { http, staffAuth, residentAuth, community } = await setup()
    const body = {
      communityId: String(community._id),
      title: '义诊',
      place: '卫生站',
      startsAt: '2026-12-01 09:00',
      endsAt: '2026-12-01 11:00',
    }
    expect((await http.post('/api/v1/events').set('authorization', residentAuth).send(body)).status).toBe(403)
    expect((await http.post('/api/v1/events').send(body)).status).toBe(401)
    const bad = await http
      .post('/api/v1/events')
      .set('authorization', staffAuth)
      .send({ ...body, endsAt: '2026-12-01 08:00' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toBe('结束时间要晚于开始时间')
    const injected = await http
      .post('/api/v1/events')
      .set('authorization', staffAuth)
      .send({ ...body, title: { $gt: '' } })
    expect(injected.status).toBe(400)
    expect(
      (await http.post('/api/v1/events/not-an-id/signup').set('authorization', residentAuth)).status,
    ).toBe(400)
    expect(
      (await http.post(`/api/v1/events/${'a'.repeat(24)}/signup`).set('authorization', residentAuth)).status,
    ).toBe(404)
    const wrongCode = await http
      .post('/api/v1/events/checkin')
      .set('authorization', residentAuth)
      .send({ code: 'ABCDEF' })
    expect(wrongCode.status).toBe(404)
  })

  it('notices: a large scope answers 409 with how many would receive it; confirmed, delivery and acks are readable', async () => {
    const { http, staffAuth, residentAuth, community, resident } = await setup()
    const created = await http
      .post('/api/v1/notices')
      .set('authorization', staffAuth)
      .send({
        communityId: String(community._id),
        title: '停暖通知',
        body: '明天检修停暖。',
        requireAck: true,
        channels: ['rooms', 'persons'],
      })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    const refused = await http.post(`/api/v1/notices/${id}/send`).set('authorization', staffAuth).send({})
    expect(refused.status).toBe(409)
    expect(refused.body.error.message).toBe('本通知将发送到 2 个群、2 位居民，范围较大，请确认后再发送')
    const sent = await http
      .post(`/api/v1/notices/${id}/send`)
      .set('authorization', staffAuth)
      .send({ confirm: true })
    expect(sent.status).toBe(200)
    expect(sent.body).toMatchObject({ status: 'sent', enqueued: 4 })
    const delivery = await http.get(`/api/v1/notices/${id}/delivery`).set('authorization', staffAuth)
    expect(delivery.body.totals.queued).toBe(4)
    expect(delivery.body.rooms.map((r: { roomId: string }) => r.roomId).sort()).toEqual(['room-a', 'room-b'])
    expect((await http.get(`/api/v1/notices/${id}/acks`).set('authorization', residentAuth)).status).toBe(403)
    await NoticeAckModel.create({ noticeId: id, personId: resident._id, at: NOW })
    const acks = await http.get(`/api/v1/notices/${id}/acks`).set('authorization', staffAuth)
    expect(acks.body.acknowledged.map((p: { name: string }) => p.name)).toEqual(['李阿姨'])
    expect(acks.body.pending.map((p: { name: string }) => p.name)).toEqual(['王主任'])
  })

  it('a street notice over HTTP: needs an Idempotency-Key, answers 201 then 200 for the retry, 403 to a resident', async () => {
    const { http, staffAuth, residentAuth } = await setup()
    const body = { title: '停水通知', body: '明天上午停水。', confirm: true }
    const noKey = await http.post('/api/v1/notices/batch').set('authorization', staffAuth).send(body)
    expect(noKey.status).toBe(400)
    expect(noKey.body.error.message).toContain('Idempotency-Key')
    const resident = await http
      .post('/api/v1/notices/batch')
      .set('authorization', residentAuth)
      .set('idempotency-key', 'resident-try-01')
      .send(body)
    expect(resident.status).toBe(403)
    const send = () =>
      http
        .post('/api/v1/notices/batch')
        .set('authorization', staffAuth)
        .set('idempotency-key', 'office-batch-01')
        .send(body)
    const preview = await http
      .post('/api/v1/notices/batch')
      .set('authorization', staffAuth)
      .set('idempotency-key', 'office-batch-01')
      .send({ ...body, dryRun: true })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({ dryRun: true, rooms: 2, enqueued: 0 })
    const first = await send()
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ rooms: 2, enqueued: 2, replayed: false, skipped: [] })
    expect(first.body.notices).toEqual([expect.objectContaining({ communityName: 'KC社区', rooms: 2 })])
    const retry = await send()
    expect(retry.status).toBe(200)
    expect(retry.body).toMatchObject({ batchId: first.body.batchId, enqueued: 0, replayed: true })
    expect(await OutboxModel.countDocuments({ kind: 'notice' })).toBe(2)
    const unknownField = await http
      .post('/api/v1/notices/batch')
      .set('authorization', staffAuth)
      .set('idempotency-key', 'office-batch-02')
      .send({ ...body, gridIds: ['x'] })
    expect(unknownField.status).toBe(400)
  })
})
