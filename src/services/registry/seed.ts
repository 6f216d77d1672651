import { HouseholdModel } from '../../models/registry.model.js'
import { importRegistrySheet } from './import/import.service.js'
import type { RegistryService } from './registry.service.js'
import { idCheckChar } from './registry.validation.js'
import { type HouseholdView, type ResidentView, toHouseholdView } from './registry.views.js'

/**
 * The demo community (康巴什区 · 青春山街道 · 康和社区, code KH): 8 grids KH-01…KH-08 with three
 * buildings each (1–24号楼, 2 units, 5 floors, 2 rooms a floor: 480 households), residents, grid
 * workers, community staff (on duty), an admin, the city's intake desk (受理窗口), party members and
 * departments. Names are fixed so the demo and
 * tests can refer to them (see docs/registry.md).
 */

export const DEMO_COMMUNITY = {
  code: 'KH',
  name: '康和社区',
  street: '青春山街道',
  district: '康巴什区',
  city: '鄂尔多斯市',
}
/** Primary grid worker of KH-01 … KH-08. */
export const DEMO_GRID_WORKERS = [
  '王网格',
  '李网格',
  '张网格',
  '刘网格',
  '陈网格',
  '杨网格',
  '赵网格',
  '黄网格',
]
/** Part-time grid worker of KH-01 … KH-08. */
export const DEMO_PART_TIME_WORKERS = [
  '周兼职',
  '吴兼职',
  '徐兼职',
  '孙兼职',
  '胡兼职',
  '朱兼职',
  '高兼职',
  '林兼职',
]
export const DEMO_COMMUNITY_STAFF = ['郝主任', '马社工', '韩书记']
export const DEMO_ADMIN = '系统管理员'
/** The city's intake desk (受理窗口): cases whose community is not known yet go to them. */
export const DEMO_INTAKE_DESK = '孟窗口'

/** Departments with the taxonomy categories they handle (DESIGN.md) and their contact person. */
export const DEMO_DEPARTMENTS = [
  { code: 'property-co', name: '物业公司', categories: ['facility_repair'], contact: '孙经理' },
  { code: 'heating-co', name: '供热公司', categories: ['heating_utilities'], contact: '钱师傅' },
  { code: 'water-co', name: '供水公司', categories: ['heating_utilities'], contact: '冯师傅' },
  { code: 'power-co', name: '供电公司', categories: ['heating_utilities'], contact: '程师傅' },
  {
    code: 'chengguan',
    name: '城管',
    categories: ['illegal_occupation', 'parking_traffic'],
    contact: '曹队长',
  },
  { code: 'traffic-police', name: '交警', categories: ['parking_traffic'], contact: '袁警官' },
] as const

const SURNAMES = '张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧'
const GIVEN = [
  '桂兰',
  '建国',
  '秀英',
  '志强',
  '淑珍',
  '海燕',
  '德明',
  '丽娟',
  '国庆',
  '玉梅',
  '俊杰',
  '晓燕',
  '文华',
  '春梅',
  '立新',
  '红霞',
  '子涵',
  '浩然',
  '雅琴',
  '振华',
  '美玲',
  '宏伟',
  '慧敏',
  '永红',
  '金凤',
  '家豪',
  '婷婷',
  '树林',
  '凤英',
  '鹏飞',
]

export interface DemoGrid {
  id: string
  code: string
  name: string
  buildings: string[]
  primaryWorker: { id: string; name: string; contactId: string }
  partTimeWorker: { id: string; name: string; contactId: string }
}

/** What `seedDemo` created (or found), for the demo and for tests of other features. */
export interface DemoSeed {
  community: { id: string; code: string; name: string }
  grids: DemoGrid[]
  communityStaff: Array<{ id: string; name: string; contactId: string }>
  admin: { id: string; name: string; contactId: string }
  intakeDesk: { id: string; name: string; contactId: string }
  departments: Record<string, { id: string; name: string; categories: string[]; contactId: string }>
  partyMembers: Array<{ id: string; name: string; householdIds: string[] }>
  households: number
  residents: number
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')

/** Demo person number p: a name, a phone in 138-0000-xxxx and a valid ID number of 康巴什区 (150603). */
export function demoPerson(p: number): { name: string; phone: string; idNumber: string; tags: string[] } {
  const name = `${SURNAMES[p % SURNAMES.length]}${GIVEN[(p * 7) % GIVEN.length]}`
  const birth = `${1940 + (p % 60)}${pad(1 + (p % 12), 2)}${pad(1 + (p % 28), 2)}`
  const first17 = `150603${birth}${pad(p % 1000, 3)}`
  const tags = [
    p % 13 === 0 ? '独居老人' : '',
    p % 17 === 0 ? '残疾人' : '',
    p % 19 === 0 ? '低保' : '',
  ].filter(Boolean)
  return { name, phone: `1380000${pad(p, 4)}`, idNumber: first17 + idCheckChar(first17), tags }
}

/**
 * Where the demo community lies: a plausible block of 康巴什区 (Ordos), WGS-84. Grids KH-01…KH-08 are
 * 4 × 2 blocks of about 200 m × 200 m from the south-west corner; each grid's three buildings stand
 * in a row across the middle of its block.
 */
const DEMO_ORIGIN = { lng: 109.776, lat: 39.607 }
const GRID_W = 0.0024 // ° of longitude, ~205 m at 39.6°N
const GRID_H = 0.0018 // ° of latitude, ~200 m

function gridCorner(g: number): { lng: number; lat: number } {
  const col = (g - 1) % 4
  const row = Math.floor((g - 1) / 4)
  return { lng: DEMO_ORIGIN.lng + col * GRID_W, lat: DEMO_ORIGIN.lat + row * GRID_H }
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6

/** The WGS-84 point of demo building `b` (1–24; buildings 3g−2…3g are in grid KH-0g). */
export function demoBuildingPoint(b: number): { lng: number; lat: number } {
  const g = Math.ceil(b / 3)
  const k = b - (g - 1) * 3 // 1..3
  const c = gridCorner(g)
  return { lng: round6(c.lng + (GRID_W * k) / 4), lat: round6(c.lat + GRID_H / 2) }
}

/** Demo grid KH-0g's outline, as the sheet's 网格边界 cell: "经度,纬度;…" (WGS-84). */
export function demoGridOutline(g: number): string {
  const c = gridCorner(g)
  const corners = [
    [c.lng, c.lat],
    [c.lng + GRID_W, c.lat],
    [c.lng + GRID_W, c.lat + GRID_H],
    [c.lng, c.lat + GRID_H],
  ]
  return corners.map(([x, y]) => `${round6(x as number)},${round6(y as number)}`).join(';')
}

/** The demo sheet as an office would keep it: one row per resident, empty households without a name. */
export function demoSheet(): string {
  const rows = ['网格编号,网格名称,楼栋,单元,房号,姓名,手机号,身份证号,人员类别,经度,纬度,坐标系,网格边界']
  let household = 0
  let person = 1
  for (let g = 1; g <= 8; g++) {
    for (let b = (g - 1) * 3 + 1; b <= g * 3; b++) {
      for (const unit of [1, 2]) {
        for (let floor = 1; floor <= 5; floor++) {
          for (const r of [1, 2]) {
            const place = `KH-0${g},第${'一二三四五六七八'[g - 1]}网格,${b}号楼,${unit}单元,${floor * 100 + r}`
            const pt = demoBuildingPoint(b)
            const outline =
              b === (g - 1) * 3 + 1 && unit === 1 && floor === 1 && r === 1 ? demoGridOutline(g) : ''
            const geo = `${pt.lng},${pt.lat},WGS-84,"${outline}"`
            household++
            const residents = household % 5 === 4 ? 0 : household % 7 === 0 ? 2 : 1
            if (residents === 0) rows.push(`${place},,,,,${geo}`)
            for (let k = 0; k < residents; k++) {
              const p = demoPerson(person++)
              rows.push(`${place},${p.name},${p.phone},${p.idNumber},${p.tags.join('、')},${geo}`)
            }
          }
        }
      }
    }
  }
  return rows.join('\n')
}

/** Demo people are keyed by their WeChat contact id; all are looked up in one query. */
type Known = Map<string, ResidentView>

function demoContactIds(): string[] {
  const ids = ['demo-admin', 'demo-desk', ...DEMO_COMMUNITY_STAFF.map((_, i) => `demo-cs-${i + 1}`)]
  for (let g = 1; g <= 8; g++) {
    ids.push(`demo-gw-kh0${g}`, `demo-pt-kh0${g}`, `demo-party-KH-0${g}-0`, `demo-party-KH-0${g}-1`)
  }
  return [...ids, ...DEMO_DEPARTMENTS.map((d) => `demo-dept-${d.code}`)]
}

async function staffMember(
  registry: RegistryService,
  known: Known,
  contactId: string,
  name: string,
  communityId: string,
): Promise<ResidentView> {
  const found = known.get(contactId)
  if (found) return found
  return registry.createResident({
    name,
    communityId,
    roles: ['resident'],
    wechat: { contactId, nickname: name },
  })
}

async function seedGridWorkers(
  registry: RegistryService,
  known: Known,
  communityId: string,
): Promise<DemoGrid[]> {
  const grids: DemoGrid[] = []
  for (let g = 1; g <= 8; g++) {
    const grid = await registry.getGridByCode(`KH-0${g}`)
    if (!grid) throw new Error(`demo grid KH-0${g} was not imported`)
    const main = await staffMember(
      registry,
      known,
      `demo-gw-kh0${g}`,
      DEMO_GRID_WORKERS[g - 1] as string,
      communityId,
    )
    const part = await staffMember(
      registry,
      known,
      `demo-pt-kh0${g}`,
      DEMO_PART_TIME_WORKERS[g - 1] as string,
      communityId,
    )
    if (grid.primaryWorkerId !== main.id) await registry.assignGridWorker(grid.id, main.id, { primary: true })
    if (!grid.partTimeWorkerIds.includes(part.id))
      await registry.assignGridWorker(grid.id, part.id, { primary: false })
    const who = (r: ResidentView) => ({ id: r.id, name: r.name, contactId: r.wechat.contactId as string })
    grids.push({
      id: grid.id,
      code: grid.code,
      name: grid.name,
      buildings: grid.buildings,
      primaryWorker: who(main),
      partTimeWorker: who(part),
    })
  }
  return grids
}

async function seedDepartments(
  registry: RegistryService,
  known: Known,
  communityId: string,
): Promise<DemoSeed['departments']> {
  const out: DemoSeed['departments'] = {}
  for (const [i, d] of DEMO_DEPARTMENTS.entries()) {
    const contact = await staffMember(registry, known, `demo-dept-${d.code}`, d.contact, communityId)
    let dept = await registry.getDepartmentByCode(d.code)
    dept ??= await registry.upsertDepartment({
      code: d.code,
      name: d.name,
      categories: [...d.categories],
      contactIds: [contact.id],
      isDefault: i === 0,
    })
    if (!contact.roles.includes('department_staff'))
      await registry.grantStaffRole(contact.id, { role: 'department_staff', departmentId: dept.id })
    out[d.code] = {
      id: dept.id,
      name: dept.name,
      categories: dept.categories,
      contactId: contact.wechat.contactId as string,
    }
  }
  return out
}

/** Two party members per grid, each linked to five households of their grid that have none yet. */
async function seedPartyMembers(
  registry: RegistryService,
  known: Known,
  communityId: string,
  grids: DemoGrid[],
) {
  const members: DemoSeed['partyMembers'] = []
  // One read of the community's households (not one per grid): scans are slow on FerretDB.
  const all = (await HouseholdModel.find({ communityId }).sort({ building: 1, unit: 1, room: 1 }).lean()).map(
    toHouseholdView,
  )
  const byGrid = new Map<string, HouseholdView[]>()
  for (const h of all) byGrid.set(h.gridId, [...(byGrid.get(h.gridId) ?? []), h])
  for (const [g, grid] of grids.entries()) {
    const households = byGrid.get(grid.id) ?? []
    for (const k of [0, 1]) {
      const p = demoPerson(900 + g * 2 + k)
      let member = known.get(`demo-party-${grid.code}-${k}`)
      member ??= await registry.createResident({
        name: p.name,
        communityId,
        gridId: grid.id,
        roles: ['resident', 'party_member'],
        wechat: { contactId: `demo-party-${grid.code}-${k}` },
      })
      const memberId = member.id
      let linked = households.filter((h) => h.partyMemberId === memberId).map((h) => h.id)
      if (linked.length === 0) {
        const open = households.filter((h) => !h.partyMemberId).slice(0, 5)
        await registry.linkPartyMember(
          memberId,
          open.map((h) => h.id),
        )
        for (const h of open) h.partyMemberId = memberId
        linked = open.map((h) => h.id)
      }
      members.push({ id: memberId, name: member.name, householdIds: linked })
    }
  }
  return members
}

/**
 * Creates the demo community, or finds it: running it again changes nothing. Returns the ids and
 * names other features' tests and the demo refer to.
 */
export async function seedDemo(registry: RegistryService): Promise<DemoSeed> {
  const community =
    (await registry.getCommunityByCode('KH')) ?? (await registry.upsertCommunity(DEMO_COMMUNITY))
  const summary = await importRegistrySheet(
    { crypto: registry.crypto, clock: registry.clock },
    Buffer.from(demoSheet()),
    { communityCode: 'KH' },
  )
  if (summary.errors.length > 0)
    throw new Error(`demo sheet has bad rows: ${JSON.stringify(summary.errors.slice(0, 3))}`)
  const known = await registry.findResidentsByWechatContacts(demoContactIds())
  const grids = await seedGridWorkers(registry, known, community.id)
  const staff = []
  for (const [i, name] of DEMO_COMMUNITY_STAFF.entries()) {
    const s = await staffMember(registry, known, `demo-cs-${i + 1}`, name, community.id)
    if (!s.roles.includes('community_staff'))
      await registry.grantStaffRole(s.id, { role: 'community_staff', communityIds: [community.id] })
    staff.push({ id: s.id, name: s.name, contactId: s.wechat.contactId as string })
  }
  const admin = await staffMember(registry, known, 'demo-admin', DEMO_ADMIN, community.id)
  if (!admin.roles.includes('admin')) await registry.grantStaffRole(admin.id, { role: 'admin' })
  // City-wide: no community scope, and no community of their own (they serve every street).
  const desk =
    known.get('demo-desk') ??
    (await registry.createResident({
      name: DEMO_INTAKE_DESK,
      roles: ['resident'],
      wechat: { contactId: 'demo-desk', nickname: DEMO_INTAKE_DESK },
    }))
  if (!desk.roles.includes('intake_desk')) await registry.grantStaffRole(desk.id, { role: 'intake_desk' })
  const departments = await seedDepartments(registry, known, community.id)
  const partyMembers = await seedPartyMembers(registry, known, community.id, grids)
  const households = await HouseholdModel.countDocuments({ communityId: community.id })
  const residents = summary.residents.created + summary.residents.skipped + summary.residents.updated
  return {
    community: { id: community.id, code: community.code, name: community.name },
    grids,
    communityStaff: staff,
    admin: { id: admin.id, name: admin.name, contactId: 'demo-admin' },
    intakeDesk: { id: desk.id, name: desk.name, contactId: 'demo-desk' },
    departments,
    partyMembers,
    households,
    residents,
  }
}
