import { wallClock } from './components/event-time'
import type { ImportKind } from './types'
/** Chinese names the console shows for the API's codes (the API sends statusLabel and actionLabel itself). */
export const ROLE_LABELS: Record<string, string> = {
  resident: '居民',
  grid_worker: '网格员',
  community_staff: '社区工作人员',
  department_staff: '部门人员',
  street_staff: '街道工作人员',
  intake_desk: '受理窗口',
  admin: '管理员',
  party_member: '党员',
  merchant: '商户核销员',
}

export const STATUS_OPTIONS: Array<[string, string]> = [
  ['', '全部状态'],
  ['received', '已受理待派单'],
  ['posted', '待部门抢单'],
  ['assigned', '已派单'],
  ['in_progress', '处理中'],
  ['resolved', '已办结待评价'],
  ['closed', '已关闭'],
  ['merged', '已合并'],
  ['rejected', '已驳回'],
]

export const URGENCY_LABELS: Record<string, string> = { urgent: '紧急', normal: '一般' }

export const CHANNEL_LABELS: Record<string, string> = {
  group: '微信群',
  direct: '微信私聊',
  miniprogram: '小程序',
  walk_in: '上门代录',
  cli: '后台录入',
  open311: '外部接口',
  kb: '政策问答转办',
}

export const roleNames = (roles: string[]): string => roles.map((r) => ROLE_LABELS[r] ?? r).join('、')

export function formatTime(at: string | undefined): string {
  // Beijing time whatever the browser's zone: the community's day, as the API and the chat count it.
  return at ? wallClock(at).replace('T', ' ') : ''
}

export interface Owner {
  kind: 'person' | 'department' | 'posted' | 'queue'
  personId?: string
  departmentId?: string
  departmentIds?: string[]
  queue?: string
}

export function ownerText(owner: Owner | undefined, names: Record<string, string>): string {
  if (!owner) return '无人负责'
  if (owner.kind === 'person') return `处理人：${names[owner.personId ?? ''] ?? '…'}`
  if (owner.kind === 'department') return '由部门处理'
  if (owner.kind === 'posted') return `待 ${owner.departmentIds?.length ?? 0} 个部门抢单`
  return owner.queue === 'intake_desk' ? '在受理窗口等待' : '在社区待派单'
}

/** The categories' Chinese names (the same table as CATEGORY_NAMES in the service's responsibility config). */
export const CATEGORY_LABELS: Record<string, string> = {
  facility_repair: '设施报修',
  sanitation: '环境卫生',
  parking_traffic: '停车与交通',
  noise: '噪音扰民',
  safety_hazard: '安全隐患',
  heating_utilities: '供暖供水供电',
  property_service: '物业服务',
  neighbor_dispute: '邻里纠纷',
  social_assistance: '民政救助',
  greening_pets: '园林绿化与宠物',
  illegal_occupation: '违建与占道',
  policy_consult: '政策咨询',
  other: '其他',
}

export const categoryName = (code: string): string => CATEGORY_LABELS[code] ?? code

/** The case board's kanban columns, in the order a case moves (finished-early statuses left out). */
export const BOARD_COLUMNS = ['received', 'posted', 'assigned', 'in_progress', 'resolved', 'closed'] as const

export const statusName = (code: string): string => STATUS_OPTIONS.find(([v]) => v === code)?.[1] ?? code

/** How long ago `at` was, in words (刚刚, 5分钟前, 3小时前, 2天前). */
export function ageText(at: string, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - new Date(at).getTime()) / 60_000))
  if (minutes < 1) return '刚刚'
  if (minutes < 60) return `${minutes}分钟前`
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}小时前`
  return `${Math.floor(minutes / (24 * 60))}天前`
}
/** What an import did to each kind of record, in the order the result shows them. */
export const IMPORT_KINDS: Array<[ImportKind, string]> = [
  ['households', '住户'],
  ['residents', '居民'],
  ['grids', '网格'],
  ['gridWorkers', '网格员'],
  ['communities', '社区'],
]

/**
 * The roster template's columns: the importer's usual header for each field it reads (see
 * HEADER_ALIASES in the registry importer; 网格编号 and 楼栋 + 房号 or 地址 are required).
 */
export const ROSTER_COLUMNS = [
  '社区编号',
  '网格编号',
  '网格名称',
  '网格员',
  '网格员电话',
  '楼栋',
  '单元',
  '房号',
  '姓名',
  '手机号',
  '身份证号',
  '人员类别',
  '政治面貌',
  '企业微信账号',
]

/** Policy document states (the knowledge base's status codes); the API's statusLabel adds the dates. */
export const KB_STATUS_LABELS: Record<string, string> = {
  in_force: '现行有效',
  review_due: '待复核',
  not_yet_effective: '尚未生效',
  expired: '已失效',
  superseded: '已被取代',
  abolished: '已废止',
}

export const KB_FORMAT_LABELS: Record<string, string> = {
  docx: 'Word 文档',
  pdf: 'PDF',
  html: '网页',
  markdown: 'Markdown 文本',
  text: '纯文本',
}
/** How a resident signed up for an event. */
export const SIGNUP_CHANNEL_LABELS: Record<string, string> = {
  miniprogram: '小程序',
  wechat: '微信私聊',
  checkin: '现场签到',
  api: '后台登记',
}

/** The reminder times the event form offers, in minutes before the start. */
export const REMINDER_CHOICES: Array<[number, string]> = [
  [4320, '提前 3 天'],
  [1440, '提前 1 天'],
  [120, '提前 2 小时'],
  [60, '提前 1 小时'],
  [30, '提前 30 分钟'],
]

/** `提前 1 天`, `提前 90 分钟`: any reminder offset in words. */
export function reminderName(minutes: number): string {
  const known = REMINDER_CHOICES.find(([m]) => m === minutes)
  if (known) return known[1]
  if (minutes % 1440 === 0) return `提前 ${minutes / 1440} 天`
  if (minutes % 60 === 0) return `提前 ${minutes / 60} 小时`
  return `提前 ${minutes} 分钟`
}

/** Polls and 议事 (投票议事 page). */
export const POLL_STATUS_LABELS: Record<string, string> = {
  open: '进行中',
  closed: '已结束',
  decided: '已决定',
}
export const VOTE_UNIT_LABELS: Record<string, string> = { household: '每户一票', person: '每人一票' }
export const RESULTS_VISIBILITY_LABELS: Record<string, string> = {
  all: '居民随时可见',
  after_close: '结束后对居民公布',
  staff: '仅工作人员可见',
}
/** The kinds of points (积分) and the states of a shop redemption (积分商城). */
export const POINTS_KIND_LABELS: Record<string, string> = { activity: '活动积分', conduct: '品德积分' }
export const REDEMPTION_STATUS_LABELS: Record<string, string> = {
  open: '待领取',
  picked_up: '已领取',
  cancelled: '已取消（积分已退回）',
  expired: '已过期（积分已退回）',
}
/** A volunteer need's state (志愿服务). */
export const NEED_STATUS_LABELS: Record<string, string> = {
  open: '等待接单',
  filled: '已有人接单',
  done: '已完成',
  cancelled: '已取消',
}

/** A volunteer's part in a need. */
export const ASSIGNMENT_STATUS_LABELS: Record<string, string> = {
  accepted: '已接单',
  checked_in: '已签到',
  done: '已完成',
}

/** Who acts for a household (代办人). */
export const PROXY_RELATION_LABELS: Record<string, string> = { family: '家属', lianhuzhang: '联户长' }

/** 「工作日 13:00–18:00」 from weekdays 1–7 and a window. */
export function availabilityText(a: { days: number[]; from: string; to: string }): string {
  const names = ['', '一', '二', '三', '四', '五', '六', '日']
  const d = a.days.join()
  const days =
    a.days.length === 7
      ? '每天'
      : d === '1,2,3,4,5'
        ? '工作日'
        : d === '6,7'
          ? '周末'
          : a.days.map((n) => `周${names[n]}`).join('、')
  return `${days} ${a.from}–${a.to}`
}
