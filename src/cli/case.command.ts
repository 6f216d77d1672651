import { randomUUID } from 'node:crypto'
import { CATEGORY_NAMES, formatTime } from '../services/cases/case.notify.js'
import type { CaseView } from '../services/cases/case.service.js'
import { type Command, type CommandContext, parseArgs } from './command.js'

/** Who has the case, as the CLI prints it (ids, for staff who look people up). */
function ownerLabel(c: CaseView): string {
  const o = c.owner
  if (!o) return '—'
  const desk = o.kind === 'queue' || (o.kind === 'person' && o.queue) ? '受理窗口' : ''
  if (o.kind === 'person') return `${desk || '工作人员'} ${o.personId}`
  if (o.kind === 'department') return `部门 ${o.departmentId}`
  if (o.kind === 'posted') return `待部门抢单（${formatTime(o.claimDeadline)} 前）`
  return o.queue === 'community' ? '社区待派' : '受理窗口（待分配）'
}

function printCase(ctx: CommandContext, c: CaseView): void {
  const place = [
    c.location.building && `${c.location.building}号楼`,
    c.location.unit && `${c.location.unit}单元`,
  ]
    .filter(Boolean)
    .join('')
  ctx.out(`工单 ${c.number}  ${c.statusLabel}`)
  ctx.out(
    `类别：${CATEGORY_NAMES[c.category] ?? c.category}  紧急程度：${c.urgency === 'urgent' ? '紧急' : '一般'}`,
  )
  ctx.out(`地点：${place || '未注明'}`)
  ctx.out(`负责：${ownerLabel(c)}`)
  ctx.out(`内容：${c.description}`)
  const overdue = c.due.overdue ? `（已超时 ${Math.round(c.due.overdueByMs / 60_000)} 分钟）` : ''
  ctx.out(`响应时限：${formatTime(c.due.respondBy)}  办结时限：${formatTime(c.due.resolveBy)}${overdue}`)
  for (const t of c.timeline) ctx.out(`  ${formatTime(t.at)}  ${t.actionLabel}${t.note ? `：${t.note}` : ''}`)
}

async function openCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, ['json'])
  const text = String(flags.get('text') ?? positionals.join(' ')).trim()
  if (!text || text === 'true') {
    ctx.err(
      '用法：linli case open --text "<问题描述>" [--grid KH-01 | --community KH] [--category facility_repair] [--urgency urgent] [--json]',
    )
    return 2
  }
  const flag = (k: string) => (typeof flags.get(k) === 'string' ? (flags.get(k) as string) : undefined)
  await ctx.database()
  const service = ctx.services().cases
  const res = await service.open({
    channel: 'cli',
    sourceKey: flag('source-key') ?? `cli:${randomUUID()}`,
    text,
    category: flag('category'),
    urgency: flag('urgency'),
    location: { gridCode: flag('grid'), building: flag('building'), unit: flag('unit'), room: flag('room') },
    // Without --grid: the building named finds its grid in this community, else its duty staff,
    // else the intake desk (受理窗口) has the case.
    hint: { communityCode: flag('community') },
  })
  if (flags.has('json')) {
    ctx.out(JSON.stringify({ created: res.created, duplicateOf: res.duplicateOf ?? null, case: res.case }))
    return 0
  }
  ctx.out(
    res.created
      ? `已创建工单 ${res.case.number}`
      : `与已有工单 ${res.case.number} 为同一问题，已合并为关注人`,
  )
  printCase(ctx, res.case)
  return 0
}

async function showCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, ['json'])
  const number = positionals[0]
  if (!number) {
    ctx.err('用法：linli case show <工单号> [--json]')
    return 2
  }
  await ctx.database()
  const c = await ctx.services().cases.get(number)
  if (flags.has('json')) ctx.out(JSON.stringify(c))
  else printCase(ctx, c)
  return 0
}

/** `linli case open|show`: open a case from the command line (channel cli) or show one. */
export const caseCommand: Command = {
  name: 'case',
  usage: [
    'case open --text "<问题描述>" [--grid KH-01 | --community KH] [--json]',
    'case show <工单号> [--json]',
  ],
  summary: '录入一张工单（与各渠道同一受理流程），或查看工单及处理记录',
  async run(ctx, args) {
    const [sub, ...rest] = args
    if (sub === 'open') return openCommand(ctx, rest)
    if (sub === 'show') return showCommand(ctx, rest)
    ctx.err(
      '用法：linli case open --text "<问题描述>" [--grid KH-01] [--json] | linli case show <工单号> [--json]',
    )
    return 2
  },
}
