import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { createFieldCrypto } from '../../lib/crypto.js'
import { silentLogger } from '../../lib/logger.js'
import { AuditModel } from '../../models/audit.model.js'
import { LookupKeyModel } from '../../models/lookup-key.model.js'
import { ResidentModel } from '../../models/registry.model.js'
import { findGridOfBuilding } from './registry.buildings.js'
import { createRegistryService, type RegistryService } from './registry.service.js'

const ID = '11010519491231002X'
const clock = fixedClock(new Date('2026-03-01T08:00:00Z'))
const crypto = createFieldCrypto({
  encryptionKey: randomBytes(32).toString('hex'),
  hashSecret: 'k',
  env: 'test',
})

async function smallCommunity(registry: RegistryService) {
  const community = await registry.upsertCommunity({
    code: 'KH',
    name: '康和社区',
    street: '青春山街道',
    district: '康巴什区',
  })
  const grid = await registry.upsertGrid({
    code: 'kh-01',
    name: '第一网格',
    communityId: community.id,
    buildings: ['1号楼', '2栋'],
  })
  const household = await registry.upsertHousehold({
    communityId: community.id,
    building: '一号楼',
    unit: '2单元',
    room: '301室',
  })
  return { community, grid, household }
}

const admin = { personId: 'admin-1', roles: ['admin' as const], communityIds: [], gridIds: [] }

describe('registry service', () => {
  useTestDatabase()
  const registry = createRegistryService({ clock, crypto, logger: silentLogger })

  it('builds community → grid → household with normalised codes and addresses', async () => {
    const { community, grid, household } = await smallCommunity(registry)
    expect(grid.code).toBe('KH-01')
    expect(grid.buildings).toEqual(['1', '2'])
    expect(household).toMatchObject({
      gridId: grid.id,
      building: '1',
      unit: '2',
      room: '301',
      address: '1号楼2单元301室',
    })
    expect(household.token.length).toBeGreaterThanOrEqual(22)
    expect((await registry.getGridByCode('KH-01'))?.id).toBe(grid.id)
    expect((await registry.gridOfBuilding(community.id, '2号楼'))?.id).toBe(grid.id)
    expect(
      (await registry.findHouseholdByAddress(community.id, { building: '1', unit: '2', room: '301' }))?.id,
    ).toBe(household.id)
    expect((await registry.findHouseholdByToken(household.token))?.id).toBe(household.id)
    const again = await registry.upsertHousehold({
      communityId: community.id,
      building: '1',
      unit: '2',
      room: '301',
    })
    expect(again.id).toBe(household.id)
    expect(again.token).toBe(household.token)
    await expect(
      registry.upsertHousehold({ communityId: community.id, building: '9', room: '101' }),
    ).rejects.toThrow(/9号楼所属的网格/)
  })

  it('stores phone and ID only encrypted and hashed, shows them masked, finds people by them', async () => {
    const { household } = await smallCommunity(registry)
    const r = await registry.createResident({
      name: '张桂兰',
      householdId: household.id,
      phone: '138 1234 5678',
      idNumber: ID,
      tags: ['独居老人'],
      wechat: { contactId: 'wx-zhang' },
    })
    expect(r.phone).toBe('138****5678')
    expect(r.idNumber).toBe('1101**********002X')
    const raw = JSON.stringify(await ResidentModel.findById(r.id).lean())
    expect(raw).not.toContain('13812345678')
    expect(raw).not.toContain(ID)
    expect((await registry.findResidentsByPhone('13812345678')).map((x) => x.id)).toEqual([r.id])
    expect((await registry.findResidentByIdNumber(ID.toLowerCase()))?.id).toBe(r.id)
    expect((await registry.findResidentByWechatContact('wx-zhang'))?.name).toBe('张桂兰')
    expect(r.gridId).toBe(household.gridId)
    await expect(registry.createResident({ name: '李四', idNumber: ID })).rejects.toThrow(/已经登记过/)
    await expect(registry.createResident({ name: '李四', phone: '12345' })).rejects.toThrow(
      /手机号格式不正确/,
    )
    await expect(registry.createResident({ name: '李四', idNumber: '110105194912310021' })).rejects.toThrow(
      /校验位/,
    )
  })

  it('binds a resident to a household by its code and refuses a revoked or unknown code', async () => {
    const { household } = await smallCommunity(registry)
    const r = await registry.createResident({ name: '刘洋', wechat: { openid: 'o-liu' } })
    const bound = await registry.bindHouseholdByToken(r.id, household.token)
    expect(bound.resident.householdId).toBe(household.id)
    expect(bound.resident.gridId).toBe(household.gridId)
    expect(bound.household.address).toBe('1号楼2单元301室')
    await registry.revokeToken('household', household.id)
    await expect(registry.bindHouseholdByToken(r.id, household.token)).rejects.toThrow(
      '这个门牌码已经作废，请联系网格员领取新的门牌码',
    )
    await expect(registry.bindHouseholdByToken(r.id, 'nonsense')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const fresh = await registry.rotateToken('household', household.id)
    expect(fresh).not.toBe(household.token)
    await expect(registry.bindHouseholdByToken(r.id, household.token)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect((await registry.bindHouseholdByToken(r.id, fresh)).household.tokenRevoked).toBe(false)
  })

  it('keeps grid workers in order and gives them the staff role and scope', async () => {
    const { grid } = await smallCommunity(registry)
    const main = await registry.createResident({ name: '王网格' })
    const part = await registry.createResident({ name: '赵兼职' })
    await registry.assignGridWorker(grid.id, part.id, { primary: false })
    await registry.assignGridWorker(grid.id, main.id, { primary: true })
    const workers = await registry.listGridWorkers(grid.id)
    expect(workers.map((w) => w.name)).toEqual(['王网格', '赵兼职'])
    expect(workers[0]?.roles).toContain('grid_worker')
    expect(workers[0]?.staff.gridIds).toEqual([grid.id])
    expect((await registry.getGrid(grid.id)).primaryWorkerId).toBe(main.id)
  })

  it('links party members to households and lists households still without one', async () => {
    const { community, grid, household } = await smallCommunity(registry)
    const other = await registry.upsertHousehold({
      communityId: community.id,
      building: '2',
      unit: '1',
      room: '101',
    })
    const member = await registry.createResident({ name: '党员甲', roles: ['resident', 'party_member'] })
    const notMember = await registry.createResident({ name: '群众乙' })
    await expect(registry.linkPartyMember(notMember.id, [household.id])).rejects.toThrow(/不是登记的党员/)
    expect(await registry.linkPartyMember(member.id, [household.id])).toBe(1)
    expect((await registry.getHouseholdPartyMember(household.id))?.name).toBe('党员甲')
    expect(await registry.getHouseholdPartyMember(other.id)).toBeUndefined()
    const open = await registry.listHouseholdsWithoutPartyMember({ gridId: grid.id })
    expect(open.total).toBe(1)
    expect(open.households.map((h) => h.address)).toEqual(['2号楼1单元101室'])
    expect((await registry.listPartyMemberHouseholds(member.id)).map((h) => h.id)).toEqual([household.id])
  })

  it('reveals numbers only with a reason and to staff in scope, writing an audit record', async () => {
    const { community, grid, household } = await smallCommunity(registry)
    const r = await registry.createResident({
      name: '张桂兰',
      householdId: household.id,
      phone: '13812345678',
      idNumber: ID,
    })
    await expect(
      registry.revealPersonalData({ actor: admin, residentId: r.id, reason: ' ' }),
    ).rejects.toThrow(/理由/)
    const stranger = {
      personId: 'gw-9',
      roles: ['grid_worker' as const],
      communityIds: [],
      gridIds: ['64b000000000000000000000'],
    }
    await expect(
      registry.revealPersonalData({ actor: stranger, residentId: r.id, reason: '上门走访' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const worker = { personId: 'gw-1', roles: ['grid_worker' as const], communityIds: [], gridIds: [grid.id] }
    expect(
      await registry.revealPersonalData({ actor: worker, residentId: r.id, reason: '上门走访核实' }),
    ).toEqual({ phone: '13812345678', idNumber: ID })
    const staff = {
      personId: 'cs-1',
      roles: ['community_staff' as const],
      communityIds: [community.id],
      gridIds: [],
    }
    await registry.revealPersonalData({ actor: staff, residentId: r.id, reason: '低保复核' })
    const records = await registry.listAuditRecords(r.id)
    expect(records.map((a) => [a.actorId, a.reason, a.at.toISOString()])).toEqual([
      ['gw-1', '上门走访核实', '2026-03-01T08:00:00.000Z'],
      ['cs-1', '低保复核', '2026-03-01T08:00:00.000Z'],
    ])
    expect(records[0]?.fields).toEqual(['phone', 'idNumber'])
  })

  it('exports a resident as JSON and erases their identity while keeping the record', async () => {
    const { household } = await smallCommunity(registry)
    const member = await registry.createResident({
      name: '张桂兰',
      householdId: household.id,
      phone: '13812345678',
      idNumber: ID,
      tags: ['独居老人', '低保'],
      roles: ['resident', 'party_member'],
      wechat: { contactId: 'wx-z', openid: 'o-z' },
    })
    await registry.linkPartyMember(member.id, [household.id])
    const data = await registry.exportResidentData({
      actor: admin,
      residentId: member.id,
      reason: '本人申请查阅',
    })
    expect(data).toMatchObject({
      resident: { name: '张桂兰', phone: '13812345678', idNumber: ID, tags: ['独居老人', '低保'] },
      household: { address: '1号楼2单元301室' },
    })
    expect(JSON.parse(JSON.stringify(data)).accessLog[0]).toMatchObject({
      action: 'export_personal_data',
      reason: '本人申请查阅',
    })

    await registry.eraseResident({ actor: admin, residentId: member.id, reason: '本人申请注销' })
    const erased = await registry.getResident(member.id)
    expect(erased).toMatchObject({ name: '已注销居民', tags: [], erased: true, wechat: {} })
    expect(erased.phone).toBeUndefined()
    expect(await registry.findResidentsByPhone('13812345678')).toEqual([])
    expect(await registry.findResidentByWechatContact('wx-z')).toBeUndefined()
    expect(await registry.getHouseholdPartyMember(household.id)).toBeUndefined()
    const raw = await ResidentModel.findById(member.id).lean()
    expect(raw?.idNumberHash).toBeUndefined()
    expect(raw?.erasedAt?.toISOString()).toBe('2026-03-01T08:00:00.000Z')
    expect(await AuditModel.countDocuments({ residentId: member.id })).toBe(2)
  })

  it('re-encrypts numbers under the new key after a rotation', async () => {
    const oldKey = randomBytes(32).toString('hex')
    const before = createRegistryService({
      clock,
      crypto: createFieldCrypto({ encryptionKey: oldKey, hashSecret: 'k', env: 'test' }),
      logger: silentLogger,
    })
    const r = await before.createResident({ name: '甲', phone: '13812345678' })
    const rotated = createFieldCrypto({
      encryptionKey: randomBytes(32).toString('hex'),
      previousEncryptionKeys: oldKey,
      hashSecret: 'k',
      env: 'test',
    })
    const after = createRegistryService({ clock, crypto: rotated, logger: silentLogger })
    expect((await after.getResident(r.id)).phone).toBe('138****5678')
    expect(await after.reencryptAll()).toBe(1)
    expect(await after.reencryptAll()).toBe(0)
    const raw = await ResidentModel.findById(r.id).lean()
    expect(raw?.phoneEnc?.split('.')[1]).toBe(rotated.keyId)
    expect((await after.findResidentsByPhone('13812345678'))[0]?.id).toBe(r.id)
  })
})

describe('registry: people met in a group, and which grid holds a building', () => {
  useTestDatabase()
  const registry = createRegistryService({ clock, crypto, logger: silentLogger })

  it('gives a contact met in a bound group that group’s community and grid until a household matches', async () => {
    const { community, grid, household } = await smallCommunity(registry)
    const home = { communityId: community.id, gridId: grid.id }
    // First seen in a direct chat: no community yet.
    const stranger = await registry.personOfContact({ contactId: 'wx-a', name: ' 老周 ' })
    expect(stranger).toMatchObject({ name: '老周', communityId: undefined, gridId: undefined })
    // Then in the KH-01 group: the same record takes the group's community and grid.
    const met = await registry.personOfContact({ contactId: 'wx-a', name: '老周' }, home)
    expect(met).toMatchObject({ id: stranger.id, communityId: community.id, gridId: grid.id })
    // A household match is never overwritten by a group's place, nor is a staff member's scope.
    await registry.bindHouseholdByToken(met.id, household.token)
    const other = await registry.upsertGrid({ code: 'KH-02', name: '二', communityId: community.id })
    const bound = await registry.personOfContact(
      { contactId: 'wx-a', name: '老周' },
      { communityId: community.id, gridId: other.id },
    )
    expect(bound).toMatchObject({ householdId: household.id, gridId: grid.id })
    const worker = await registry.createResident({
      name: '网格员',
      roles: ['grid_worker'],
      wechat: { contactId: 'wx-w' },
    })
    expect((await registry.personOfContact({ contactId: 'wx-w', name: '网格员' }, home)).communityId).toBe(
      undefined,
    )
    expect(worker.id).toBeTruthy()
    expect(await ResidentModel.countDocuments({ 'wechat.contactId': 'wx-a' })).toBe(1)
  })

  it('keeps building → grid keys as grids and households are written, and remembers a miss', async () => {
    const { community, grid } = await smallCommunity(registry)
    expect(String(await findGridOfBuilding(community.id, '1号楼'))).toBe(grid.id)
    expect(String(await findGridOfBuilding(community.id, '二栋'))).toBe(grid.id)
    const key = await LookupKeyModel.findById(`building-grid:${community.id}:1`).lean()
    expect(key?.ref).toBe(grid.id)
    const now = new Date()
    expect(await findGridOfBuilding(community.id, '9', now)).toBeUndefined()
    expect((await LookupKeyModel.findById(`building-grid:${community.id}:9`).lean())?.ref).toBe('none')
    // A grid written later takes the building at once; a household in a new building does too.
    const g2 = await registry.upsertGrid({
      code: 'KH-02',
      name: '二',
      communityId: community.id,
      buildings: ['9'],
    })
    expect(String(await findGridOfBuilding(community.id, '9号楼', now))).toBe(g2.id)
    await registry.upsertHousehold({ communityId: community.id, gridId: g2.id, building: '10', room: '101' })
    expect(String(await findGridOfBuilding(community.id, '10'))).toBe(g2.id)
  })
})
