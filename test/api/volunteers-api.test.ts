import { describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { HouseholdProxyModel } from '../../src/models/household-proxy.model.js'
import { NoticeHouseholdAckModel } from '../../src/models/notice.model.js'
import { PointsEntryModel } from '../../src/models/points.model.js'
import { VolunteerAssignmentModel, VolunteerNeedModel } from '../../src/models/volunteer.model.js'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

void [HouseholdProxyModel, VolunteerNeedModel]

describe('volunteers and proxies over HTTP', () => {
  useTestDatabase()

  it('ten volunteers accepting one need at once: one 201, nine polite 409s; then done credits hours once', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const people = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        createPerson(`志愿者${i}`, ['resident'], { communityId: w.community._id, gridId: w.grid._id }),
      ),
    )
    const auth = await Promise.all(people.map((p) => api.bearer(p._id)))
    for (const a of auth) {
      const res = await api.http
        .put('/api/v1/volunteers/me')
        .set('authorization', a)
        .send({ skills: ['维修'] })
      expect(res.status).toBe(200)
    }
    const bad = await api.http
      .put('/api/v1/volunteers/me')
      .set('authorization', auth[0] as string)
      .send({ skills: ['开飞机'] })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('技能请从这些里选')

    const posted = await api.http
      .post('/api/v1/volunteer-needs')
      .set(await w.headers('staff'))
      .send({
        communityId: String(w.community._id),
        skill: '维修',
        description: '帮残疾居民修水龙头',
        startsAt: '2026-11-28 10:00',
        householdId: String(w.home._id),
        requesterId: String(w.zhang._id),
      })
    expect(posted.status).toBe(201)
    expect(posted.body.offeredTo).toHaveLength(3)
    const id = posted.body.id as string

    const results = await Promise.all(
      auth.map((a) => api.http.post(`/api/v1/volunteer-needs/${id}/accept`).set('authorization', a).send({})),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([201, ...Array(9).fill(409)])
    expect(results.find((r) => r.status === 409)?.body.error.message).toBe(
      '这个需求已经有志愿者接了，谢谢您的热心',
    )
    expect(await VolunteerAssignmentModel.countDocuments({ needId: id })).toBe(1)

    const winner = auth[results.findIndex((r) => r.status === 201)] as string
    const done = () =>
      api.http.post(`/api/v1/volunteer-needs/${id}/done`).set('authorization', winner).send({ hours: 2 })
    expect((await done()).body.pointsCredited).toBe(10)
    expect((await done()).body.pointsCredited).toBe(0)
    expect(await PointsEntryModel.countDocuments({ reason: 'volunteer_hours' })).toBe(1)
    const rating = await api.http
      .post(`/api/v1/volunteer-needs/${id}/rating`)
      .set(await w.headers('reporter'))
      .send({ score: 6 })
    expect(rating.status).toBe(400)
    const rated = await api.http
      .post(`/api/v1/volunteer-needs/${id}/rating`)
      .set(await w.headers('reporter'))
      .send({ score: 5 })
    expect(rated.body.rating.score).toBe(5)
  })

  it('a proxy reports for the household it is linked to; anyone else is refused and nothing is opened', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const daughter = await createPerson('张女儿', ['resident'])
    const link = await api.http
      .post(`/api/v1/households/${String(w.home._id)}/proxies`)
      .set(await w.headers('staff'))
      .send({ personId: String(daughter._id), relation: 'family', label: '我爸' })
    expect(link.status).toBe(201)
    const again = await api.http
      .post(`/api/v1/households/${String(w.home._id)}/proxies`)
      .set(await w.headers('staff'))
      .send({ personId: String(daughter._id), relation: 'family' })
    expect([again.status, again.body.error.message]).toEqual([409, '这位已经是这户的代办人了'])

    const report = (auth: Record<string, string>, key: string) =>
      api.http
        .post(`/api/v1/households/${String(w.home._id)}/cases`)
        .set(auth)
        .set('idempotency-key', key)
        .send({ text: '家里暖气不热了' })
    const refused = await report(await w.headers('neighbour'), 'neighbour-0001')
    expect(refused.status).toBe(403)
    expect(refused.body.error.message).toBe(
      '您还没有登记为这户的代办人，不能替这户办理。请联系社区网格员登记后再试',
    )
    expect(await CaseModel.countDocuments()).toBe(0)

    const opened = await report({ authorization: await api.bearer(daughter._id) }, 'daughter-0001')
    expect(opened.status).toBe(201)
    expect(opened.body.case.proxyFor).toEqual({
      householdId: String(w.home._id),
      actedById: String(daughter._id),
    })
    expect(opened.body.case.location.householdId).toBe(String(w.home._id))
    const mine = await api.http
      .get('/api/v1/proxies/mine')
      .set('authorization', await api.bearer(daughter._id))
    expect(mine.body.items.map((p: { address: string; label: string }) => [p.address, p.label])).toEqual([
      ['3号楼2单元301', '我爸'],
    ])

    // A case 张三 reports for his own home reaches the proxy too: she follows it.
    const own = await api.http
      .post('/api/v1/cases')
      .set(await w.headers('reporter'))
      .set('idempotency-key', 'zhang-own-0001')
      .send({ text: '楼道灯坏了，晚上很黑' })
    expect(own.status).toBe(201)
    const hers = await api.http.get('/api/v1/cases/mine').set('authorization', await api.bearer(daughter._id))
    expect(hers.body.items.map((c: { number: string }) => c.number)).toContain(own.body.case.number)

    // Unlinked by staff: the next report is refused.
    await api.http
      .delete(`/api/v1/household-proxies/${link.body.id}`)
      .set(await w.headers('staff'))
      .expect(204)
    const after = await report({ authorization: await api.bearer(daughter._id) }, 'daughter-0002')
    expect(after.status).toBe(403)
    expect(await CaseModel.countDocuments()).toBe(2)
  })
})

describe('a proxy acknowledges a notice for the household', () => {
  useTestDatabase()

  it('once per household whoever of its proxies says 收到, refused for anyone not linked', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const daughter = await createPerson('张女儿', ['resident'])
    const liaison = await createPerson('联户长老刘', ['resident'])
    for (const [p, relation] of [
      [daughter, 'family'],
      [liaison, 'lianhuzhang'],
    ] as const)
      await api.http
        .post(`/api/v1/households/${String(w.home._id)}/proxies`)
        .set(await w.headers('staff'))
        .send({ personId: String(p._id), relation })
        .expect(201)
    const notice = await api.http
      .post('/api/v1/notices')
      .set(await w.headers('staff'))
      .send({
        communityId: String(w.community._id),
        title: '停水通知',
        body: '周三 9:00–12:00 停水',
        requireAck: true,
        channels: ['persons'],
      })
    await api.http
      .post(`/api/v1/notices/${notice.body.id}/send`)
      .set(await w.headers('staff'))
      .send({ confirm: true })
      .expect(200)
    const ack = (personId: unknown) =>
      api.bearer(personId).then((auth) =>
        api.http
          .post(`/api/v1/households/${String(w.home._id)}/notice-acks`)
          .set('authorization', auth)
          .send({ noticeId: notice.body.id }),
      )

    const refused = await ack(w.people.neighbour)
    expect([refused.status, refused.body.error.message]).toEqual([
      403,
      '您还没有登记为这户的代办人，不能替这户办理。请联系社区网格员登记后再试',
    ])
    // Both proxies, five times each, at once: one acknowledgement for the household.
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ack(i % 2 ? daughter._id : liaison._id)),
    )
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
    const first = all.find((r) => r.status === 201)?.body
    expect(first.proxyFor.householdId).toBe(String(w.home._id))
    expect(all.every((r) => r.body.proxyFor.actedById === first.proxyFor.actedById)).toBe(true)
    expect(await NoticeHouseholdAckModel.countDocuments()).toBe(1)

    const report = await api.http.get(`/api/v1/notices/${notice.body.id}/acks`).set(await w.headers('staff'))
    const zhang = report.body.acknowledged.find(
      (p: { personId: string }) => p.personId === String(w.zhang._id),
    )
    expect(zhang.proxyAck.actedByName).toMatch(/张女儿|联户长老刘/)
    expect(report.body.pending.map((p: { name: string }) => p.name)).not.toContain('张三')
    expect(report.body.pending.map((p: { name: string }) => p.name)).toContain('李四')
  })
})

describe('a case flagged 需要志愿者 over HTTP', () => {
  useTestDatabase()

  it('posts one need per case (ten flags at once), offers it, and the case timeline follows its outcome', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await api.services.volunteers.register(String(w.li._id), { skills: ['维修'] })
    const opened = await api.http
      .post('/api/v1/cases')
      .set(await w.headers('reporter'))
      .set('idempotency-key', 'tap-leak-0001')
      .send({ text: '家里水龙头一直滴水，老人自己修不了' })
    const number = opened.body.case.number as string
    const flag = async (who: 'worker' | 'reporter') =>
      api.http
        .post(`/api/v1/cases/${number}/volunteer-need`)
        .set(await w.headers(who))
        .send({ skill: '维修', startsAt: '2026-11-28 10:00' })

    const refused = await flag('reporter')
    expect(refused.status).toBe(403)
    const all = await Promise.all(Array.from({ length: 10 }, () => flag('worker')))
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
    expect(new Set(all.map((r) => r.body.need.code)).size).toBe(1)
    expect(await VolunteerNeedModel.countDocuments({ caseId: opened.body.case.id })).toBe(1)
    const need = all.find((r) => r.status === 201)?.body.need
    expect(need.caseNumber).toBe(number)
    expect(need.description).toContain(number)
    expect(need.offeredTo.map((o: { name: string }) => o.name)).toEqual(['李四'])

    const timeline = async () =>
      (await api.http.get(`/api/v1/cases/${number}`).set(await w.headers('worker'))).body.timeline.filter(
        (t: { action: string }) => t.action.startsWith('volunteer'),
      )
    expect(
      (await timeline()).map((t: { actionLabel: string; note: string }) => [t.actionLabel, t.note]),
    ).toEqual([['需要志愿者', `需要志愿者（维修），志愿需求 ${need.code} 已发给 1 位志愿者`]])
    await api.http
      .post(`/api/v1/volunteer-needs/${need.id}/accept`)
      .set(await w.headers('neighbour'))
      .send({})
    await api.http
      .post(`/api/v1/volunteer-needs/${need.id}/done`)
      .set(await w.headers('neighbour'))
      .send({ hours: 1 })
      .expect(200)
    expect((await timeline()).map((t: { note: string }) => t.note).slice(1)).toEqual([
      `志愿者已接单（志愿需求 ${need.code}）`,
      `志愿服务已完成（志愿需求 ${need.code}）`,
    ])
    const shown = await api.http.get(`/api/v1/cases/${number}`).set(await w.headers('worker'))
    expect(shown.body.volunteerNeed).toMatchObject({ code: need.code, skill: '维修', needId: need.id })
  })
})
