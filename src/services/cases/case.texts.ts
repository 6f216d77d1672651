import { cachedStaffView } from '../registry/registry.cache.js'

/**
 * Short texts about a case that every adapter shows the same way: who holds it and when it is due.
 * A handler is named by role and name, never by phone.
 */

/** The part of a case that says who holds it (a view, a summary or a stored case). */
export interface CaseHolder {
  assigneeId?: unknown
  departmentId?: unknown
  postedDepartmentIds?: ReadonlyArray<unknown>
}

/** Who handles a case, as residents may read it in a group: 「网格员 王芳」, 「相关职能部门」, 「社区工作人员」. */
export async function handlerNameOf(c: CaseHolder): Promise<string> {
  if (c.assigneeId != null) {
    const p = await cachedStaffView(String(c.assigneeId)).catch(() => null)
    if (p && !p.erasedAt) return `${roleName(p.roles)} ${p.name}`
  }
  if (c.departmentId != null || (c.postedDepartmentIds?.length ?? 0) > 0) return '相关职能部门'
  return '社区工作人员'
}

/** How a resident reads a handler's role: the most specific role they hold. */
function roleName(roles: readonly string[]): string {
  if (roles.includes('grid_worker')) return '网格员'
  if (roles.includes('intake_desk')) return '街道服务台'
  if (roles.includes('community_staff')) return '社区工作人员'
  return '工作人员'
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

/** A deadline as residents say it, in Beijing time: "今天 18:00 前", "明天 12:00 前", "11月30日前". */
export function dueTextOf(deadline: Date | undefined | null, now: Date): string {
  if (!deadline) return '尽快'
  const a = localDay(now)
  const b = localDay(deadline)
  const days = Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000)
  if (days === 0) return `今天 ${HM_FMT.format(deadline)} 前`
  if (days === 1) return `明天 ${HM_FMT.format(deadline)} 前`
  return `${b.m}月${b.d}日前`
}
