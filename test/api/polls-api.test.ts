import { describe, expect, it } from 'vitest'
import { PollVoteModel } from '../../src/models/poll.model.js'
import { bindRoom } from '../community-fixtures.js'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('polls and 议事 over HTTP', () => {
  useTestDatabase()

  async function world() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await bindRoom({ roomId: 'room-kh01', communityId: w.community._id, gridId: w.grid._id, code: 'KH-01' })
    const audience = { communityId: String(w.community._id), gridIds: [String(w.grid._id)] }
    return { api, w, audience }
  }

  it('opens a poll, counts one vote per household under ten concurrent requests, closes and shows results', async () => {
    const { api, w, audience } = await world()
    const staff = await w.headers('staff')
    const created = await api.http
      .post('/api/v1/polls')
      .set(staff)
      .send({
        audience,
        question: '是否加装电梯？',
        options: ['同意', '不同意'],
        deadline: '2026-12-10 18:00',
      })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ status: 'open', voteUnit: 'household', announced: 1 })
    expect(created.body.code).toMatch(/^T[A-Z0-9]{3}$/)
    const id = created.body.id as string

    // 张三's spouse lives in the same household: the two of them fire ten votes at once.
    const spouse = await createPerson('张三爱人', ['resident'], {
      communityId: w.community._id,
      gridId: w.grid._id,
      householdId: w.home._id,
    })
    const both = [await w.headers('reporter'), { authorization: await api.bearer(spouse._id) }]
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_v, i) =>
        api.http
          .post(`/api/v1/polls/${id}/votes`)
          .set(both[i % 2] as Record<string, string>)
          .send({ choices: [(i % 2) + 1] }),
      ),
    )
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)])
    const refused = replies.find((r) => r.status === 409)
    expect(refused?.body.error.message).toMatch(
      /^您家已经投过票了（选的是「\d\. .+」），每户一票，投出后不能更改$/,
    )
    expect(await PollVoteModel.countDocuments({ pollId: id })).toBe(1)

    const li = await w.headers('neighbour')
    const hidden = await api.http.get(`/api/v1/polls/${id}`).set(li)
    expect(hidden.status).toBe(200)
    expect(hidden.body.results).toBeUndefined()
    const forStaff = await api.http.get(`/api/v1/polls/${id}`).set(staff)
    expect(forStaff.body.results.grids).toEqual([
      expect.objectContaining({ gridId: String(w.grid._id), voted: 1, eligible: 1, turnout: 1 }),
    ])

    const closed = await api.http.post(`/api/v1/polls/${id}/close`).set(staff).send({})
    expect(closed.status).toBe(200)
    expect(closed.body).toMatchObject({ status: 'closed', announced: 1 })
    const shown = await api.http.get(`/api/v1/polls/${id}`).set(li)
    expect(shown.body.results.voted).toBe(1)
    const late = await api.http
      .post(`/api/v1/polls/${id}/votes`)
      .set(li)
      .send({ choices: [1] })
    expect(late.status).toBe(409)
    expect(late.body.error.message).toContain('已经结束了')
    const listed = await api.http.get('/api/v1/polls?status=closed').set(staff)
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([id])
  })

  it('answers bad input with a Chinese 400: a missing option, an option out of range, a past deadline', async () => {
    const { api, w, audience } = await world()
    const staff = await w.headers('staff')
    const base = { audience, question: '是否换门禁？', options: ['是', '否'], deadline: '2026-12-10 18:00' }
    const oneOption = await api.http
      .post('/api/v1/polls')
      .set(staff)
      .send({ ...base, options: ['是'] })
    expect(oneOption.status).toBe(400)
    expect(JSON.stringify(oneOption.body.error.details)).toContain('至少要有两个选项')
    const past = await api.http
      .post('/api/v1/polls')
      .set(staff)
      .send({ ...base, deadline: '2026-11-01 18:00' })
    expect(past.body.error.message).toBe('截止时间必须晚于现在')
    const poll = await api.http.post('/api/v1/polls').set(staff).send(base)
    const vote = (choices: unknown) =>
      w
        .headers('reporter')
        .then((h) => api.http.post(`/api/v1/polls/${poll.body.id}/votes`).set(h).send({ choices }))
    const outOfRange = await vote([3])
    expect([outOfRange.status, outOfRange.body.error.message]).toEqual([
      400,
      '请回复选项前面的数字，1 到 2 之间',
    ])
    expect((await vote('1')).status).toBe(400)
    expect(await PollVoteModel.countDocuments()).toBe(0)
  })

  it('collects 议事 opinions (names masked for other residents) and records the decision once', async () => {
    const { api, w, audience } = await world()
    const staff = await w.headers('staff')
    const topic = await api.http
      .post('/api/v1/deliberations')
      .set(staff)
      .send({ audience, title: '停车位分配', background: '新增 20 个车位', closesAt: '2026-12-10 18:00' })
    expect([topic.status, topic.body.announced]).toEqual([201, 1])
    const id = topic.body.id as string
    const said = await api.http
      .post(`/api/v1/deliberations/${id}/opinions`)
      .set(await w.headers('reporter'))
      .send({ text: '建议按住户抽签' })
    expect([said.status, said.body.opinions]).toEqual([201, 1])
    const asNeighbour = await api.http
      .get(`/api/v1/deliberations/${id}/opinions`)
      .set(await w.headers('neighbour'))
    expect(asNeighbour.body.items.map((o: { name: string }) => o.name)).toEqual(['张*'])
    const asStaff = await api.http.get(`/api/v1/deliberations/${id}/opinions`).set(staff)
    expect(asStaff.body.items.map((o: { name: string }) => o.name)).toEqual(['张三'])
    const decision = { text: '按住户抽签分配', basis: '居民议事会表决通过' }
    const decided = await api.http.post(`/api/v1/deliberations/${id}/decision`).set(staff).send(decision)
    expect(decided.body).toMatchObject({ status: 'decided', decision, announced: 1 })
    const again = await api.http.post(`/api/v1/deliberations/${id}/decision`).set(staff).send(decision)
    expect([again.status, again.body.error.message]).toEqual([409, '这个议事已经记录过决定了'])
  })
})
