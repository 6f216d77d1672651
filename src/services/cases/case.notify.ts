import { maskText } from '../../lib/mask.js'
import type { CaseDoc } from '../../models/case.model.js'
import { CATEGORY_NAMES } from '../responsibility/responsibility.config.js'

/**
 * The Chinese texts Linli sends about cases, and who receives them. Texts are short: case number,
 * what, where (building/unit — the room only in a direct task notice to the person who must go
 * there), the deadline. Never a phone number (descriptions are masked).
 */

export type Recipient = { type: 'person' | 'contact' | 'room'; id: string }

export { CATEGORY_NAMES }

const TIME_FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

/** 11/28 10:00 in Beijing time. */
export function formatTime(d: Date | null | undefined): string {
  return d ? TIME_FMT.format(d) : '—'
}

/** "3号楼2单元" (and "301室" when withRoom). */
export function placeOf(c: Pick<CaseDoc, 'location'>, withRoom = false): string {
  const l = c.location
  const parts = [
    l?.building ? `${l.building}号楼` : '',
    l?.unit ? `${l.unit}单元` : '',
    withRoom && l?.room ? `${l.room}室` : '',
  ].join('')
  return parts || (l?.text ? maskText(l.text).slice(0, 20) : '未注明地点')
}

function brief(text: string, max = 60): string {
  const t = maskText(text).replace(/\s+/g, ' ').trim()
  return t.length > max ? `${t.slice(0, max)}…` : t
}

function headline(c: CaseDoc): string {
  const urgent = c.urgency === 'urgent' ? '（紧急）' : ''
  return `${c.number} ${CATEGORY_NAMES[c.category] ?? c.category}${urgent}`
}

/** A new task for the person who must act. */
export function taskText(c: CaseDoc): string {
  return [
    `【新工单】${headline(c)}`,
    `地点：${placeOf(c, true)}`,
    `内容：${brief(c.description)}`,
    `请于 ${formatTime(c.deadlines?.respondBy)} 前响应，${formatTime(c.deadlines?.resolveBy)} 前办结。`,
    `回复「接单 ${c.number}」接单，办完回复「办结 ${c.number} 处理结果」。`,
  ].join('\n')
}

/** Offered to departments (社区下单、部门抢单). */
export function postedText(c: CaseDoc): string {
  return [
    `【待抢单】${headline(c)}`,
    `地点：${placeOf(c)}`,
    `内容：${brief(c.description)}`,
    `请于 ${formatTime(c.claimDeadline)} 前在小程序抢单，逾期将派给默认部门。`,
  ].join('\n')
}

/** Urgent case: the grid worker and the community hear at once. */
export function urgentText(c: CaseDoc): string {
  return [
    `【紧急工单】${headline(c)}`,
    `地点：${placeOf(c)}`,
    `内容：${brief(c.description)}`,
    '请立即关注处理。',
  ].join('\n')
}

const DESK_REASONS: Record<string, string> = {
  no_place: '还不知道是哪个社区',
  no_staff: '所在社区暂无值班人员',
  returned: '被退回后社区暂无值班人员',
}

/** A case held at the intake desk (受理窗口): every desk member hears of it. */
export function deskText(c: CaseDoc): string {
  const why = DESK_REASONS[c.heldAt?.reason ?? ''] ?? '暂无负责人'
  return [
    `【受理窗口】${headline(c)}`,
    `内容：${brief(c.description)}`,
    `${why}，请核实社区和楼栋后改派到对应网格。`,
  ].join('\n')
}

export function unclaimedText(c: CaseDoc, departmentName: string): string {
  return `工单 ${c.number}（${placeOf(c)}）抢单超时无人认领，已派给${departmentName}处理，请社区跟进。`
}

export function returnedText(c: CaseDoc, reason: string): string {
  return `工单 ${c.number}（${placeOf(c)}）被退回：${brief(reason, 80)}。请重新派单。`
}

export function escalatedText(c: CaseDoc, note: string): string {
  return `【督办】工单 ${c.number}（${placeOf(c)}）${brief(note, 80)}，请尽快处理。`
}

export function reopenedText(c: CaseDoc, reason: string): string {
  return `工单 ${c.number}（${placeOf(c)}）被居民申请重新处理：${brief(reason, 80)}`
}

/** A worker's 进展 note, for everyone who reported the problem (masked, shortened). */
export function progressUpdate(c: CaseDoc, note: string): string {
  return `您反映的问题（工单 ${c.number}）有新进展：${brief(note, 80)}`
}

/** The handler's task when a low rating sends the case back (不满意重办): why, and by when. */
export function reworkText(c: CaseDoc, score: number, comment: string | undefined): string {
  const said = comment ? `：「${brief(comment, 60)}」` : ''
  return [
    `【重办】${headline(c)}`,
    `地点：${placeOf(c, true)}`,
    `居民评价 ${score} 分（不满意）${said}，工单已发回重办。`,
    `请于 ${formatTime(c.deadlines?.resolveBy)} 前重新办理，办完回复「办结 ${c.number} 处理结果」。`,
  ].join('\n')
}

/** The call-back task (电话回访) for the community's duty staff after a low rating; no phone in the text. */
export function callBackText(c: CaseDoc, score: number, comment: string | undefined): string {
  const said = comment ? `，评价：「${brief(comment, 60)}」` : ''
  return [
    `【回访】${headline(c)}`,
    `地点：${placeOf(c)}`,
    `居民评价 ${score} 分（不满意）${said}，已发回重办（第 ${c.reworkCount} 次）。`,
    '请电话回访居民，了解不满意的原因并跟进办理（联系方式请在小程序中查看）。',
  ].join('\n')
}

export function acceptedUpdate(c: CaseDoc): string {
  return `您反映的问题（工单 ${c.number}）已有工作人员受理，正在处理中。`
}

export function resolvedUpdate(c: CaseDoc, note: string, reopenDays: number): string {
  return [
    `您反映的问题（工单 ${c.number}）已处理：${brief(note, 80)}`,
    '请回复数字 1-5 为本次服务打分（5 分最满意），也可以在数字后附一句评价。',
    `如果问题没有解决，${reopenDays} 天内可以申请重新处理。`,
  ].join('\n')
}

export function rejectedUpdate(c: CaseDoc, reason: string): string {
  return `您反映的问题（工单 ${c.number}）未予受理：${brief(reason, 80)}。如有疑问请联系社区。`
}

export function mergedUpdate(source: CaseDoc, target: CaseDoc): string {
  return `工单 ${source.number} 与工单 ${target.number} 是同一问题，已合并处理，后续进展按工单 ${target.number} 通知您。`
}

/** Everyone who reported the problem: the reporter and each subscriber, once each. */
export function reporterRecipients(c: Pick<CaseDoc, 'reporterId' | 'reporter' | 'subscribers'>): Recipient[] {
  const out: Recipient[] = []
  const seen = new Set<string>()
  const add = (p: { personId?: unknown; contactId?: string | null; roomId?: string | null }) => {
    const r: Recipient | undefined = p.personId
      ? { type: 'person', id: String(p.personId) }
      : p.contactId
        ? { type: 'contact', id: p.contactId }
        : p.roomId
          ? { type: 'room', id: p.roomId }
          : undefined
    if (!r || seen.has(`${r.type}:${r.id}`)) return
    seen.add(`${r.type}:${r.id}`)
    out.push(r)
  }
  add({ personId: c.reporterId, contactId: c.reporter?.contactId, roomId: c.reporter?.roomId })
  for (const s of c.subscribers) add(s)
  return out
}
