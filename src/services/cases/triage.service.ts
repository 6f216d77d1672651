import type { Llm } from '../../lib/llm.js'
import type { Logger } from '../../lib/logger.js'
import type { ResponsibilityList } from '../responsibility/responsibility.config.js'
import { hazardOf } from './triage.hazard.js'
import { askLlm, type LlmTriageAnswer } from './triage.llm.js'
import type { TriageLocation } from './triage.location.js'
import { type Intent, loadTriageModel, type TriageModel } from './triage.model.js'
import { normalizeText } from './triage.normalize.js'
import { compileTriageRules, type TriageResult } from './triage.rules.js'

export type { Hazard } from './triage.hazard.js'
export type { TriageLocation } from './triage.location.js'
export type { Intent } from './triage.model.js'
export type { TriageResult } from './triage.rules.js'

export interface TriageContext {
  gridId?: string
  householdId?: string
  /** The reporter's own address: used when the text says "我家/家里" but names no place. */
  home?: TriageLocation
}

export interface TriageOptions {
  list: ResponsibilityList
  llm?: Llm
  logger: Logger
  /** Hard deadline for the LLM call; the rules answer after it. */
  timeoutMs?: number
  /**
   * The statistical layer under the keyword rules. Default: trained once from the shipped
   * `config/triage-train.jsonl`; null: keywords alone.
   */
  model?: TriageModel | null
}

export interface Triage {
  triage(text: string, context?: TriageContext): Promise<TriageResult>
  /** The rules layer alone (synchronous, no I/O). */
  classifyByRules(text: string, context?: TriageContext): TriageResult
}

const HOME_RE = /我家|家里|俺家|我们家|屋里|家中/

/**
 * Triage of a resident's message: the rules layer always answers; when an LLM is configured its
 * validated answer is used instead, except that it may never downgrade an urgent cue the rules saw,
 * and a location the rules read from the text wins. Any LLM failure falls back to the rules.
 */
export function createTriage(options: TriageOptions): Triage {
  const model = options.model === undefined ? loadTriageModel() : options.model
  const rules = compileTriageRules(options.list, model)
  const timeoutMs = options.timeoutMs ?? 4000

  function classifyByRules(text: string, context?: TriageContext): TriageResult {
    const result = rules.classify(text)
    return { ...result, location: withHome(result.location, text, context) }
  }

  async function triage(text: string, context?: TriageContext): Promise<TriageResult> {
    const byRules = classifyByRules(text, context)
    if (!options.llm || text.trim().length === 0) return byRules
    try {
      const answer = await askLlm(options.llm, options.list, text, timeoutMs)
      return merge(byRules, answer, text)
    } catch (err) {
      options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'LLM triage failed; using the rules',
      )
      return byRules
    }
  }

  return { triage, classifyByRules }
}

function merge(byRules: TriageResult, answer: LlmTriageAnswer, text: string): TriageResult {
  const fromLlm: TriageLocation = {}
  const digits = (s: string | null): string | undefined => {
    const t = s?.trim().replace(/^0+(?=\d)/, '')
    return t && /^[0-9A-Za-z]{1,6}$/.test(t) ? t.toUpperCase() : undefined
  }
  const b = digits(answer.building)
  const u = digits(answer.unit)
  const r = digits(answer.room)
  if (b) fromLlm.building = b
  if (u) fromLlm.unit = u
  if (r) fromLlm.room = r
  const llmIntent = answer.intent ?? (answer.isRequest ? 'request' : 'chat')
  // The LLM may add urgency to a request, never take away an urgent cue the rules saw.
  const urgent = byRules.urgency === 'urgent' || (answer.urgency === 'urgent' && llmIntent === 'request')
  const intent: Intent = urgent ? 'request' : llmIntent
  const category = intent === 'request' ? answer.category : intent === 'question' ? 'policy_consult' : 'other'
  return {
    category,
    urgency: urgent ? 'urgent' : 'normal',
    location: { ...fromLlm, ...byRules.location },
    isRequest: intent === 'request',
    intent,
    ...(urgent ? { hazard: byRules.hazard ?? hazardOf(normalizeText(text)) } : {}),
    ...(byRules.language ? { language: byRules.language } : {}),
    confidence: answer.confidence,
    source: 'llm',
    reasons: byRules.urgency === 'urgent' ? byRules.reasons?.filter((x) => x.startsWith('紧急')) : undefined,
  }
}

function withHome(location: TriageLocation, text: string, context?: TriageContext): TriageLocation {
  if (!context?.home || location.building || location.room || !HOME_RE.test(text)) return location
  return { ...context.home }
}
