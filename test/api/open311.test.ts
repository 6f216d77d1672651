import { describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('Open311 GeoReport v2 facade', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  async function world() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const { key } = await api.services.auth.createApiKey(String(w.admin._id), 'district platform')
    return { api, w, key }
  }

  it('lists the responsibility list categories as services', async () => {
    const { api } = await world()
    const res = await api.http.get('/open311/v2/services.json')
    expect(res.status).toBe(200)
    const codes = res.body.map((s: { service_code: string }) => s.service_code)
    expect(codes).toContain('facility_repair')
    expect(
      res.body.find((s: { service_code: string }) => s.service_code === 'heating_utilities'),
    ).toMatchObject({
      metadata: false,
      type: 'realtime',
      group: '部门处理',
    })
    const one = await api.http.get('/open311/v2/services/facility_repair.json')
    expect(one.body).toEqual([
      expect.objectContaining({ service_code: 'facility_repair', service_name: '设施报修' }),
    ])
    const missing = await api.http.get('/open311/v2/services/no_such_thing.json')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual([{ code: 404, description: expect.any(String) }])
  })

  it('shows cases as requests without personal data, status collapsed to open/closed', async () => {
    const { api, w } = await world()
    const open = await api.services.cases.open({
      channel: 'group',
      sourceKey: 'o-1',
      text: '3号楼2单元301楼道灯坏了，电话13812345678',
      category: 'facility_repair',
      reporter: { personId: String(w.zhang._id) },
    })
    const heat = await api.services.cases.open({
      channel: 'group',
      sourceKey: 'o-2',
      text: '5号楼暖气不热',
      category: 'heating_utilities',
      reporter: { personId: String(w.li._id) },
    })
    const worker = { personId: String(w.worker._id), roles: ['grid_worker'] }
    await api.services.cases.accept(open.case.number, worker)
    await api.services.cases.resolve(open.case.number, worker, '已换灯泡')
    const all = await api.http.get('/open311/v2/requests.json')
    expect(all.status).toBe(200)
    expect(all.body).toHaveLength(2)
    const light = all.body.find(
      (r: { service_request_id: string }) => r.service_request_id === open.case.number,
    )
    expect(light).toMatchObject({
      status: 'closed',
      service_code: 'facility_repair',
      service_name: '设施报修',
      agency_responsible: '网格员',
      address: 'KH社区3号楼2单元',
    })
    expect(JSON.stringify(all.body)).not.toContain('13812345678')
    expect(JSON.stringify(all.body)).not.toContain(String(w.zhang._id))
    expect(JSON.stringify(all.body)).not.toContain('301')
    const posted = all.body.find(
      (r: { service_request_id: string }) => r.service_request_id === heat.case.number,
    )
    expect(posted.status).toBe('open')
    expect(posted.agency_responsible).toContain('热力')
    expect(posted.expected_datetime).toBe(new Date(heat.case.due.resolveBy as Date).toISOString())
    const onlyOpen = await api.http.get('/open311/v2/requests.json?status=open')
    expect(onlyOpen.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([
      heat.case.number,
    ])
    const byCode = await api.http.get('/open311/v2/requests.json?service_code=facility_repair')
    expect(byCode.body).toHaveLength(1)
    const later = await api.http.get('/open311/v2/requests.json?start_date=2027-01-01T00:00:00Z')
    expect(later.body).toEqual([])
    const one = await api.http.get(`/open311/v2/requests/${heat.case.number}.json`)
    expect(one.body).toEqual([expect.objectContaining({ service_request_id: heat.case.number })])
    const none = await api.http.get('/open311/v2/requests/200101-9999.json')
    expect(none.status).toBe(404)
    const bad = await api.http.get('/open311/v2/requests.json?status[$ne]=x')
    expect(bad.status).toBe(400)
    expect(bad.body[0]).toMatchObject({ code: 400 })
  })

  it('files a request only with an API key, through the one case intake', async () => {
    const { api, key } = await world()
    const body = {
      service_code: 'facility_repair',
      description: '小区东门路灯不亮',
      address_string: 'KH社区东门',
      address_id: 'KH-02',
    }
    const anonymous = await api.http.post('/open311/v2/requests.json').send(body)
    expect(anonymous.status).toBe(401)
    expect(anonymous.body).toEqual([{ code: 401, description: expect.any(String) }])
    const wrongKey = await api.http
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ ...body, api_key: 'nope' })
    expect(wrongKey.status).toBe(401)
    expect(await CaseModel.countDocuments()).toBe(0)

    const filed = await api.http
      .post('/open311/v2/requests.json')
      .type('form')
      .send({ ...body, api_key: key })
    expect(filed.status).toBe(201)
    expect(filed.body).toEqual([
      {
        service_request_id: expect.stringMatching(/^\d{6}-\d{4}$/),
        service_notice: '已受理',
        account_id: null,
      },
    ])
    const stored = await CaseModel.findOne({ number: filed.body[0].service_request_id }).lean()
    expect(stored).toMatchObject({ channel: 'open311', category: 'facility_repair' })
    const viaHeader = await api.http.post('/open311/v2/requests.json').set('x-api-key', key).send(body)
    expect(viaHeader.body[0].service_request_id).toBe(filed.body[0].service_request_id)
    expect(await CaseModel.countDocuments()).toBe(1)
    const unknown = await api.http
      .post('/open311/v2/requests.json')
      .set('x-api-key', key)
      .send({ ...body, service_code: 'nothing' })
    expect(unknown.status).toBe(404)
    const empty = await api.http
      .post('/open311/v2/requests.json')
      .set('x-api-key', key)
      .send({ service_code: 'sanitation' })
    expect(empty.status).toBe(400)
    expect(empty.body[0].code).toBe(400)
  })
})
