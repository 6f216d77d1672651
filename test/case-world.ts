import path from 'node:path'
import { fixedClock } from '../src/lib/clock.js'
import type { CaseActor } from '../src/services/cases/case.access.js'
import { type CaseServiceDeps, createCaseService } from '../src/services/cases/case.service.js'
import { createOutbox } from '../src/services/outbox/outbox.service.js'
import { createPointsService } from '../src/services/points/points.service.js'
import { loadWorkingCalendar } from '../src/services/responsibility/calendar.js'
import { loadResponsibilityList } from '../src/services/responsibility/responsibility.config.js'
import { createResponsibility } from '../src/services/responsibility/responsibility.service.js'
import { createCommunity, createDepartment, createGrid, createHousehold, createPerson } from './factories.js'

const CONFIG_DIR = path.resolve(import.meta.dirname, '../config')
const list = loadResponsibilityList(CONFIG_DIR)
const calendar = loadWorkingCalendar(CONFIG_DIR)

export const CASE_SETTINGS = {
  timezone: 'Asia/Shanghai',
  cases: { duplicateWindowHours: 48, reopenWindowDays: 7, claimWindowMinutes: 30, followUpDelayHours: 48 },
}

/** A case service over the real responsibility list, outbox and points ledger, with a fixed clock. */
export function makeCaseService(
  start = new Date('2026-11-27T09:00:00+08:00'),
  extra: Partial<CaseServiceDeps> = {},
) {
  const clock = fixedClock(start)
  const responsibility = createResponsibility(list, calendar, clock)
  const points = createPointsService({ clock })
  const service = createCaseService({
    clock,
    outbox: createOutbox({ clock }),
    responsibility,
    config: CASE_SETTINGS,
    points,
    ...extra,
  })
  return { clock, service, points, responsibility }
}

/**
 * Test world: community KH with grid KH-01 (primary worker 王网格, part-time 李网格), grid KH-02
 * (worker 赵网格), community staff 陈社区, two heating companies (one default) with one staff each,
 * residents 张三 (3号楼2单元301), 李四, 王五 in KH-01.
 */
export async function makeCaseWorld() {
  const community = await createCommunity('KH')
  const other = await createCommunity('QT')
  const grid = await createGrid(community._id, 'KH-01', { buildings: ['3', '5'] })
  const grid2 = await createGrid(community._id, 'KH-02')
  const worker = await createPerson('王网格', ['grid_worker'], {
    communityId: community._id,
    staff: { gridIds: [grid._id] },
  })
  const partTime = await createPerson('李网格', ['grid_worker'], {
    communityId: community._id,
    staff: { gridIds: [grid._id] },
  })
  const worker2 = await createPerson('赵网格', ['grid_worker'], {
    communityId: community._id,
    staff: { gridIds: [grid2._id] },
  })
  grid.primaryWorkerId = worker._id
  grid.partTimeWorkerIds = [partTime._id]
  await grid.save()
  grid2.primaryWorkerId = worker2._id
  await grid2.save()
  const staff = await createPerson('陈社区', ['community_staff'], {
    staff: { communityIds: [community._id] },
  })
  const otherStaff = await createPerson('外社区', ['community_staff'], {
    staff: { communityIds: [other._id] },
  })
  const heatA = await createDepartment('heating', '热力一公司', ['heating_utilities'], true)
  const heatB = await createDepartment('heating-b', '热力二公司', ['heating_utilities'])
  const deptA = await createPerson('热力甲', ['department_staff'], { staff: { departmentId: heatA._id } })
  const deptB = await createPerson('热力乙', ['department_staff'], { staff: { departmentId: heatB._id } })
  const home = await createHousehold(grid, '3', '2', '301')
  const base = { communityId: community._id, gridId: grid._id }
  const zhang = await createPerson('张三', ['resident'], {
    ...base,
    householdId: home._id,
    contactId: 'wx-zhang',
  })
  const li = await createPerson('李四', ['resident'], { ...base, contactId: 'wx-li' })
  const wang = await createPerson('王五', ['resident'], { ...base, contactId: 'wx-wang' })
  const actor = (
    p: { _id: unknown; roles: string[]; staff?: { departmentId?: unknown } | null },
    communityIds: unknown[] = [],
  ): CaseActor => ({
    personId: String(p._id),
    roles: p.roles,
    communityIds: communityIds.map(String),
    departmentId: p.staff?.departmentId ? String(p.staff.departmentId) : undefined,
  })
  return {
    community,
    grid,
    grid2,
    worker,
    partTime,
    worker2,
    staff,
    heatA,
    heatB,
    zhang,
    li,
    wang,
    home,
    as: {
      worker: actor(worker),
      partTime: actor(partTime),
      worker2: actor(worker2),
      staff: actor(staff, [community._id]),
      otherStaff: actor(otherStaff, [other._id]),
      deptA: actor(deptA),
      deptB: actor(deptB),
      zhang: actor(zhang),
    },
  }
}
