import type { CaseActor, CaseService, CaseView } from '../services/cases/case.service.js'
import type { EventService } from '../services/events/event.service.js'
import type { KbService } from '../services/kb/kb.service.js'
import type { NoticeService } from '../services/notices/notice.service.js'
import type { RegistryService } from '../services/registry/registry.service.js'
import type { ResidentView } from '../services/registry/registry.views.js'

/** The domain services the chat flows and the grid workers' inbox call (built once in main.ts). */
export interface LiveServices {
  cases: CaseService
  kb: Pick<KbService, 'ask'>
  events: Pick<EventService, 'listForPerson' | 'signUp' | 'cancelSignup' | 'setReminders'>
  notices: Pick<NoticeService, 'acknowledgeLatest'>
  registry: Pick<
    RegistryService,
    | 'findResidentByWechatContact'
    | 'createResident'
    | 'getResident'
    | 'getGridByCode'
    | 'getGrid'
    | 'getDepartmentByCode'
    | 'listDepartmentsForCategory'
    | 'findHouseholdByAddress'
    | 'personOfContact'
  >
}

/**
 * The person behind a WeChat contact (see `registry.personOfContact`, where this now lives); kept for
 * the chat code that still calls it this way.
 */
export async function personOfContact(
  registry: Pick<RegistryService, 'personOfContact'>,
  contact: { contactId: string; name: string },
  home: { communityId?: string; gridId?: string } = {},
): Promise<ResidentView> {
  return registry.personOfContact(contact, home)
}

/** The person as an actor on cases (the bot acts for them, never with more rights). */
export function actorOf(p: ResidentView): CaseActor {
  return {
    personId: p.id,
    roles: p.roles,
    communityIds: p.staff.communityIds,
    gridIds: p.staff.gridIds,
    departmentId: p.staff.departmentId,
  }
}

/** Who handles a case, as residents may read it in a group: a role and a name, never a phone. */
export async function handlerNameOf(registry: LiveServices['registry'], c: CaseView): Promise<string> {
  if (c.assigneeId) {
    const p = await registry.getResident(c.assigneeId).catch(() => undefined)
    if (p?.roles.includes('grid_worker')) return `网格员 ${p.name}`
    if (p) return `工作人员 ${p.name}`
  }
  if (c.departmentId || c.postedDepartmentIds.length > 0) return '相关职能部门'
  return '社区工作人员'
}

const DAY_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
})
const HM_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

function localDay(d: Date): { y: number; m: number; d: number } {
  const parts = DAY_FMT.formatToParts(d)
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value)
  return { y: get('year'), m: get('month'), d: get('day') }
}

/** A deadline as residents say it, in Beijing time: "今天 18:00 前", "明天 12:00 前", "11月30日 前". */
export function dueTextOf(deadline: Date | undefined, now: Date): string {
  if (!deadline) return '尽快'
  const a = localDay(now)
  const b = localDay(deadline)
  const days = Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000)
  if (days === 0) return `今天 ${HM_FMT.format(deadline)} 前`
  if (days === 1) return `明天 ${HM_FMT.format(deadline)} 前`
  return `${b.m}月${b.d}日 前`
}
