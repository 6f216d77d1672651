import type { Clock } from '../lib/clock.js'
import type { CaseActor, CaseSummary } from '../services/cases/case.service.js'
import { formatAddress, parseAddress } from '../services/registry/registry.validation.js'
import type { ResidentView } from '../services/registry/registry.views.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'
import { actorOf, dueTextOf, type LiveServices } from './live-services.js'

const STAFF_ROLES = ['grid_worker', 'community_staff', 'department_staff', 'street_staff', 'admin']

/** The inbox commands: the word, then the case number, then the rest. */
const COMMAND_RE = /^(我的工单|接单|进展|办结|转派|代录)(?:[\s:：]+([\s\S]*))?$/

export const WORKER_HELP = [
  '工单指令：',
  '我的工单',
  '接单 工单号',
  '进展 工单号 说明',
  '办结 工单号 处理结果',
  '转派 工单号 部门 原因',
  '代录 楼栋-单元-房号 问题描述',
].join('\n')

export interface WorkerCommandDeps {
  clock: Clock
}

interface Parsed {
  command: string
  number: string
  rest: string
}

function parse(text: string): Parsed | undefined {
  const m = COMMAND_RE.exec(text.trim())
  if (!m) return undefined
  const args = (m[2] ?? '').trim()
  const [number = '', ...rest] = args.split(/\s+/)
  return { command: m[1] as string, number, rest: rest.join(' ').trim() }
}

function listLine(c: CaseSummary, i: number, now: Date): string {
  const place = [
    c.location.building && `${c.location.building}号楼`,
    c.location.unit && `${c.location.unit}单元`,
  ]
    .filter(Boolean)
    .join('')
  const brief = c.description.length > 20 ? `${c.description.slice(0, 20)}…` : c.description
  const due = c.due.overdue ? '已超时' : dueTextOf(c.due.resolveBy, now)
  return `${i + 1}. ${c.number} ${c.statusLabel}｜${place || '未注明地点'}｜${brief}｜${due}`
}

/**
 * The grid workers' inbox in a direct chat: 我的工单, 接单, 进展, 办结, 转派, 代录. The case
 * service decides who may act; a refusal or a wrong number becomes one polite sentence.
 */
export function workerCommands(services: LiveServices, deps: WorkerCommandDeps): ChatMiddleware {
  return async (ctx, next) => {
    if (ctx.isGroup) return next()
    const cmd = parse(ctx.text)
    if (!cmd) return next()
    const me = await services.registry.findResidentByWechatContact(ctx.input.sender.contactId)
    const isStaff = me?.roles.some((r) => STAFF_ROLES.includes(r)) === true
    // A resident's 我的工单 lists their own reports (the resident flow).
    if (cmd.command === '我的工单' && !isStaff) return next()
    ctx.outcome = `worker:${cmd.command}`
    if (!me || !isStaff) {
      ctx.outcome += ':refused'
      return ctx.reply('抱歉，工单指令只对网格员和社区工作人员开放。居民报事请直接描述问题，或回复「菜单」。')
    }
    try {
      await run(ctx, services, deps, me, cmd)
    } catch (err) {
      const sentence = politeError(err, cmd.number)
      if (!sentence) throw err
      ctx.outcome += ':refused'
      await ctx.reply(sentence)
    }
  }
}

async function run(
  ctx: ChatContext,
  services: LiveServices,
  deps: WorkerCommandDeps,
  me: ResidentView,
  cmd: Parsed,
): Promise<void> {
  const { cases } = services
  const actor = actorOf(me)
  const needs = (what: string) => ctx.reply(`请这样发：${what}`)
  switch (cmd.command) {
    case '我的工单': {
      const page = await cases.listForWorker(me.id, { limit: 10 })
      if (page.items.length === 0) return ctx.reply('您目前没有待办工单。')
      const now = deps.clock.now()
      return ctx.reply(`您的待办工单：\n${page.items.map((c, i) => listLine(c, i, now)).join('\n')}`)
    }
    case '接单': {
      if (!cmd.number) return needs('接单 工单号')
      const c = await cases.accept(cmd.number, actor)
      return ctx.reply(
        `已接单 ${c.number}，请于${dueTextOf(c.due.resolveBy, deps.clock.now())}办结，居民已收到受理通知。`,
      )
    }
    case '进展': {
      if (!cmd.number || !cmd.rest) return needs('进展 工单号 说明')
      const c = await cases.progress(cmd.number, actor, cmd.rest)
      return ctx.reply(`已记录工单 ${c.number} 的进展。`)
    }
    case '办结': {
      if (!cmd.number || !cmd.rest) return needs('办结 工单号 处理结果')
      const c = await cases.resolve(cmd.number, actor, cmd.rest)
      return ctx.reply(`工单 ${c.number} 已办结，已通知居民评价。辛苦了！`)
    }
    case '转派':
      return transfer(ctx, services, actor, cmd)
    case '代录':
      return walkIn(ctx, services, deps, me)
  }
}

async function transfer(
  ctx: ChatContext,
  services: LiveServices,
  actor: CaseActor,
  cmd: Parsed,
): Promise<void> {
  const [deptName = '', ...why] = cmd.rest.split(/\s+/)
  const reason = why.join(' ').trim()
  if (!cmd.number || !deptName || !reason) return ctx.reply('请这样发：转派 工单号 部门 原因')
  const c = await services.cases.get(cmd.number)
  const dept =
    (await services.registry.getDepartmentByCode(deptName)) ??
    (await services.registry.listDepartmentsForCategory(c.category, c.location.communityId)).find(
      (d) => d.name === deptName || d.name.includes(deptName),
    )
  if (!dept) return ctx.reply(`没有找到「${deptName}」这个部门，请写部门全称或编号后再发一次。`)
  const moved = await services.cases.transfer(c.number, actor, { toDepartmentId: dept.id, reason })
  await ctx.reply(`工单 ${moved.number} 已转派给${dept.name}。`)
}

/** 代录: a worker files a case for a resident met offline; the address locates it. */
async function walkIn(ctx: ChatContext, services: LiveServices, deps: WorkerCommandDeps, me: ResidentView) {
  const args = ctx.text.replace(/^代录[\s:：]*/, '').trim()
  const [where = '', ...words] = args.split(/\s+/)
  const description = words.join(' ').trim()
  const address = parseAddress(where)
  if (!address || description.length < 2)
    return ctx.reply('请这样发：代录 楼栋-单元-房号 问题描述，例如「代录 3-2-301 厨房下水道堵了」。')
  const gridId = me.staff.gridIds[0]
  const grid = gridId ? await services.registry.getGrid(gridId) : undefined
  const household = grid
    ? await services.registry.findHouseholdByAddress(grid.communityId, address)
    : undefined
  const opened = await services.cases.open({
    channel: 'walk_in',
    sourceKey: `chat:${ctx.input.messageId}`,
    text: description,
    reporter: {},
    location: household
      ? { householdId: household.id }
      : { ...(gridId ? { gridId } : {}), building: address.building, unit: address.unit, room: address.room },
    enteredById: me.id,
  })
  const c = opened.case
  const due = dueTextOf(c.due.resolveBy, deps.clock.now())
  await ctx.reply(
    opened.duplicateOf
      ? `${formatAddress(address)}的这个问题已有工单 ${opened.duplicateOf}，已并入关注。`
      : `已代录工单 ${c.number}（${formatAddress(address)}），${c.statusLabel}，${due}办结。`,
  )
}
