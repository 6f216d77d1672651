import { actorOfPerson } from '../services/cases/case.access.js'
import type { CaseActor, CaseSummary } from '../services/cases/case.service.js'
import { dueTextOf } from '../services/cases/case.texts.js'
import { formatAddress, parseAddress } from '../services/registry/registry.validation.js'
import type { ResidentView } from '../services/registry/registry.views.js'
import type { ChatServices } from './chat-handler.js'
import { say, TEXT } from './chat-texts.js'
import type { ChatContext, ChatMiddleware } from './composer.js'
import { politeError } from './domain-errors.js'

const STAFF_ROLES = ['grid_worker', 'community_staff', 'department_staff', 'street_staff', 'admin']

/** The inbox commands: the word, then the case number, then the rest. */
const COMMAND_RE = /^(我的工单|接单|进展|办结|转派|代录)(?:[\s:：]+([\s\S]*))?$/

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
export function workerCommands(services: ChatServices): ChatMiddleware {
  return async (ctx, next) => {
    if (ctx.isGroup || !parse(ctx.text)) return next()
    const me = await services.registry.findResidentByWechatContact(ctx.input.sender.contactId)
    if (!(await runWorkerCommand(ctx, services, me))) return next()
  }
}

/**
 * Runs one inbox command for `me` from any staff channel (the Wechaty direct chat, the WeCom app);
 * false when the text is not a command for them (a resident's 我的工单 is the resident flow's).
 */
export async function runWorkerCommand(
  ctx: ChatContext,
  services: ChatServices,
  me: ResidentView | undefined,
): Promise<boolean> {
  const cmd = parse(ctx.text)
  if (!cmd) return false
  const isStaff = me?.roles.some((r) => STAFF_ROLES.includes(r)) === true
  if (cmd.command === '我的工单' && !isStaff) return false
  ctx.outcome = `worker:${cmd.command}`
  if (!me || !isStaff) {
    ctx.outcome += ':refused'
    await ctx.reply(TEXT.workerOnly)
    return true
  }
  try {
    await run(ctx, services, me, cmd)
  } catch (err) {
    const sentence = politeError(err, cmd.number)
    if (!sentence) throw err
    ctx.outcome += ':refused'
    await ctx.reply(sentence)
  }
  return true
}

async function run(ctx: ChatContext, services: ChatServices, me: ResidentView, cmd: Parsed): Promise<void> {
  const { cases } = services
  const actor = actorOfPerson(me)
  const needs = (form: string) => ctx.reply(say.usage({ form }))
  const now = services.clock.now()
  switch (cmd.command) {
    case '我的工单': {
      const page = await cases.listForWorker(me.id, { limit: 10 })
      if (page.items.length === 0) return ctx.reply(TEXT.noWorkerCases)
      return ctx.reply(say.workerList({ lines: page.items.map((c, i) => listLine(c, i, now)) }))
    }
    case '接单': {
      if (!cmd.number) return needs('接单 工单号')
      const c = await cases.accept(cmd.number, actor)
      return ctx.reply(say.accepted({ caseNumber: c.number, due: dueTextOf(c.due.resolveBy, now) }))
    }
    case '进展': {
      if (!cmd.number || !cmd.rest) return needs('进展 工单号 说明')
      const c = await cases.progress(cmd.number, actor, cmd.rest)
      return ctx.reply(say.progressNoted({ caseNumber: c.number }))
    }
    case '办结': {
      if (!cmd.number || !cmd.rest) return needs('办结 工单号 处理结果')
      const c = await cases.resolve(cmd.number, actor, cmd.rest)
      return ctx.reply(say.resolved({ caseNumber: c.number }))
    }
    case '转派':
      return transfer(ctx, services, actor, cmd)
    case '代录':
      return walkIn(ctx, services, me)
  }
}

async function transfer(
  ctx: ChatContext,
  services: ChatServices,
  actor: CaseActor,
  cmd: Parsed,
): Promise<void> {
  const [deptName = '', ...why] = cmd.rest.split(/\s+/)
  const reason = why.join(' ').trim()
  if (!cmd.number || !deptName || !reason) return ctx.reply(say.usage({ form: '转派 工单号 部门 原因' }))
  const c = await services.cases.get(cmd.number)
  const dept =
    (await services.registry.getDepartmentByCode(deptName)) ??
    (await services.registry.listDepartmentsForCategory(c.category, c.location.communityId)).find(
      (d) => d.name === deptName || d.name.includes(deptName),
    )
  if (!dept) return ctx.reply(say.departmentNotFound({ name: deptName }))
  const moved = await services.cases.transfer(c.number, actor, { toDepartmentId: dept.id, reason })
  await ctx.reply(say.transferred({ caseNumber: moved.number, department: dept.name }))
}

/** 代录: a worker files a case for a resident met offline; the address locates it. */
async function walkIn(ctx: ChatContext, services: ChatServices, me: ResidentView) {
  const args = ctx.text.replace(/^代录[\s:：]*/, '').trim()
  const [where = '', ...words] = args.split(/\s+/)
  const description = words.join(' ').trim()
  const address = parseAddress(where)
  if (!address || description.length < 2) return ctx.reply(TEXT.walkInUsage)
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
  const due = dueTextOf(c.due.resolveBy, services.clock.now())
  const place = formatAddress(address)
  await ctx.reply(
    opened.duplicateOf
      ? say.walkInJoined({ address: place, caseNumber: opened.duplicateOf })
      : say.walkInOpened({ caseNumber: c.number, address: place, status: c.statusLabel, due }),
  )
}
