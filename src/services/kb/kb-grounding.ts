import { chineseToNumber } from '../../lib/chinese-numerals.js'
import { normalizeText, type TextAnalyzer, type TopicWord } from './kb-text.js'

/**
 * Checks a generated answer sentence by sentence against the numbered passages it was written from:
 * each sentence must cite a given passage, and what it says (numbers, names of offices and places,
 * its words, whether something is allowed or needed) must be found in the passages it cites. An
 * answer that fails is not shown; the extractive answer is given instead.
 */

/** A numbered passage as the LLM saw it: `[n]` in the answer refers to passages[n - 1]. */
export interface GroundingPassage {
  title: string
  headings: string[]
  text: string
}

export type GroundingReason =
  /** The sentence carries content but cites no passage. */
  | 'no-citation'
  /** The sentence cites a passage number that was not given. */
  | 'unknown-passage'
  /** A number, amount, date, duration or phone number not in the cited passages. */
  | 'number'
  /** An office, place or organisation not named in the cited passages. */
  | 'name'
  /** Says "may"/"need not" where the cited passage forbids/requires, or the other way round. */
  | 'polarity'
  /** Too few of the sentence's words occur in the cited passages. */
  | 'words'

export type GroundingResult =
  | { ok: true }
  | { ok: false; sentence: string; reason: GroundingReason; detail: string }

export interface GroundingOptions {
  /** The (masked) question: an answer may repeat its words ("楼道", "暖气不热") without a passage. */
  question?: string
  /** Least weighted share of a sentence's words found in its cited passages (default 0.6). */
  minWordShare?: number
}

const DEFAULT_MIN_WORD_SHARE = 0.6

/** Judges every sentence of the answer; the first unsupported one and why, or ok. */
export function checkGrounding(
  answerText: string,
  passages: GroundingPassage[],
  analyzer: TextAnalyzer,
  options: GroundingOptions = {},
): GroundingResult {
  const minShare = options.minWordShare ?? DEFAULT_MIN_WORD_SHARE
  const question = normalizeText(options.question ?? '')
  const supports = passages.map((p) => normalizeText([p.title, ...p.headings, p.text].join('\n')))
  const sentences = answerSentences(answerText).map((s) => ({ ...s, words: sentenceWords(s.text, analyzer) }))
  for (const [i, sentence] of sentences.entries()) {
    const { text, words } = sentence
    // A bare "可以。"/"不能。" is judged with the sentence it introduces (or ends): its citation and
    // the passage sentences that one draws on. A lead-in ("申请需要：") takes the citation of what follows.
    const neighbour = words.length === 0 ? (sentences[i + 1] ?? sentences[i - 1]) : undefined
    const leadIn = /[：:]$/.test(text) ? sentences[i + 1] : undefined
    const cites = sentence.cites.length > 0 ? sentence.cites : ((neighbour ?? leadIn)?.cites ?? [])
    const fail = (reason: GroundingReason, detail: string): GroundingResult => ({
      ok: false,
      sentence: text,
      reason,
      detail,
    })
    const plain = normalizeText(text)
    const polar = polarity(plain)
    const numbers = numbersIn(plain)
    if (cites.length === 0) {
      // Courtesy ("您好。") may stand alone; anything with content or a yes/no must cite.
      if (words.length === 0 && numbers.size === 0 && !polar.any) continue
      return fail('no-citation', '')
    }
    const unknown = cites.find((n) => n < 1 || n > passages.length)
    if (unknown !== undefined) return fail('unknown-passage', `[${unknown}]`)
    const support = cites.map((n) => supports[n - 1] as string).join('\n')

    const supportNumbers = numbersIn(support)
    for (const [value, written] of numbers) if (!supportNumbers.has(value)) return fail('number', written)

    for (const name of namesIn(text, words)) {
      if (!support.includes(name) && !question.includes(name)) return fail('name', name)
    }

    const share = wordShare(words, support, question, analyzer)
    if (share < minShare) return fail('words', share.toFixed(2))

    const conflict = polarityConflict(plain, neighbour?.words ?? words, support)
    if (conflict) return fail('polarity', conflict)
  }
  return { ok: true }
}

interface AnswerSentence {
  /** The sentence without its markers. */
  text: string
  cites: number[]
}

const LIST_MARKER_RE = /^\s*(?:\d{1,2}[.、．)）]|[（(]\d{1,2}[)）]|[①-⑩]|[-*•])\s*/
const MARKER_RE = /\[\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*\]/g

/**
 * The sentences of an answer with the passage numbers each cites. A marker right after the end
 * punctuation ("……测温。[1]") belongs to the sentence before it.
 */
export function answerSentences(answer: string): AnswerSentence[] {
  const sentences = pieces(answer.replace(/[；;]/g, '，'))
  const out: AnswerSentence[] = []
  for (const piece of sentences) {
    // The model's own list numbering ("1. 户口簿") is not a fact to find in the passage.
    const raw = piece.replace(LIST_MARKER_RE, '')
    const cites = [...raw.matchAll(MARKER_RE)].flatMap((m) =>
      (m[1] as string).split(/[,，、]/).map((d) => Number(d.trim())),
    )
    const text = raw.replace(MARKER_RE, '').trim()
    const last = out.at(-1)
    // A piece that is only markers (and punctuation) completes the sentence before it.
    if (!/[\p{L}\p{N}]/u.test(text)) {
      if (last) last.cites.push(...cites)
      continue
    }
    out.push({ text, cites })
  }
  return out
}

/** Sentences and lines; a line without end punctuation counts too (the chunker's splitter drops it). */
function pieces(text: string): string[] {
  return (text.match(/[^。！？!?；;\n]+[。！？!?；;]*[”’」』）)]*/g) ?? [])
    .map((x) => x.trim())
    .filter((x) => x.length > 0)
}

/** The sentence's topic words that say something: numbers and measure words are checked apart. */
function sentenceWords(text: string, analyzer: TextAnalyzer): TopicWord[] {
  return analyzer
    .topicWords(text)
    .filter((w) => !/\d/.test(w.word) && !/^(m|q|x)$/.test(w.tag) && !/^[a-z]$/.test(w.word))
}

// ---- numbers ---------------------------------------------------------------------------------

const CN_DIGITS = '零〇一二两三四五六七八九'
const CN_NUMERAL = `[${CN_DIGITS}十百千万亿]`
/** What follows a Chinese numeral that is a quantity (not 一律, 统一, 一般). */
const QUANTITY_AFTER =
  '(?:个|周岁|岁|年|月|日|号|天|周|星期|小时|时|分钟|分|秒|元|块|角|万|亿|次|倍|人|名|户|层|楼|栋|幢|单元|室|间|只|条|项|款|级|类|份|张|本|套|平方|米|公里|千米|度|工作日|档|批|期|季度|成|折|%)'
/** A numeral run starts with a digit or 十百千 (a lone 万 after digits, 3万, is a multiplier). */
const CN_RUN = `[${CN_DIGITS}十百千]${CN_NUMERAL}*`
const CN_NUMBER_RE = new RegExp(`(?<![\\d.])(?:(第)?(${CN_RUN})(?=${QUANTITY_AFTER})|(${CN_RUN}))`, 'g')

/** 三万五千 → 35000, 八十 → 80, 一亿二千万 → 120000000; undefined when not a numeral. */
function chineseValue(run: string): number | undefined {
  let total = 0
  let rest = run
  for (const [unit, factor] of [
    ['亿', 1e8],
    ['万', 1e4],
  ] as const) {
    const at = rest.indexOf(unit)
    if (at < 0) continue
    const head = rest.slice(0, at)
    const value = head === '' ? 1 : chineseToNumber(head)
    if (value === undefined) return undefined
    total += value * factor
    rest = rest.slice(at + 1)
  }
  if (rest === '') return total
  const tail = chineseToNumber(rest)
  return tail === undefined ? undefined : total + tail
}

/**
 * Writes the quantities of a text in one form: full-width digits and 1,000 folded by NFKC and comma
 * removal, 百分之十 → 10%, Chinese numerals that count something (八十周岁, 第三条, 两年) → digits.
 * A bare numeral run counts when it starts with a digit and has a unit inside (八十, 三百).
 */
export function normalizeQuantities(text: string): string {
  const t = normalizeText(text)
    .replace(/(\d)[,，](?=\d{3}(?!\d))/g, '$1')
    .replace(new RegExp(`百分之(${CN_NUMERAL}+|\\d+(?:\\.\\d+)?)`, 'g'), (_, n: string) => {
      const v = /\d/.test(n) ? n : chineseValue(n)
      return v === undefined ? _ : `${v}%`
    })
  return t.replace(CN_NUMBER_RE, (whole, ordinal: string | undefined, counted?: string, bare?: string) => {
    const run = counted ?? bare ?? ''
    if (bare !== undefined) {
      const looksNumeric = CN_DIGITS.includes(run[0] as string) && /[十百千万亿]/.test(run) && run !== '万一'
      if (!looksNumeric) return whole
    }
    const v = chineseValue(run)
    return v === undefined ? whole : `${ordinal ?? ''}${v}`
  })
}

/**
 * The numeric values of a text (3万 → 30000, 1.50 → 1.5) as canonical strings, each with the text
 * it was read from.
 */
export function numbersIn(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of normalizeQuantities(text).matchAll(/(\d+(?:\.\d+)?)\s*(万|亿)?/g)) {
    const base = Number(m[1])
    const factor = m[2] === '亿' ? 1e8 : m[2] === '万' ? 1e4 : 1
    const value = String(Number((base * factor).toPrecision(12)))
    if (!out.has(value)) out.set(value, m[0])
  }
  return out
}

// ---- names of offices and places -------------------------------------------------------------

const OFFICE_SUFFIX =
  /(管理局|局|办公室|服务中心|中心|委员会|居委会|村委会|办事处|医院|卫生院|派出所|大厅|窗口|公司|支队|大队|政府|服务站|管理处|法院|检察院)/g
const LEAD_FILLER = /^[的到在向去找往由或和及与请打拨给跟]+/

/**
 * Offices, organisations and places the sentence names: jieba's place/organisation words (北京市,
 * 民政局) and a word ending like an office (…窗口, …派出所) with the two characters before it.
 */
function namesIn(text: string, words: TopicWord[]): string[] {
  const plain = normalizeText(text)
  const names = new Set<string>()
  for (const w of words) if (/^(ns|nt)/.test(w.tag) && w.word.length > 1) names.add(w.word)
  for (const m of plain.matchAll(OFFICE_SUFFIX)) {
    const start = m.index ?? 0
    const before = plain.slice(Math.max(0, start - 2), start)
    const lead = /^[\u3400-\u9fff]*$/.test(before) ? before : (before.match(/[\u3400-\u9fff]*$/)?.[0] ?? '')
    const name = `${lead.replace(LEAD_FILLER, '')}${m[0]}`
    if (name.length > 1) names.add(name)
  }
  return [...names]
}

// ---- words -----------------------------------------------------------------------------------

/** How much of a word the support text carries: whole, via a synonym or its parts, or by bigrams. */
function wordCredit(word: string, support: string, question: string, analyzer: TextAnalyzer): number {
  if (support.includes(word) || question.includes(word)) return 1
  if (analyzer.synonymsOf(word).some((s) => support.includes(s))) return 1
  const parts = analyzer.parts(word).filter((p) => p.length > 1)
  if (parts.length >= 2 && parts.every((p) => support.includes(p))) return 1
  if (word.length < 3) return 0
  const pairs: string[] = []
  for (let i = 0; i + 1 < word.length; i++) pairs.push(word.slice(i, i + 2))
  return (0.5 * pairs.filter((p) => support.includes(p)).length) / pairs.length
}

/** The weighted share of the sentence's words found in the support (1 when it has none). */
function wordShare(words: TopicWord[], support: string, question: string, analyzer: TextAnalyzer): number {
  let total = 0
  let found = 0
  for (const w of words) {
    total += w.weight
    found += w.weight * wordCredit(w.word, support, question, analyzer)
  }
  return total === 0 ? 1 : found / total
}

// ---- allowed / forbidden, needed / not needed --------------------------------------------------

const FORBID_RE = /不得|严禁|禁止|不准|不允许|不能|不可以|不可|不许|不要|不行|切勿|请勿|勿|不予|不应|不宜/g
const NO_NEED_RE = /不需要|不需|无需|无须|不用|不必|免于|免除|免交|免费|不须|毋须|毋需/g
const PERMIT_RE = /可以|允许|准许|准予|能够|有权|可(?=[向在到于由凭持申办领享先直])|能(?=[在去到够直])/
const NEED_RE = /需要|必须|须(?!知)|应当|应该|应先|要先|得先|要求|需(?=[提持携带办缴交备])/
/** "不会被罚款", "免于处罚": the answer says there is no penalty. */
const NO_PENALTY_RE = /不(?:会|用)?(?:被)?(?:罚|处罚|处以)|免(?:于)?(?:处)?罚|没有(?:处罚|罚款)|不追究/
const PENALTY_RE = /罚款|处罚|警告|拘留|追究/

interface Polarity {
  forbid: boolean
  permit: boolean
  need: boolean
  noNeed: boolean
  noPenalty: boolean
  penalty: boolean
  any: boolean
}

function polarity(text: string): Polarity {
  // The negated forms go first, so 不可以 is not read as 可以 nor 不需要 as 需要.
  const rest = text.replace(FORBID_RE, '，').replace(NO_NEED_RE, '，')
  const forbid = text.search(FORBID_RE) >= 0
  const noNeed = text.search(NO_NEED_RE) >= 0
  const permit = PERMIT_RE.test(rest)
  const need = NEED_RE.test(rest)
  const noPenalty = NO_PENALTY_RE.test(text)
  const penalty = PENALTY_RE.test(text.replace(NO_PENALTY_RE, '，'))
  return {
    forbid,
    permit,
    need,
    noNeed,
    noPenalty,
    penalty,
    any: forbid || permit || need || noNeed || noPenalty,
  }
}

/**
 * Whether the sentence says the opposite of the passage it draws on: "可以在楼道充电" against
 * "严禁在楼梯间……充电", "不需要" against "需要". Judged clause by clause (a sentence may both allow
 * one thing and forbid another, and so may a passage), then for the sentence as a whole. A
 * description of the conflict, or undefined.
 */
function polarityConflict(sentence: string, words: TopicWord[], support: string): string | undefined {
  const said = polarity(sentence)
  if (!said.any) return undefined
  const passageClauses = pieces(support).flatMap(clausesOf)
  for (const clause of clausesOf(sentence)) {
    const own = words.filter((w) => clause.includes(w.word))
    const conflict = conflictWith(polarity(clause), own.length > 0 ? own : words, passageClauses, 0.8)
    if (conflict) return conflict
  }
  return conflictWith(said, words, pieces(support), 0.5)
}

function clausesOf(text: string): string[] {
  return text
    .split(/[，,：:]/)
    .map((c) => c.trim())
    .filter((c) => c.length > 0)
}

/** Compares what is said with the passage units sharing most of its words (within `share` of the best). */
function conflictWith(
  said: Polarity,
  words: TopicWord[],
  units: string[],
  share: number,
): string | undefined {
  if (!said.any) return undefined
  const scored = units.map((s) => ({
    s,
    score: words.reduce((sum, w) => sum + (s.includes(w.word) ? w.weight : 0), 0),
  }))
  const best = Math.max(0, ...scored.map((x) => x.score))
  if (best === 0) return undefined
  const source = polarity(
    scored
      .filter((x) => x.score >= best * share)
      .map((x) => x.s)
      .join('。'),
  )
  if (said.permit && !said.forbid && source.forbid && !source.permit) return 'says allowed; passage forbids'
  if (said.forbid && !said.permit && source.permit && !source.forbid) return 'says forbidden; passage allows'
  if (said.noNeed && !said.need && source.need && !source.noNeed) return 'says not needed; passage requires'
  if (said.need && !said.noNeed && source.noNeed && !source.need) return 'says needed; passage exempts'
  if (said.noPenalty && source.penalty && !source.noPenalty) return 'says no penalty; passage sets one'
  return undefined
}
