import {
  CATEGORIES,
  type Category,
  type ResponsibilityList,
  type Urgency,
} from '../responsibility/responsibility.config.js'
import {
  englishHazardOf,
  type Hazard,
  hazardOf,
  hazardWords,
  isMostlyLatin,
  isSymbolsOnly,
} from './triage.hazard.js'
import { extractLocation, type TriageLocation } from './triage.location.js'
import type { Intent, ModelPrediction, TriageModel } from './triage.model.js'
import { normalizeText } from './triage.normalize.js'

/** What triage decides about one message. */
export interface TriageResult {
  category: Category
  urgency: Urgency
  location: TriageLocation
  /** True exactly when intent is 'request': only a request opens a case. */
  isRequest: boolean
  /**
   * A request for action (a report, a call for help), a question for the knowledge base (policy,
   * how-to, may-I), or chit-chat (greetings, thanks, weather, off-topic, emoji-only, English).
   */
  intent: Intent
  /** The present danger an urgent request reports; set exactly when urgency is 'urgent'. */
  hazard?: Hazard
  /** 'en' when the text is mostly Latin letters (the bot answers in Chinese with an English hint). */
  language?: 'en'
  /** 0..1: how clearly the text points at this category. */
  confidence: number
  source: 'rules' | 'llm'
  /** Which words decided it (for staff and debugging; no personal data). */
  reasons?: string[]
}

/** The rules layer: pure and synchronous, built once from the responsibility list. */
export interface TriageRules {
  classify(text: string): TriageResult
}

interface TermUse {
  category: Category
  weight: number
  cue: boolean
}

/** When scores tie, the category whose harm is worse wins. */
const PRIORITY: Category[] = [
  'safety_hazard',
  'social_assistance',
  'heating_utilities',
  'facility_repair',
  'neighbor_dispute',
  'noise',
  'parking_traffic',
  'sanitation',
  'illegal_occupation',
  'greening_pets',
  'property_service',
  'policy_consult',
  'other',
]

const QUESTION_RE = /[吗么呢不没]$|[吗么呢] |怎么|如何|咋|哪|什么|多少|能不能|可不可以|是否|请问|\?/

function termWeight(term: string, kind: 'keyword' | 'hint' | 'cue'): number {
  const len = [...term].length
  if (kind === 'hint') return 1
  const base = kind === 'cue' ? 3 : len === 1 ? 1.5 : 2
  return base + Math.min(1.5, Math.max(0, len - 2) * 0.5)
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function buildTermIndex(list: ResponsibilityList): Map<string, TermUse[]> {
  const index = new Map<string, TermUse[]>()
  const add = (term: string, use: TermUse): void => {
    const t = normalizeText(term)
    if (!t) return
    const uses = index.get(t) ?? []
    const same = uses.find((u) => u.category === use.category)
    if (same) {
      same.weight = Math.max(same.weight, use.weight)
      same.cue ||= use.cue
    } else uses.push(use)
    index.set(t, uses)
  }
  for (const code of CATEGORIES) {
    const rule = list.categories[code]
    for (const k of rule.keywords) add(k, { category: code, weight: termWeight(k, 'keyword'), cue: false })
    for (const h of rule.hints) add(h, { category: code, weight: termWeight(h, 'hint'), cue: false })
    for (const c of rule.urgencyCues) add(c, { category: code, weight: termWeight(c, 'cue'), cue: true })
  }
  return index
}

interface Span {
  start: number
  end: number
}

/** Spans of negation words ("不是", "已经不" …); "是不是" is a question, not a negation. */
function negationSpans(text: string, negations: string[]): Span[] {
  const spans: Span[] = []
  for (const n of negations) {
    for (let i = text.indexOf(n); i >= 0; i = text.indexOf(n, i + 1)) {
      if (n.startsWith('不是') && text[i - 1] === '是') continue
      spans.push({ start: i, end: i + n.length })
    }
  }
  return spans
}

/** True when the match is negated: right after a negation, or "没(有)X了" (the problem is gone). */
function isNegated(text: string, m: Span, negs: Span[]): boolean {
  for (const n of negs) {
    if (m.start < n.end && m.end > n.start) return true
    if (n.end <= m.start && m.start - n.end <= 1 && !/\s/.test(text.slice(n.end, m.start))) return true
  }
  const before = text.slice(Math.max(0, m.start - 2), m.start)
  return /没有?$/.test(before) && text[m.end] === '了' && !/(了|啦)$/.test(text.slice(m.end + 1, m.end + 2))
}

// "没有煤气味" "没闻到燃气味" "不是着火": a danger said not to be there. Only urgency reads this;
// "没有暖气" is still a complaint about the heating.
const DENIAL_RE = /(没有|没|并没有|不是|没闻到|没闻着|没看到|没看见|闻不到|看不到|无)$/

/** True when a danger word is denied right before it ("没有煤气味", "没闻到燃气味"). */
function isDenied(text: string, m: Span): boolean {
  return DENIAL_RE.test(text.slice(Math.max(0, m.start - 4), m.start))
}

// "从上周开始一直闻到煤气味", "上个月漏过一次 现在又漏了": the danger goes on, whenever it began.
const ONGOING_RE = /一直|还在|还是|又|开始|到现在|至今|现在|正在|刚才|刚刚/
const COUNTERFACTUAL_RE = /真(?!的|是)[^ ]{0,3}了/

// "新闻里说…爆炸了", "梦见电梯掉下去了": a danger seen on a screen or in a dream is not here.
const NOT_HERE_RE = /新闻|电视(?:里|上|剧)|电影|剧里|视频里|抖音|快手|梦到|梦见|做梦|小说里|游戏里/
// "走丢的老人已经找到了", "火已经灭了": the danger is over (said after it).
const RESOLVED_RE =
  /已经?(找到|灭了|扑灭|救出|放出|处理好|修好|没事)|找到了|没事了|灭了|救出来了|放出来了|虚惊一场|收好了/

/** True when the text says the danger is over: "走丢的老人已经找到了", "火已经灭了". */
function isResolved(textAfter: string): boolean {
  return RESOLVED_RE.test(textAfter)
}

/**
 * True when the cue is not a present fact: a worry ("会不会漏电", "万一着火", "真着火了就跑不出去"),
 * the past ("昨天摔了"), something on a screen or in a dream, or a danger said to be over.
 */
function isHypothetical(text: string, m: Span, hypotheticals: string[], past: string[]): boolean {
  if (NOT_HERE_RE.test(text.slice(0, m.start)) || isResolved(text.slice(m.end))) return true
  const clause =
    text
      .slice(Math.max(0, m.start - 14), m.start)
      .split(' ')
      .at(-1) ?? ''
  // "真着火了消防车根本进不来": what would happen if; "真的着火了" is real.
  if (text[m.start - 1] === '真' || COUNTERFACTUAL_RE.test(clause)) return true
  const worry = clause.slice(-8)
  if (hypotheticals.some((h) => worry.includes(h))) return true
  const near = clause.slice(-4)
  if (past.some((p) => near.includes(p))) return true
  // A past marker anywhere in the clause ("上个月8号楼有人煤气中毒", "昨天3号楼着火的那家") unless
  // the danger is said to go on after it ("昨天晚上到现在一直有煤气味").
  return past.some((p) => {
    const at = clause.lastIndexOf(p)
    return at >= 0 && !ONGOING_RE.test(clause.slice(at + p.length))
  })
}

/** How much the model's probability counts against keyword weights (2–3.5 per keyword, 3+ per cue). */
const MODEL_WEIGHT = 6
/** A weak keyword hit is dropped as chit-chat only when the model is this sure of "none". */
const MODEL_NONE_PROB = 0.7
/** Keyword evidence at or above this keeps a message a request whatever the model says. */
const MODEL_KEEP_SCORE = 4
/** The model alone makes a message without keywords a request from this probability on. */
const MODEL_REQUEST_PROB = 0.5
/** A message starting with a greeting is social only up to this length. */
const SOCIAL_MAX_LENGTH = 20

/**
 * Compiles the responsibility list's keywords, cues and combos into a fast classifier. With a
 * model (see triage.model.ts) its class probabilities are added to the keyword scores: a clear
 * keyword match still wins, and the model decides when keywords are weak, tied or absent.
 */
export function compileTriageRules(list: ResponsibilityList, model?: TriageModel | null): TriageRules {
  const index = buildTermIndex(list)
  const terms = [...index.keys()].sort((a, b) => b.length - a.length)
  const termRe = new RegExp(terms.map(escapeRe).join('|'), 'g')
  const cues = list.triage
  const norm = (words: string[]): string[] => words.map(normalizeText).filter(Boolean)
  const negations = norm(cues.negations)
  const chitChat = norm(cues.chitChat)
  const adMarkers = norm(cues.adMarkers)
  const requestMarkers = norm(cues.requestMarkers)
  const hypotheticals = norm(cues.hypotheticals)
  const pastMarkers = norm(cues.pastMarkers)
  const combos = cues.combos.map((c) => ({ ...c, all: c.all.map(norm) }))

  function score(text: string): {
    scores: Map<Category, number>
    urgent: string[]
    combo: boolean
    reasons: string[]
  } {
    const scores = new Map<Category, number>()
    const seen = new Set<string>()
    const urgent: string[] = []
    let urgentCombo = false
    const reasons: string[] = []
    const negs = negationSpans(text, negations)
    for (const m of text.matchAll(termRe)) {
      const span = { start: m.index, end: m.index + m[0].length }
      if (isNegated(text, span, negs)) {
        reasons.push(`否定:${m[0]}`)
        continue
      }
      for (const use of index.get(m[0]) ?? []) {
        const key = `${use.category}:${m[0]}`
        if (seen.has(key)) continue
        seen.add(key)
        scores.set(use.category, (scores.get(use.category) ?? 0) + use.weight)
        const cue =
          use.cue && !isHypothetical(text, span, hypotheticals, pastMarkers) && !isDenied(text, span)
        if (cue) urgent.push(m[0])
        reasons.push(`${cue ? '紧急' : '词'}:${m[0]}→${use.category}`)
      }
    }
    for (const combo of combos) {
      if (combo.all.every((group) => group.some((w) => text.includes(w)))) {
        if (combo.category) scores.set(combo.category, (scores.get(combo.category) ?? 0) + combo.weight)
        const words = combo.all.map((g) => g.find((w) => text.includes(w)) ?? '')
        // A combo is urgent only when each group has a word said as a present fact (some occurrence
        // not negated, denied, a worry or the past), as for a single cue.
        const denied = !combo.all.every((group) => group.some((w) => liveIn(text, w)))
        if (combo.urgent && !denied) {
          urgent.push(words.join('+'))
          urgentCombo = true
        }
        reasons.push(`${combo.urgent && !denied ? '紧急组合' : '组合'}→${combo.category ?? '-'}`)
      }
    }
    return { scores, urgent, combo: urgentCombo, reasons }
  }

  /** True when some occurrence of `word` is not negated, denied, a worry or the past. */
  function liveIn(text: string, word: string, negs = negationSpans(text, negations)): boolean {
    for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
      const span = { start: i, end: i + word.length }
      if (
        !isDenied(text, span) &&
        !isNegated(text, span, negs) &&
        !isHypothetical(text, span, hypotheticals, pastMarkers)
      )
        return true
    }
    return false
  }

  function classify(raw: string): TriageResult {
    const text = normalizeText(raw)
    const location = extractLocation(text)
    if (text.length === 0 || isSymbolsOnly(raw)) return notRequest('chat', location, ['无文字'])
    if (isMostlyLatin(raw)) return english(raw, location)
    const { scores, urgent, combo, reasons } = score(text)
    const keywordTop = Math.max(0, ...scores.values())
    const keywordProblem = Math.max(0, ...[...scores].filter(([c]) => c !== 'other').map(([, v]) => v))
    // Keyword evidence of a problem to fix (a policy topic is not one).
    const keywordFix = Math.max(
      0,
      ...[...scores].filter(([c]) => c !== 'other' && c !== 'policy_consult').map(([, v]) => v),
    )
    const prediction = model ? model.predictNormalized(text) : undefined
    if (prediction) addModel(scores, prediction, reasons)
    let [top, second] = rank(scores)
    let topScore = top?.[1] ?? 0
    const hasMarker = requestMarkers.some((w) => text.includes(w))
    // "楼下单元门" contains the ad marker "下单": a clear problem report is never an ad.
    const isAd = adMarkers.some((w) => text.includes(w)) && keywordProblem < 5
    const startsSocial = chitChat.some((w) => text.startsWith(w))
    const hasChit = chitChat.some((w) => containsPlain(text, w))
    const byKeywords =
      !isAd &&
      // "你好我是三号楼的…" (voice input): a greeting opens many real reports; only short ones are social.
      !(startsSocial && keywordProblem < 4 && text.length <= SOCIAL_MAX_LENGTH) &&
      !(hasChit && keywordTop < 4 && !hasMarker) &&
      (keywordTop >= 2 || hasMarker)
    // Not chit-chat by the keyword rules (a question counts here: it is for the knowledge base).
    const notChat =
      urgent.length > 0 ||
      (!isAd && modelSaysRequest(byKeywords, keywordTop, hasMarker || !hasChit, hasMarker, prediction))
    // A danger word said as a present fact (not negated, not a worry, not the past) counts as a cue.
    const negs = negationSpans(text, negations)
    const dangerWord = hazardWords(text).find(
      (w) =>
        !isNegated(text, w, negs) &&
        !isHypothetical(text, w, hypotheticals, pastMarkers) &&
        !isDenied(text, w),
    )
    const intent = decideIntent(
      text,
      {
        notChat,
        isAd,
        urgentCue: urgent.length > 0,
        danger: dangerWord !== undefined,
        top: top?.[0],
        keywordFix,
      },
      prediction,
      reasons,
    )
    if (intent !== 'request') return notRequest(intent, location, reasons)
    if (dangerWord) reasons.push(`危险词:${dangerWord.hazard}`)
    // A clear danger: a list combo, or a list cue the hazard patterns confirm ("摇摇欲坠" + 坠).
    const clear = combo || (urgent.length > 0 && dangerWord !== undefined)
    const isUrgent = decideUrgent(
      clear,
      urgent.length > 0 || dangerWord !== undefined,
      RESOLVED_RE.test(text) || NOT_HERE_RE.test(text),
      prediction,
      reasons,
    )
    const hazard = isUrgent ? hazardOf(text) : undefined
    if (hazard) {
      // The danger says whose case it usually is (a lift → repair, a dog bite → pets, an elderly
      // person → assistance); strong words for another category still win.
      const usual = usualCategory(hazard, text)
      if (usual) {
        scores.set(usual, (scores.get(usual) ?? 0) + HAZARD_CATEGORY_WEIGHT)
        ;[top, second] = rank(scores)
        topScore = top?.[1] ?? 0
      }
    }
    let category: Category =
      top && topScore >= 1.5 ? top[0] : QUESTION_RE.test(text) ? 'policy_consult' : 'other'
    if (isUrgent && top && !urgentCategoryAllowed(category, scores)) category = top[0]
    // A request is not a policy question: the knowledge base takes those.
    if (category === 'policy_consult') category = second && second[1] >= 1.5 ? second[0] : 'other'
    const margin = topScore > 0 ? topScore / (topScore + (second?.[1] ?? 0)) : 0
    const confidence = topScore >= 1.5 ? round2(margin * Math.min(1, topScore / 5)) : 0.2
    return {
      category,
      urgency: isUrgent ? 'urgent' : 'normal',
      location,
      isRequest: true,
      intent,
      ...(hazard ? { hazard } : {}),
      confidence,
      source: 'rules',
      reasons,
    }
  }

  return { classify }
}

/** Categories by score, the worse harm first on a tie. */
function rank(scores: Map<Category, number>): Array<[Category, number]> {
  return [...scores.entries()].sort((a, b) => b[1] - a[1] || PRIORITY.indexOf(a[0]) - PRIORITY.indexOf(b[0]))
}

/** How much the danger's usual category adds to its score (a keyword is worth 2–3.5). */
const HAZARD_CATEGORY_WEIGHT = 5
const ELDERLY_RE =
  /老人|老太|老头|大爷|大娘|奶奶|爷爷|姥姥|姥爷|老伴|老爷子|我爸|我妈|俺爸|俺妈|老父亲|老母亲|独居|孤寡|阿姨|大妈/

/** The category a danger's case usually belongs to; undefined when it depends on the words alone. */
function usualCategory(hazard: Hazard, text: string): Category | undefined {
  switch (hazard) {
    case 'animal_bite':
      return 'greening_pets'
    case 'trapped':
      return /电梯/.test(text) ? 'facility_repair' : undefined
    case 'medical':
    case 'missing_person':
      return ELDERLY_RE.test(text) ? 'social_assistance' : 'safety_hazard'
    case 'flood':
      return undefined
    default:
      return 'safety_hazard'
  }
}

/** The answer for a question or chit-chat: no case, no urgency, no danger. */
function notRequest(
  intent: Exclude<Intent, 'request'>,
  location: TriageLocation,
  reasons: string[],
): TriageResult {
  return {
    category: intent === 'question' ? 'policy_consult' : 'other',
    urgency: 'normal',
    location,
    isRequest: false,
    intent,
    confidence: 0.6,
    source: 'rules',
    reasons,
  }
}

/**
 * An English message is chit-chat for the bot (it answers in Chinese with an English hint), unless
 * it reports a danger: "fire in building 3" must not wait for a translation.
 */
function english(raw: string, location: TriageLocation): TriageResult {
  const hazard = englishHazardOf(raw)
  if (!hazard) return { ...notRequest('chat', location, ['英文']), language: 'en' }
  return {
    category: 'safety_hazard',
    urgency: 'urgent',
    location,
    isRequest: true,
    intent: 'request',
    hazard,
    language: 'en',
    confidence: 0.5,
    source: 'rules',
    reasons: [`英文紧急:${hazard}`],
  }
}

/** A policy or how-to question, recognised without 「？」: 「…怎么申请」「…可以领吗」「…去哪办」. */
const KB_QUESTION_RE =
  /怎么申请|如何申请|咋申请|申请条件|可以领|能领|领多少|多大年龄|多大岁数|几岁|需要什么|需要哪些|要什么材料|要带啥|要带什么|带什么材料|去哪办|在哪办|哪里办|在哪开|去哪开|怎么办理|如何办理|咋办理|怎么交|在哪交|怎么查|在哪查|几点|什么时候|啥时候|几号|标准是|有没有.{0,6}(补贴|补助|政策|服务)|能不能|可不可以|是不是|要不要|该不该|怎么弄|咋弄|怎么用|该打什么|打什么电话|打哪个电话|该怎么|应该怎么|第一步|怎么自救|怎么逃生|怎么急救|找谁|多少钱|吗$|么$|呢$|不$/

/**
 * A may-I question (「电动车可以在楼道里充电吗？」「楼道里能停电动车吗」「是否允许…」): the asker wants to
 * know a rule, not to have something done — unless they ask someone to act (「能不能管管」).
 */
const PERMISSION_RE =
  /(可以|能|可不可以|能不能|能否|允许|准许|让不让|准不准|是否可以|是否允许).{0,16}(吗|么|不|没)[？?。！!~～\s]*$|(行不行|可不可以|能不能|中不中|成不成|允不允许)[？?。！!~～\s]*$/
const ASKS_TO_ACT_RE =
  /管管|管一下|管不管|处理|修|派人|派个人|解决|清理|清一下|帮忙|帮我|帮帮|投诉|举报|反映|来看看|过来|催一下|通知一下|坏了|坏掉|不亮|漏水|堵了|堵住|不通|破了|裂了|掉了|塌了|不能用|没法用|发黄|发黑|浑|锈|异味|有味|臭|不正常|有问题/

/** Whether the text asks whether something is allowed (and neither reports a fault nor asks anyone to act). */
export function isPermissionQuestion(text: string): boolean {
  return PERMISSION_RE.test(text) && !ASKS_TO_ACT_RE.test(text)
}

const INTENT_LIST: Intent[] = ['request', 'question', 'chat']
/** What a how-to or may-I form adds to the model's question probability (before renormalising). */
const QUESTION_FORM_WEIGHT = 0.6
/** Chit-chat wins over a present danger word only when the model is this sure of it. */
const CHAT_OVER_DANGER = 0.9
/** The model's intent once it is this sure, whatever the keyword rules say. */
const INTENT_SURE = 0.6
/** The model alone makes a message urgent from this probability on. */
const URGENT_MODEL_PROB = 0.9
/** With a lone cue or danger word, the model needs only this much. */
const URGENT_CUE_PROB = 0.05

/**
 * Request, question or chat. The model's intent head reads the whole phrasing; the keyword rules
 * (chit-chat words, ads, problem keywords, question forms) decide when it is unsure or absent.
 */
function decideIntent(
  text: string,
  signals: {
    notChat: boolean
    isAd: boolean
    urgentCue: boolean
    danger: boolean
    top?: Category
    keywordFix: number
  },
  prediction: ModelPrediction | undefined,
  reasons: string[],
): Intent {
  const { notChat, isAd, urgentCue, danger, top, keywordFix } = signals
  const questionForm = KB_QUESTION_RE.test(text)
  if (!prediction) {
    // Keywords alone: a policy topic asked about is a question; a problem asked about is a report.
    if (!notChat) return 'chat'
    if (urgentCue) return 'request'
    if (top === 'policy_consult') return 'question'
    return questionForm && keywordFix < 2 ? 'question' : 'request'
  }
  const p = prediction.intents
  const [best, bestProb] = [...p].sort((a, b) => b[1] - a[1])[0] as [Intent, number]
  reasons.push(`意图:${best}:${round2(bestProb)}`)
  if (isAd) return 'chat'
  // Whether something is allowed is a rule to look up, not a problem to dispatch.
  if (!urgentCue && !danger && isPermissionQuestion(text)) {
    reasons.push('问是否允许')
    return 'question'
  }
  // A how-to or may-I form without a danger leans to a question, however the words are spread.
  if (questionForm && !urgentCue) {
    const q = (p.get('question') ?? 0) + QUESTION_FORM_WEIGHT
    const sum = 1 + QUESTION_FORM_WEIGHT
    const lean = new Map(
      INTENT_LIST.map((i) => [i, ((i === 'question' ? q : (p.get(i) ?? 0)) as number) / sum]),
    )
    const [b, bp] = [...lean].sort((a, c) => c[1] - a[1])[0] as [Intent, number]
    if (bp >= INTENT_SURE) return b
  } else if (best === 'chat' && danger && !questionForm && bestProb < CHAT_OVER_DANGER) {
    // "有个阿姨突然倒下了": a present danger word is not chit-chat unless the model is sure it is
    // (a film, a dream, the news).
    reasons.push('危险词非闲聊')
    return 'request'
  } else if (bestProb >= INTENT_SURE) return best
  if (!notChat) return (p.get('question') ?? 0) > (p.get('chat') ?? 0) && questionForm ? 'question' : 'chat'
  if (questionForm && (p.get('question') ?? 0) >= (p.get('request') ?? 0) * 0.5) return 'question'
  return (p.get('request') ?? 0) >= (p.get('question') ?? 0) ? 'request' : 'question'
}

/**
 * Urgency of a request. A clear danger said as a present fact (a list combo, or a list cue the
 * hazard patterns confirm; already checked: not negated, denied, a worry or the past, and a question
 * never reaches here) is urgent whatever the model says: the model may add urgency, never take it
 * away. A lone cue or danger word (「塌了」 may be a pothole) needs the model not to rule it out; the
 * model alone needs to be sure.
 */
function decideUrgent(
  clear: boolean,
  cue: boolean,
  resolvedOrElsewhere: boolean,
  prediction: ModelPrediction | undefined,
  reasons: string[],
): boolean {
  if (clear) return true
  if (!prediction) return cue
  const p = prediction.urgentProb
  reasons.push(`模型紧急:${round2(p)}`)
  // The model alone never makes urgent what the text says is over or not here.
  if (!cue && resolvedOrElsewhere) return false
  return p >= URGENT_MODEL_PROB || (cue && p >= URGENT_CUE_PROB)
}

/** Adds the model's class probabilities (scaled) to the keyword scores; "none" is not a category. */
function addModel(scores: Map<Category, number>, prediction: ModelPrediction, reasons: string[]): void {
  for (const [c, p] of prediction.probs) {
    if (c === 'none' || p < 0.05) continue
    scores.set(c, (scores.get(c) ?? 0) + MODEL_WEIGHT * p)
  }
  reasons.push(`模型:${prediction.best}:${round2(prediction.bestProb)}`)
}

/**
 * Whether a message is a request: the keyword decision, overruled by the model only when the
 * keywords are weak — a message with no keyword that the model clearly reads as a problem is a
 * request; a weak keyword hit the model clearly reads as chit-chat is not.
 */
function modelSaysRequest(
  byKeywords: boolean,
  keywordTop: number,
  mayPromote: boolean,
  hasMarker: boolean,
  prediction: ModelPrediction | undefined,
): boolean {
  if (!prediction) return byKeywords
  const none = prediction.probs.get('none') ?? 0
  if (byKeywords) return hasMarker || keywordTop >= MODEL_KEEP_SCORE || none < MODEL_NONE_PROB
  return (
    mayPromote &&
    prediction.best !== 'none' &&
    none < 1 - MODEL_NONE_PROB &&
    prediction.bestProb >= MODEL_REQUEST_PROB
  )
}

/** True when `word` occurs not negated: "不好的" does not contain the chit-chat "好的". */
function containsPlain(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    if (!/[不没]/.test(text[i - 1] ?? '')) return true
  }
  return false
}

function urgentCategoryAllowed(category: Category, scores: Map<Category, number>): boolean {
  return scores.has(category)
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
