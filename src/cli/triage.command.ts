import type { TriageResult } from '../services/cases/triage.service.js'
import { type Command, parseArgs } from './command.js'

const URGENCY_ZH = { urgent: '紧急', normal: '一般' } as const

const INTENT_ZH = { request: '报事求助', question: '咨询提问', chat: '闲聊' } as const

/**
 * The CLI's JSON line: fixed keys, null for unknown location parts. The first six keys are the
 * original contract; intent, hazard (null when no present danger) and language (null or "en") follow.
 */
export function triageJson(r: TriageResult): string {
  return JSON.stringify({
    category: r.category,
    urgency: r.urgency,
    location: {
      building: r.location.building ?? null,
      unit: r.location.unit ?? null,
      room: r.location.room ?? null,
    },
    isRequest: r.isRequest,
    confidence: r.confidence,
    source: r.source,
    intent: r.intent,
    hazard: r.hazard ?? null,
    language: r.language ?? null,
  })
}

/** `linli triage [--json] "<text>"`: classifies one message; needs no database. */
export const triageCommand: Command = {
  name: 'triage',
  usage: ['triage [--json] "<居民消息>"'],
  summary: '分析一条居民消息：类别、紧急程度、位置、意图、危险情况',
  async run(ctx, args) {
    const { flags, positionals } = parseArgs(args, ['json'])
    const text = positionals.join(' ').trim()
    if (!text) {
      ctx.err('用法：linli triage [--json] "<居民消息>"')
      return 2
    }
    const { triage, emergencyAdvice, responsibility } = ctx.services()
    const result = await triage.triage(text)
    if (flags.has('json')) {
      ctx.out(triageJson(result))
      return 0
    }
    const loc = [
      result.location.building && `${result.location.building}号楼`,
      result.location.unit && `${result.location.unit}单元`,
      result.location.room && `${result.location.room}室`,
    ]
      .filter(Boolean)
      .join('')
    ctx.out(`类别：${responsibility.list.categories[result.category].name}（${result.category}）`)
    ctx.out(`紧急程度：${URGENCY_ZH[result.urgency]}`)
    ctx.out(`位置：${loc || '未提及'}`)
    ctx.out(
      `是否报事：${result.isRequest ? '是' : '否'}（${INTENT_ZH[result.intent]}${result.language === 'en' ? '，英文' : ''}）  置信度：${result.confidence}  来源：${result.source}`,
    )
    if (result.hazard) ctx.out(`紧急提示：${emergencyAdvice(result.hazard).text}`)
    return 0
  },
}
