import { describe, expect, it } from 'vitest'
import { HouseholdModel, ResidentModel } from '../../src/models/registry.model.js'
import { useTestDatabase } from '../db.js'
import { createPerson } from '../factories.js'
import { makeApiApp, makeApiWorld } from './api-world.js'

describe('grids, households and party-member links over HTTP', () => {
  useTestDatabase()

  it('lists a community grid and its households to its staff, without household codes', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const grids = await api.http.get('/api/v1/grids').set(await w.headers('staff'))
    expect(grids.status).toBe(200)
    expect(grids.body.items.map((g: { code: string }) => g.code)).toEqual(['KH-01', 'KH-02'])
    const households = await api.http
      .get(`/api/v1/grids/${w.grid._id}/households`)
      .set(await w.headers('staff'))
    expect(households.status).toBe(200)
    expect(households.body.items[0]).toMatchObject({ building: '3', unit: '2', room: '301' })
    expect(JSON.stringify(households.body)).not.toContain(w.home.token)
  })

  it('shows a grid worker only their own grid, and refuses other grids and other communities', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const mine = await api.http.get('/api/v1/grids').set(await w.headers('worker'))
    expect(mine.body.items.map((g: { code: string }) => g.code)).toEqual(['KH-01'])
    expect(
      (await api.http.get(`/api/v1/grids/${w.grid2._id}/households`).set(await w.headers('worker'))).status,
    ).toBe(403)
    expect(
      (await api.http.get(`/api/v1/grids/${w.grid._id}/households`).set(await w.headers('otherStaff')))
        .status,
    ).toBe(403)
    expect((await api.http.get('/api/v1/grids').set(await w.headers('reporter'))).status).toBe(403)
    expect((await api.http.get('/api/v1/grids')).status).toBe(401)
  })

  it('links a party member to a household, shows it to the household, and lists the households still without one', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const member = await createPerson('党员老刘', ['resident', 'party_member'], {
      communityId: w.community._id,
    })
    const before = await api.http.get('/api/v1/party-links/missing').set(await w.headers('staff'))
    expect(before.body.total).toBe(1)
    const refused = await api.http
      .put(`/api/v1/households/${w.home._id}/party-member`)
      .set(await w.headers('worker'))
      .send({ memberId: String(member._id) })
    expect(refused.status).toBe(403)
    const linked = await api.http
      .put(`/api/v1/households/${w.home._id}/party-member`)
      .set(await w.headers('staff'))
      .send({ memberId: String(member._id) })
    expect(linked.status).toBe(200)
    expect(linked.body.partyMember.name).toBe('党员老刘')
    expect((await HouseholdModel.findById(w.home._id).lean())?.partyMemberId?.toString()).toBe(
      String(member._id),
    )
    const mine = await api.http.get('/api/v1/households/mine').set(await w.headers('reporter'))
    expect(mine.body).toMatchObject({ grid: { code: 'KH-01' }, partyMember: { name: '党员老刘' } })
    expect((await api.http.get('/api/v1/party-links/missing').set(await w.headers('staff'))).body.total).toBe(
      0,
    )
    const neighbour = await api.http
      .get(`/api/v1/households/${w.home._id}/party-member`)
      .set(await w.headers('outsider'))
    expect(neighbour.status).toBe(403)
  })

  it('refuses extra fields and operators, and changes nothing', async () => {
    const api = makeApiApp()
    const w = await makeApiWorld(api)
    const res = await api.http
      .put(`/api/v1/households/${w.home._id}/party-member`)
      .set(await w.headers('staff'))
      .send({ memberId: { $ne: null } })
    expect(res.status).toBe(400)
    const extra = await api.http.get('/api/v1/grids?communityId[$ne]=x').set(await w.headers('staff'))
    expect(extra.status).toBe(400)
    expect((await HouseholdModel.findById(w.home._id).lean())?.partyMemberId ?? null).toBeNull()
    expect(await ResidentModel.countDocuments({ roles: 'party_member' })).toBe(0)
  })
})
