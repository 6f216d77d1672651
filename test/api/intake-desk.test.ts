import { describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('the intake desk through the API: nothing filed without a place is left with nobody', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  async function world() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const desk = await createPerson('孟窗口', ['intake_desk'])
    const { key } = await api.services.auth.createApiKey(String(w.admin._id), 'district platform')
    const as = async (id: unknown) => ({ authorization: await api.bearer(id) })
    return { api, w, desk, key, as }
  }

  it('gives a report with no place to the desk (Open311 refuses one), lists it there and relocates it', async () => {
    const { api, w, desk, key, as } = await world()
    // Open311 refuses a request whose place it cannot tell (issue 16) rather than file it.
    const refused = await api.http
      .post('/open311/v2/requests.json')
      .set('x-api-key', key)
      .send({ service_code: 'sanitation', description: '路边垃圾很多天没人清理了' })
    expect(refused.status).toBe(400)
    expect(await CaseModel.countDocuments()).toBe(0)
    const opened = await api.services.cases.open({
      channel: 'open311',
      sourceKey: 'desk-1',
      text: '路边垃圾很多天没人清理了',
      category: 'sanitation',
    })
    const number = opened.case.number
    const stored = await CaseModel.findOne({ number }).lean()
    expect(stored).toMatchObject({ status: 'assigned', heldAt: { queue: 'intake_desk', reason: 'no_place' } })
    expect(String(stored?.assigneeId)).toBe(String(desk._id))
    const alert = await OutboxModel.findOne({ 'to.id': String(desk._id) }).lean()
    expect(alert?.text).toContain('受理窗口')
    const [request] = (await api.http.get(`/open311/v2/requests/${number}.json`)).body
    expect(request.agency_responsible).toBe('受理窗口')

    const list = await api.http.get('/api/v1/intake/cases').set(await as(desk._id))
    expect(list.status).toBe(200)
    expect(list.body.items.map((c: { number: string }) => c.number)).toEqual([number])
    // Community staff see their own community's held cases only; residents not at all.
    const staffList = await api.http.get('/api/v1/intake/cases').set(await as(w.staff._id))
    expect(staffList.body.items).toEqual([])
    const foreign = await api.http
      .get(`/api/v1/intake/cases?communityId=${w.other._id}`)
      .set(await as(w.staff._id))
    expect(foreign.status).toBe(403)
    expect((await api.http.get('/api/v1/intake/cases').set(await as(w.zhang._id))).status).toBe(403)

    const stranger = await api.http
      .post(`/api/v1/cases/${number}/relocate`)
      .set(await as(w.li._id))
      .send({ communityId: String(w.community._id), building: '3' })
    expect(stranger.status).toBe(403)
    const empty = await api.http
      .post(`/api/v1/cases/${number}/relocate`)
      .set(await as(desk._id))
      .send({})
    expect(empty.status).toBe(400)
    const moved = await api.http
      .post(`/api/v1/cases/${number}/relocate`)
      .set(await as(desk._id))
      .send({ communityId: String(w.community._id), building: '3号楼' })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ status: 'assigned', assigneeId: String(w.worker._id) })
    const task = await OutboxModel.findOne({ 'to.id': String(w.worker._id), kind: 'task' }).lean()
    expect(task?.text).toContain(number)
    expect((await api.http.get('/api/v1/intake/cases').set(await as(desk._id))).body.items).toEqual([])
  })

  it('gives a knowledge-base abstention an owner: the asker’s community staff, or the desk for a stranger', async () => {
    const { api, w, desk } = await world()
    const stranger = await createPerson('新来的', ['resident'], { contactId: 'wx-sim-1' })
    const a = await api.services.kb.ask('外地户口在这里能办居住证吗', { askerId: String(stranger._id) })
    expect(a).toMatchObject({ abstained: true, caseNumber: expect.any(String) })
    const held = await CaseModel.findOne({ number: a.caseNumber }).lean()
    expect(held).toMatchObject({ channel: 'kb', heldAt: { queue: 'intake_desk', reason: 'no_place' } })
    expect(String(held?.assigneeId)).toBe(String(desk._id))
    expect(await OutboxModel.countDocuments({ 'to.id': String(desk._id), kind: 'task' })).toBe(1)
    // 李四 is of community KH: community-level policy questions go to its staff.
    const b = await api.services.kb.ask('老年人高龄补贴怎么申请', { askerId: String(w.li._id) })
    const known = await CaseModel.findOne({ number: b.caseNumber }).lean()
    expect(String(known?.assigneeId)).toBe(String(w.staff._id))
  })

  it('routes a mini-program report of a resident whose grid has no worker to the community’s duty staff', async () => {
    const { api, w, as } = await world()
    const res = await api.http
      .post('/api/v1/cases')
      .set(await as(w.outsider._id))
      .set('idempotency-key', 'outsider-report-1')
      .send({ text: '小区里有人乱停车挡住了消防通道' })
    expect(res.status).toBe(201)
    expect(res.body.case.assigneeId).toBe(String(w.otherStaff._id))
  })
})
