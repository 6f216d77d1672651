import { describe, expect, it } from 'vitest'
import { AuditModel } from '../../src/models/audit.model.js'
import { HouseholdModel, ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

/** Five new KH-01 households in building 5 (one 独居老人, one bad phone row) and a new grid KH-09. */
const ROSTER = [
  '网格编号,楼栋,单元,房号,姓名,手机号,人员类别',
  'KH-01,5,1,101,孙一,13900000101,独居老人',
  'KH-01,5,1,101,孙二,13900000102,',
  'KH-01,5,1,102,周三,13900000103,',
  'KH-01,5,1,103,吴四,139,',
  'KH-01,5,1,104,郑五,13900000105,低保',
  'KH-01,5,2,201,冯六,13900000106,',
  'KH-01,5,2,202,陈七,13900000107,',
  'KH-09,9,1,101,卫八,13900000108,',
].join('\n')

type ImportBody = {
  households: { created: number }
  errors: Array<{ row: number; column?: string; reason: string }>
}

async function importedWorld() {
  const api = makeApiApp()
  const w = await makeApiWorld(api)
  const res = await api.http
    .post('/api/v1/admin/import')
    .set(await w.headers('staff'))
    .set('content-type', 'text/csv')
    .send(ROSTER)
  return { api, w, imported: res }
}

describe('the registry API the staff console uses', () => {
  useTestDatabase()

  it('imports a roster for a one-community staff member without naming the community, with each bad cell’s column', async () => {
    const { w, imported } = await importedWorld()
    expect(imported.status).toBe(200)
    const body = imported.body as ImportBody
    expect(body.errors).toEqual([{ row: 5, column: '手机号', reason: '手机号格式不正确，应为11位手机号' }])
    // 5 new households of KH-01 plus one of the new grid KH-09, created in the staff's community.
    expect(body.households.created).toBe(6)
    const newHome = await HouseholdModel.findOne({ building: '9' }).orFail().lean()
    expect(String(newHome.communityId)).toBe(String(w.community._id))
  })

  it('lists grids with the primary worker’s name and household count', async () => {
    const { api, w } = await importedWorld()
    const res = await api.http.get('/api/v1/grids').set(await w.headers('staff'))
    expect(res.status).toBe(200)
    const kh01 = res.body.items.find((g: { code: string }) => g.code === 'KH-01')
    expect(kh01).toMatchObject({ primaryWorkerName: '王网格', householdCount: 6 })
    const kh09 = res.body.items.find((g: { code: string }) => g.code === 'KH-09')
    expect(kh09).toMatchObject({ primaryWorkerName: null, householdCount: 1 })
    const mine = await api.http.get('/api/v1/grids').set(await w.headers('worker'))
    expect(mine.body.items).toEqual([expect.objectContaining({ code: 'KH-01', householdCount: 6 })])
  })

  it('pages a grid’s households in address order with counts, tags and the party member’s name', async () => {
    const { api, w } = await importedWorld()
    const member = await ResidentModel.findOne({ name: '周三' }).orFail()
    await ResidentModel.updateOne({ _id: member._id }, { $addToSet: { roles: 'party_member' } })
    const staff = await w.headers('staff')
    const linked = await api.http
      .put(`/api/v1/households/${w.home._id}/party-member`)
      .set(staff)
      .send({ memberId: String(member._id) })
    expect(linked.status).toBe(200)

    const url = `/api/v1/grids/${w.grid._id}/households`
    const first = await api.http.get(`${url}?limit=3`).set(staff)
    expect(first.status).toBe(200)
    expect(first.body.total).toBe(6)
    expect(first.body.items.map((h: { address: string }) => h.address)).toEqual([
      '3号楼2单元301室',
      '5号楼1单元101室',
      '5号楼1单元102室',
    ])
    expect(first.body.items[0]).toMatchObject({ residentCount: 1, partyMemberName: '周三' })
    expect(first.body.items[1]).toMatchObject({ residentCount: 2, tags: ['独居老人'], partyMemberName: null })
    const last = await api.http.get(`${url}?limit=3&offset=5`).set(staff)
    expect(last.body.items.map((h: { address: string }) => h.address)).toEqual(['5号楼2单元202室'])
    // Without a limit the whole grid is listed, as before paging existed.
    expect((await api.http.get(url).set(staff)).body.items).toHaveLength(6)
  })

  it('finds households by a resident’s name or part of the address, and treats the search text literally', async () => {
    const { api, w } = await importedWorld()
    const staff = await w.headers('staff')
    const url = `/api/v1/grids/${w.grid._id}/households`
    const byName = await api.http.get(`${url}?q=${encodeURIComponent('郑五')}`).set(staff)
    expect(byName.body.items.map((h: { address: string }) => h.address)).toEqual(['5号楼1单元104室'])
    expect(byName.body.items[0].tags).toEqual(['低保'])
    const byRoom = await api.http.get(`${url}?q=${encodeURIComponent('2单元')}`).set(staff)
    expect(byRoom.body.total).toBe(3)
    const regex = await api.http.get(`${url}?q=${encodeURIComponent('.*')}`).set(staff)
    expect(regex.body.total).toBe(0)
    const blank = await api.http.get(`${url}?q=%20`).set(staff)
    expect(blank.status).toBe(400)
    expect(JSON.stringify(blank.body.error.details)).toContain('请输入要查找的地址或姓名')
  })

  it('refuses the household search to a worker of another grid and to another community’s staff', async () => {
    const { api, w } = await importedWorld()
    const url = `/api/v1/grids/${w.grid._id}/households?q=${encodeURIComponent('孙')}&limit=10`
    for (const who of ['worker2', 'otherStaff', 'reporter'] as const) {
      const res = await api.http.get(url).set(await w.headers(who))
      expect(res.status, who).toBe(403)
      expect(JSON.stringify(res.body)).not.toContain('孙一')
    }
    expect((await api.http.get(url).set(await w.headers('worker'))).body.total).toBe(1)
  })

  it('shows a resident masked, and reveals the full phone to staff with a reason, recording the audit', async () => {
    const { api, w } = await importedWorld()
    const home = await HouseholdModel.findOne({ building: '5', room: '101' }).orFail().lean()
    const staff = await w.headers('staff')
    const list = await api.http.get(`/api/v1/residents?householdId=${home._id}`).set(staff)
    const sun = list.body.items.find((r: { name: string }) => r.name === '孙一')
    expect(sun.phone).toBe('139****0101')
    const revealed = await api.http
      .post(`/api/v1/residents/${sun.id}/reveal`)
      .set(staff)
      .send({ reason: '核实独居老人联系方式' })
    expect(revealed.body).toEqual({ phone: '13900000101' })
    const audit = await AuditModel.findOne({ residentId: sun.id }).lean()
    expect(audit).toMatchObject({ action: 'reveal_personal_data', reason: '核实独居老人联系方式' })
    expect(audit?.actorId).toBe(String(w.staff._id))
  })

  it('lists an uploaded policy document with its file format', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const res = await api.http
      .post(`/api/v1/kb/files?name=${encodeURIComponent('parking-2026.txt')}`)
      .set(await w.headers('staff'))
      .set('content-type', 'text/plain')
      .send('小区停车管理办法\n\n第一条 业主车辆凭停车证进出，临时车辆按小时收费。\n')
    expect(res.status).toBe(201)
    const docs = await api.http.get('/api/v1/kb/documents').set(await w.headers('staff'))
    expect(docs.body.documents).toEqual([
      expect.objectContaining({
        docId: 'parking-2026',
        format: 'text',
        source: 'upload',
        status: 'in_force',
      }),
    ])
  })
})
