import { systemClock } from '../lib/clock.js'
import { createLlm } from '../lib/llm.js'
import {
  createKbService,
  type ImportFileReport,
  type KbService,
  kbSettingsFromConfig,
} from '../services/kb/kb.service.js'
import { type Command, type CommandContext, parseArgs } from './command.js'

const USAGE =
  'linli kb import <文件夹> | linli kb ask [--json] "<问题>" | linli kb unanswered [--limit N] | linli kb list | linli kb conflicts'

async function openKb(ctx: CommandContext): Promise<KbService> {
  await ctx.database()
  const llm = createLlm(ctx.config)
  return createKbService({ llm, logger: ctx.logger, clock: systemClock, ...kbSettingsFromConfig(ctx.config) })
}

/** 「已导入 通知.pdf → 通知（3 段）」, 「未导入 扫描件.pdf：这个 PDF 只有图片没有文字层…」. */
export function fileLine(f: ImportFileReport): string {
  switch (f.outcome) {
    case 'imported':
      return `已导入 ${f.file} → ${f.docId}（${f.chunks} 段）`
    case 'updated':
      return `已更新 ${f.file} → ${f.docId}（${f.chunks} 段）`
    case 'skipped':
      return `内容没有变化，跳过 ${f.file}`
    default:
      return `未导入 ${f.file}：${f.reason ?? '原因不明'}`
  }
}

async function runImport(ctx: CommandContext, folder: string | undefined): Promise<number> {
  if (!folder) {
    ctx.err(`用法：${USAGE}`)
    return 2
  }
  const kb = await openKb(ctx)
  const summary = await kb.importFolder(folder)
  // One line a file for the person at the terminal (stderr); the JSON summary alone on stdout.
  for (const f of summary.files) ctx.err(fileLine(f))
  const { imported, updated, skipped, chunks } = summary
  ctx.out(JSON.stringify({ imported, updated, skipped, chunks, failed: summary.failed.length }))
  return 0
}

async function runAsk(ctx: CommandContext, args: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(args, ['json'])
  const question = positionals.join(' ').trim()
  if (!question) {
    ctx.err(`用法：${USAGE}`)
    return 2
  }
  const kb = await openKb(ctx)
  const a = await kb.ask(question, { askerId: 'cli' })
  if (flags.has('json')) {
    ctx.out(JSON.stringify(a))
    return 0
  }
  ctx.out(a.answer)
  for (const c of a.citations)
    ctx.out(
      `  来源：《${c.title}》${c.article ?? ''}（${c.docId}）${c.headings.length ? ` ${c.headings.join(' > ')}` : ''}`,
    )
  return 0
}

/**
 * `linli kb …`: import policy documents, ask a question, list what residents asked in vain, the
 * documents with their status (现行有效, 已失效 …) and the documents in force that disagree.
 */
export const kbCommand: Command = {
  name: 'kb',
  usage: [
    'kb import <文件夹>',
    'kb ask [--json] "<问题>"',
    'kb unanswered [--limit N]',
    'kb list',
    'kb conflicts',
  ],
  summary: '政策知识库：导入文件、回答问题、列出没答上的问题、文件列表、相互矛盾的文件',
  async run(ctx, args) {
    const [sub, ...rest] = args
    if (sub === 'import') return runImport(ctx, rest[0])
    if (sub === 'ask') return runAsk(ctx, rest)
    if (sub === 'unanswered') {
      const { flags } = parseArgs(rest)
      const limit = Number(flags.get('limit') ?? 20)
      const kb = await openKb(ctx)
      ctx.out(JSON.stringify(await kb.unanswered({ limit: Number.isFinite(limit) ? limit : 20 })))
      return 0
    }
    if (sub === 'list') {
      const kb = await openKb(ctx)
      ctx.out(JSON.stringify(await kb.listDocuments()))
      return 0
    }
    if (sub === 'conflicts') {
      const kb = await openKb(ctx)
      ctx.out(JSON.stringify(await kb.listConflicts()))
      return 0
    }
    ctx.err(`用法：${USAGE}`)
    return 2
  },
}
