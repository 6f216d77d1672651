import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Types } from 'mongoose'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml, stringify } from 'yaml'
import { useTestDatabase } from '../../../test/db.js'
import { createFieldCrypto } from '../../lib/crypto.js'
import {
  CommunityModel,
  DepartmentModel,
  GridModel,
  HouseholdModel,
  ResidentModel,
  type Role,
} from '../../models/registry.model.js'
import { createPeopleService } from '../registry/registry.people.js'
import { loadWorkingCalendar } from './calendar.js'
import {
  CATEGORIES,
  loadResponsibilityList,
  parseResponsibilityList,
  ResponsibilityListError,
} from './responsibility.config.js'
import { createResponsibility, dueState } from './responsibility.service.js'

const CONFIG_DIR = path.resolve(import.meta.dirname, '../../../config')
const list = loadResponsibilityList(CONFIG_DIR)
const calendar = loadWorkingCalendar(CONFIG_DIR)
const rawList = (): Record<string, Record<string, Record<string, unknown>>> =>
  parseYaml(readFileSync(path.join(CONFIG_DIR, 'responsibility.yaml'), 'utf8'))

function problemsOf(raw: unknown): string {
  try {
    parseResponsibilityList(raw)
  } catch (err) {
    expect(err).toBeInstanceOf(ResponsibilityListError)
    return (err as Error).message
  }
  throw new Error('expected the list to be refused')
}

describe('loadResponsibilityList', () => {
  it('loads all 13 taxonomy codes with parsed limits', () => {
    expect(Object.keys(list.categories).sort()).toEqual([...CATEGORIES].sort())
    expect(list.categories.safety_hazard.limits.normal.respond).toMatchObject({ amount: 15, unit: 'm' })
    expect(list.categories.social_assistance.limits.normal.resolve).toMatchObject({ amount: 5, unit: 'wd' })
    expect(list.categories.heating_utilities.level).toBe('department')
    expect(list.categories.heating_utilities.departments).toContain('heating')
  })

  it('names an unknown category code', () => {
    const raw = rawList()
    raw.categories!.fixing = raw.categories!.facility_repair as Record<string, unknown>
    expect(problemsOf(raw)).toContain('categories.fixing: unknown category code')
  })

  it('names a missing category', () => {
    const raw = rawList()
    delete raw.categories!.noise
    expect(problemsOf(raw)).toContain('categories.noise: missing category')
  })

  it('names a missing limit with its category and key', () => {
    const raw = rawList()
    const limits = raw.categories!.sanitation!.limits as Record<string, Record<string, string>>
    delete limits.urgent!.resolve
    expect(problemsOf(raw)).toContain('categories.sanitation.limits.urgent.resolve')
  })

  it('names a limit that is not a duration', () => {
    const raw = rawList()
    const limits = raw.categories!.noise!.limits as Record<string, Record<string, string>>
    limits.normal!.respond = '两小时'
    expect(problemsOf(raw)).toMatch(/categories\.noise\.limits\.normal\.respond: "两小时" is not a duration/)
  })

  it('refuses a department code that is not documented', () => {
    const raw = rawList()
    raw.categories!.noise!.departments = ['noise_police']
    expect(problemsOf(raw)).toContain('categories.noise.departments: "noise_police"')
  })

  it('reads the file from a config folder and names the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'linli-resp-'))
    const raw = rawList()
    raw.categories!.other!.level = 'street'
    writeFileSync(path.join(dir, 'responsibility.yaml'), stringify(raw))
    expect(() => loadResponsibilityList(dir)).toThrow(/responsibility\.yaml[\s\S]*categories\.other\.level/)
  })
})

describe('deadlines and dueState', () => {
  const resp = createResponsibility(list, calendar)
  it('uses urgent limits for urgent cases', () => {
    const from = new Date('2026-11-28T10:00:00+08:00')
    const normal = resp.deadlines('facility_repair', 'normal', from)
    const urgent = resp.deadlines('facility_repair', 'urgent', from)
    expect(normal.respondBy).toEqual(new Date('2026-11-28T12:00:00+08:00'))
    expect(normal.resolveBy).toEqual(new Date('2026-11-30T10:00:00+08:00'))
    expect(urgent.respondBy).toEqual(new Date('2026-11-28T10:15:00+08:00'))
  })

  it('honours working days for 5wd limits', () => {
    const from = new Date('2026-09-28T10:00:00+08:00') // Monday before 国庆
    const { resolveBy } = resp.deadlines('illegal_occupation', 'normal', from)
    // Mon 28, Tue 29, Wed 30, (1–7 Oct off), Thu 8, Fri 9 → 10:00 on Sat 10 Oct (调休).
    expect(resolveBy).toEqual(new Date('2026-10-10T10:00:00+08:00'))
  })

  it('says overdue and by how much', () => {
    const deadline = new Date('2026-11-28T12:00:00+08:00')
    expect(dueState(deadline, new Date('2026-11-28T12:30:00+08:00'))).toEqual({
      overdue: true,
      byMs: 30 * 60_000,
      remainingMs: 0,
    })
    expect(dueState(deadline, new Date('2026-11-28T11:00:00+08:00'))).toEqual({
      overdue: false,
      byMs: 0,
      remainingMs: 3_600_000,
    })
  })

  it('refuses an unknown category with a Chinese message', () => {
    expect(() => resp.rule('plumbing' as never)).toThrow(/未知的事项类别/)
  })
})

describe('whoHandles', () => {
  useTestDatabase()
  const resp = createResponsibility(list, calendar)
  const token = () => new Types.ObjectId().toString()

  async function seed() {
    const community = await CommunityModel.create({ code: 'KB-01', name: '康和社区' })
    const other = await CommunityModel.create({ code: 'KB-02', name: '别的社区' })
    const person = (name: string, roles: Role[], staff: Record<string, unknown> = {}) =>
      ResidentModel.create({ name, roles, token: token(), communityId: community._id, staff })
    const primary = await person('王网格', ['grid_worker'])
    const partA = await person('李兼职', ['grid_worker'])
    const partOff = await person('赵休假', ['grid_worker'], { onDuty: false })
    const grid = await GridModel.create({
      code: 'KC-07',
      name: '七网格',
      communityId: community._id,
      buildings: ['10'],
      primaryWorkerId: primary._id,
      partTimeWorkerIds: [partA._id, partOff._id],
      token: token(),
    })
    const staffer = await person('社区张', ['community_staff'], { communityIds: [community._id] })
    await person('别社区刘', ['community_staff'], { communityIds: [other._id] })
    const heating = await DepartmentModel.create({
      code: 'heating',
      name: '供热公司',
      categories: ['heating_utilities'],
    })
    const water = await DepartmentModel.create({
      code: 'water',
      name: '供水公司',
      categories: ['heating_utilities'],
      communityIds: [community._id],
    })
    await DepartmentModel.create({
      code: 'water-2',
      name: '别处供水',
      categories: ['heating_utilities'],
      communityIds: [other._id],
    })
    const household = await HouseholdModel.create({
      communityId: community._id,
      gridId: grid._id,
      building: '10',
      unit: '1',
      room: '301',
      token: token(),
    })
    return { community, grid, primary, partA, staffer, heating, water, household }
  }

  it('finds grid workers (primary first, on duty only), community staff and departments for a household', async () => {
    const s = await seed()
    const at = new Date('2026-11-27T16:00:00+08:00')
    const who = await resp.whoHandles({
      category: 'heating_utilities',
      urgency: 'normal',
      householdId: s.household._id.toString(),
      at,
    })
    expect(who.level).toBe('department')
    expect(who.gridId).toBe(s.grid._id.toString())
    expect(who.gridWorkerIds).toEqual([s.primary._id.toString(), s.partA._id.toString()])
    expect(who.communityStaffIds).toEqual([s.staffer._id.toString()])
    expect(who.departmentIds).toEqual([s.heating._id.toString(), s.water._id.toString()])
    expect(who.respondBy).toEqual(new Date('2026-11-27T17:00:00+08:00'))
    expect(who.resolveBy).toEqual(new Date('2026-11-28T16:00:00+08:00'))
    expect(who.notifyCommunity).toBe(false)
  })

  it('answers for a grid, and an urgent case tells the community', async () => {
    const s = await seed()
    const who = await resp.whoHandles({ category: 'sanitation', urgency: 'urgent', gridId: s.grid._id })
    expect(who.level).toBe('grid')
    expect(who.gridWorkerIds[0]).toBe(s.primary._id.toString())
    expect(who.notifyCommunity).toBe(true)
    expect(who.departmentIds).toEqual([])
  })

  it('never routes to staff who went off duty or lost the role after their list was remembered', async () => {
    const s = await seed()
    const first = await resp.whoHandles({ category: 'sanitation', urgency: 'normal', gridId: s.grid._id })
    expect(first.communityStaffIds).toEqual([s.staffer._id.toString()])
    await ResidentModel.updateOne({ _id: s.partA._id }, { $set: { 'staff.onDuty': false } })
    await ResidentModel.updateOne({ _id: s.staffer._id }, { $set: { roles: ['resident'] } })
    const again = await resp.whoHandles({ category: 'sanitation', urgency: 'normal', gridId: s.grid._id })
    expect(again.gridWorkerIds).toEqual([s.primary._id.toString()])
    expect(again.communityStaffIds).toEqual([])
  })

  it('sees a staff role granted through the registry at once', async () => {
    const s = await seed()
    await resp.whoHandles({ category: 'sanitation', urgency: 'normal', gridId: s.grid._id })
    const helper = await ResidentModel.create({ name: '新网格员', roles: ['resident'], token: token() })
    const registry = createPeopleService({
      crypto: createFieldCrypto({
        encryptionKey: randomBytes(32).toString('hex'),
        hashSecret: 'k',
        env: 'test',
      }),
      now: () => new Date(),
    })
    await registry.grantStaffRole(String(helper._id), { role: 'grid_worker', gridIds: [String(s.grid._id)] })
    const who = await resp.whoHandles({ category: 'sanitation', urgency: 'normal', gridId: s.grid._id })
    expect(who.gridWorkerIds).toContain(String(helper._id))
  })

  it('says which household or grid is unknown', async () => {
    await expect(
      resp.whoHandles({ category: 'noise', urgency: 'normal', householdId: new Types.ObjectId() }),
    ).rejects.toThrow('住户不存在')
    await expect(
      resp.whoHandles({ category: 'noise', urgency: 'normal', gridId: 'not-an-id' }),
    ).rejects.toThrow(/网格编号格式不正确/)
  })
})
