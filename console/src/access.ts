/**
 * Which console pages a role can use, mirroring the API's role checks (the API stays the judge: a
 * page opened by its address still asks the API, which refuses in Chinese). The navigation shows only
 * these pages, and the start page is the first of them.
 */
export interface NavPage {
  /** The address under /console/ (see router.ts). */
  to: string
  label: string
  roles: readonly string[]
  /** True when the current route is this page or one of its sub-pages. */
  current(route: string): boolean
}

const COMMUNITY = ['community_staff', 'street_staff', 'admin'] as const
const WRITERS = ['community_staff', 'admin', 'grid_worker'] as const

const page = (to: string, label: string, roles: readonly string[], exact = false): NavPage => ({
  to,
  label,
  roles,
  current: (route) => (exact ? route === to : route === to || route.startsWith(`${to}/`)),
})

export const NAV_PAGES: readonly NavPage[] = [
  page('', '工单看板', COMMUNITY, true),
  page('worker', '我的工单', ['grid_worker'], true),
  page('claims', '部门抢单', ['department_staff'], true),
  page('intake', '受理窗口', ['intake_desk'], true),
  page('map', '社区地图', COMMUNITY, true),
  page('dashboard', '数据看板', COMMUNITY, true),
  page('notices', '通知', [...WRITERS, 'street_staff']),
  page('events', '活动', WRITERS),
  page('polls', '投票议事', WRITERS),
  page('volunteers', '志愿服务', ['community_staff', 'admin'], true),
  page('registry', '居民台账', ['grid_worker', 'community_staff', 'street_staff', 'admin']),
  page('kb', '政策库', ['community_staff', 'admin'], true),
  page('channels', '渠道状态', COMMUNITY, true),
  page('shop', '积分商城', ['community_staff', 'admin'], true),
  page('verify', '核销', ['merchant'], true),
]

/** The pages a person with these roles can use, in navigation order. */
export function pagesFor(roles: readonly string[]): NavPage[] {
  return NAV_PAGES.filter((p) => p.roles.some((r) => roles.includes(r)))
}
