import { describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { PLACES, placeGrids } from '../places-fixtures.js'
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
    // Short Chinese descriptions; the triage keyword lists (with their typos) are not published.
    for (const svc of res.body) {
      expect(svc.description).toMatch(/[\u3400-\u9fff]/)
      expect(svc.keywords).toBe('')
    }
    expect(JSON.stringify(res.body)).not.toMatch(/不量|拉鸡|辣鸡/)
    const one = await api.http.get('/open311/v2/services/facility_repair.json')
    expect(one.body).toEqual({ service_code: 'facility_repair', attributes: [] })
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

describe('Open311 GeoReport v2: XML, discovery, coordinates', () => {
  useTestDatabase()
  checkCaseOwnersAfterEach()

  async function world() {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    await placeGrids(w.grid, w.grid2)
    const { key } = await api.services.auth.createApiKey(String(w.admin._id), 'district platform')
    return { api, w, key }
  }
  const xml = (res: { type: string; text: string }) => {
    expect(res.type).toBe('text/xml')
    expect(res.text.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true)
    return res.text
  }

  it('answers every endpoint in XML too, in the shapes of the specification', async () => {
    const { api, key } = await world()
    const services = xml(await api.http.get('/open311/v2/services.xml'))
    expect(services).toContain('<services><service><service_code>')
    expect(services).toContain('<service_name>设施报修</service_name>')
    const def = xml(await api.http.get('/open311/v2/services/noise.xml'))
    expect(def).toContain(
      '<service_definition><service_code>noise</service_code><attributes></attributes></service_definition>',
    )
    const filed = await api.http.post('/open311/v2/requests.xml').set('x-api-key', key).type('form').send({
      service_code: 'facility_repair',
      description: '路灯不亮',
      lat: PLACES.near3.lat,
      long: PLACES.near3.lng,
    })
    expect(filed.status).toBe(201)
    const number = /<service_request_id>(\d{6}-\d{4})<\/service_request_id>/.exec(xml(filed))?.[1]
    expect(number).toBeTruthy()
    const list = xml(await api.http.get('/open311/v2/requests.xml'))
    expect(list).toContain(`<service_requests><request><service_request_id>${number}</service_request_id>`)
    expect(list).toContain(`<lat>${PLACES.near3.lat}</lat><long>${PLACES.near3.lng}</long>`)
    const one = xml(await api.http.get(`/open311/v2/requests/${number}.xml`))
    expect(one).toContain('<address>KH社区3号楼</address>')
    const missing = await api.http.get('/open311/v2/requests/200101-9999.xml')
    expect(missing.status).toBe(404)
    expect(xml(missing)).toMatch(
      /<errors><error><code>404<\/code><description>[^<]*[\u3400-\u9fff][^<]*<\/description><\/error><\/errors>/,
    )
  })

  it('publishes a discovery document in JSON and XML', async () => {
    const { api } = await world()
    const json = await api.http.get('/open311/discovery.json')
    expect(json.status).toBe(200)
    expect(json.body.endpoints[0]).toMatchObject({
      specification: 'http://wiki.open311.org/GeoReport_v2',
      url: expect.stringMatching(/\/open311\/v2$/),
      formats: ['text/xml', 'application/json'],
    })
    const doc = xml(await api.http.get('/open311/discovery.xml'))
    expect(doc).toContain('<formats><format>text/xml</format><format>application/json</format></formats>')
  })

  it('keeps lat/long on the case and places it at the nearest building, else by outline', async () => {
    const { api, w, key } = await world()
    const post = (extra: Record<string, unknown>) =>
      api.http
        .post('/open311/v2/requests.json')
        .set('x-api-key', key)
        .send({ service_code: 'facility_repair', description: '井盖松动', ...extra })
    const near = await post({ lat: PLACES.near3.lat, long: PLACES.near3.lng })
    expect(near.status).toBe(201)
    const a = await CaseModel.findOne({ number: near.body[0].service_request_id }).lean()
    expect(a?.location).toMatchObject({ building: '3', coords: PLACES.near3 })
    expect(String(a?.location?.gridId)).toBe(String(w.grid._id))
    const inGrid = await post({ description: '路面塌陷', lat: PLACES.inGrid2.lat, long: PLACES.inGrid2.lng })
    const b = await CaseModel.findOne({ number: inGrid.body[0].service_request_id }).lean()
    expect(String(b?.location?.gridId)).toBe(String(w.grid2._id))
    const shown = await api.http.get(`/open311/v2/requests/${inGrid.body[0].service_request_id}.json`)
    expect(shown.body[0]).toMatchObject({ lat: PLACES.inGrid2.lat, long: PLACES.inGrid2.lng })
    // A community named in the address is enough: the building in it picks the grid.
    const named = await post({ description: '垃圾没人清', address_string: 'KH社区5号楼门口' })
    expect(named.status).toBe(201)
  })

  it('refuses a request with no usable location instead of leaving it unowned', async () => {
    const { api, key } = await world()
    const post = (extra: Record<string, unknown>) =>
      api.http
        .post('/open311/v2/requests.json')
        .set('x-api-key', key)
        .send({ service_code: 'facility_repair', description: '路灯不亮', ...extra })
    for (const extra of [
      {},
      { address_string: '某个不认识的地方' },
      { lat: PLACES.outside.lat, long: PLACES.outside.lng },
      { lat: PLACES.near3.lat },
    ]) {
      const res = await post(extra)
      expect(res.status, JSON.stringify(extra)).toBe(400)
      expect(res.body).toEqual([{ code: 400, description: expect.stringMatching(/位置|范围|同时提供/) }])
    }
    expect(await CaseModel.countDocuments()).toBe(0)
    const xmlRefusal = await api.http
      .post('/open311/v2/requests.xml')
      .set('x-api-key', key)
      .send({ service_code: 'facility_repair', description: '路灯不亮' })
    expect(xml(xmlRefusal)).toContain('<errors><error><code>400</code><description>无法确定问题位置')
  })

  it('describes bad parameters in Chinese, without the validator English', async () => {
    const { api } = await world()
    const bad = await api.http.get('/open311/v2/requests.json?status=pending')
    expect(bad.status).toBe(400)
    expect(bad.body[0].description).toContain('status')
    expect(bad.body[0].description).not.toMatch(/Invalid|expected/i)
    const badXml = await api.http.get('/open311/v2/requests.xml?start_date=yesterday')
    expect(xml(badXml)).toContain('日期须为 ISO 8601 格式')
  })
})
