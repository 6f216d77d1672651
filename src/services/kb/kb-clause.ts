import { type QueryUnit, queryUnits, unitCoverage } from './kb-evidence.js'
import type { IndexedChunk, SearchHit } from './kb-index.js'
import { normalizeText, type TextAnalyzer } from './kb-text.js'

/**
 * Picking the clause that answers: not the passage that shares the most words with the question, but
 * the sentence, clause or list of the document that carries what the question asks for — an age, an
 * amount, a place, the steps, a prohibition — with its lead-in and its whole list, and the article it
 * stands in, so the answer can say 「依据《…》第一条」.
 */

/** What a question asks for. A question may ask for two things (「怎么申请，要带什么」). */
export type QuestionType = 'may' | 'age' | 'amount' | 'time' | 'place' | 'materials' | 'who' | 'how' | 'what'

interface TypeRule {
  type: QuestionType
  /** The question asks for this. */
  ask: RegExp
  /** A sentence carrying this kind of fact. */
  cue: RegExp
  /** The strongest form of the fact for this question (an amount in 元 rather than a percentage). */
  strong?: (question: string) => RegExp
  /** An article heading that announces this kind of fact. */
  heading?: RegExp
}

const CN_DIGIT = '[一二三四五六七八九十百零〇两]'
const NUMBER = `(\\d+|${CN_DIGIT}+)`

const PROHIBITION_RE = /严禁|禁止|不得|不准|不允许|不能|不可以|不予|谢绝|不享受|不纳入/
const PERMISSION_RE = /可以|允许|准予|有权|可(?=[\u3400-\u9fff]{1,6}[，。；])|无需|不需要|不用/

const TYPE_RULES: TypeRule[] = [
  {
    type: 'may',
    ask: /(可以|可不可以|能不能|能否|能|允许|准许|让不让|准不准|是否可以|是否允许|行不行|可否|准许|中不中|得行).{0,20}(吗|么|嘛|不|没|$)|^(能|可以|准|让)|可以吗|行吗|中吗/,
    cue: new RegExp(`${PROHIBITION_RE.source}|${PERMISSION_RE.source}`),
  },
  {
    type: 'age',
    ask: /多大|几岁|年龄|岁数|多少岁|年满|周岁|年纪|岁以上|岁以下|老到/,
    cue: new RegExp(`${NUMBER}\\s*(周岁|岁)|年满|未成年|成年`),
    heading: /对象|条件|范围|标准/,
    strong: () => new RegExp(`${NUMBER}\\s*(周岁|岁)|年满`),
  },
  {
    type: 'amount',
    ask: /多少钱|多少元|几块|几百|几千|给多少|发多少|领多少|交多少|补多少|报多少|付多少|罚多少|贷多少|借多少|能贷|花多少|要多少|收多少|退多少|标准|金额|费用|收费|价格|价钱|比例|补贴多少|多少补贴|要钱|收钱|免费|掏钱|好多钱|额度|多少(?!天|个月|月|年|小时|分钟|岁|周岁|人|次|号|点|个工作日)/,
    cue: new RegExp(`${NUMBER}(\\.\\d+)?\\s*(元|万元|块|%|％|倍)|免费|不收取|不收费|减免|全额|报销|分之`),
    heading: /标准|费用|金额|收费|补贴|额度|比例|待遇/,
    strong: (q) =>
      /比例|报销|报多少|百分|几成|多少个点/.test(q)
        ? /\d+(\.\d+)?\s*(%|％)|分之/
        : new RegExp(`${NUMBER}(\\.\\d+)?\\s*(元|万元|块)|免费|不收取|不收费`),
  },
  {
    type: 'time',
    ask: /多久|多长时间|多长时候|什么时候|啥时候|啥时|几时|何时|几天|多少天|几个月|多少个月|期限|时限|截止|哪天|几号|几点|多少年|几年|有效期|工作日|时间|多快|什么时间|要等/,
    cue: new RegExp(
      `${NUMBER}\\s*(个)?(工作日|日|天|月|年|小时|周|分钟|时)|期限|时限|以内|之内|之前|截止|每年|每月|次月|当月|当日|当天|当场|即时|即办|\\d{1,2}[:：]\\d{2}|上午|下午|周[一二三四五六日]|工作日|节假日`,
    ),
    heading: /时限|期限|时间|有效期|时段|周期|频次/,
    strong: (q) =>
      /一次|每隔|多久.{0,4}(一回|一趟)/.test(q)
        ? new RegExp(
            `每.{0,4}(\\d{1,3}|${CN_DIGIT}+)\\s*个?(月|年|天|周|季度)|(\\d{1,3}|${CN_DIGIT}+)\\s*个?(月|年|天|周).{0,8}一次|每(年|月|季度|周|半年)`,
          )
        : /多久|多长|几天|多少天|几个月|期限|时限|要等|多快|有效期/.test(q)
          ? new RegExp(
              `(?<!\\d)(\\d{1,3}|${CN_DIGIT}+)\\s*个?(工作日|日|天|小时|周|个月|月|年)(内|以内|之内|后|完成|办结)|\\d{1,3}\\s*个工作日|当场|即时|即办|当日|当天`,
            )
          : new RegExp(
              `\\d{1,2}月\\d{1,2}日|\\d{1,2}[:：]\\d{2}|次月|当月|上午|下午|周[一二三四五六日]|${NUMBER}\\s*(日|号)(前|起|至)|起(开始)?(发放|计发|施行)|之日起`,
            ),
  },
  {
    type: 'place',
    ask: /在哪|在那里|哪里|去哪|哪儿|哪个地方|地点|什么地方|地址|哪个部门|哪个窗口|哪个单位|找谁|找哪|网上|线上|电话|热线|号码|打什么|打哪|联系/,
    cue: /窗口|服务站|服务中心|服务大厅|大厅|政务|派出所|办事处|营业厅|医院|卫生院|居委会|居民委员会|民政局|民政部门|人社局|公安机关|所在地|户籍地|居住地|\d{3,5}[-－]?\d{4,8}|热线|电话|app|小程序|公众号|网站|网上|线上|平台|容器|收集点|投放点|到[^，。；]{1,24}(申请|办理|提交|领取|登记|咨询|认证|缴纳)|向[^，。；]{1,30}(申请|提出|报告|投诉|反映)/,
    heading: /地点|地址|窗口|渠道|方式|联系/,
  },
  {
    type: 'materials',
    ask: /材料|带什么|带啥|带哪些|准备什么|准备哪些|准备啥|要带|证件|手续|提供什么|提供哪些|提交什么|提交哪些|拿什么|拿啥|资料/,
    cue: /材料|携带|提交|提供|备齐|凭.{0,6}(证|卡)|(身份证|户口簿|户口本|证明|复印件|原件|照片|申请表|审批表|证件|社会保障卡|社保卡|合同|结婚证|发票|清单|记录|凭证).{0,20}(身份证|户口簿|户口本|证明|复印件|原件|照片|申请表|审批表|证件|社会保障卡|社保卡|合同|结婚证|发票|清单|记录|凭证)/,
    heading: /材料|证件|所需|提供|提交/,
  },
  {
    type: 'who',
    ask: /谁|哪些人|什么人|啥人|条件|资格(?!认证|审核|审查|复核|复查)|符合|可以领|能领|能拿|能享受|可以享受|能申请|可以申请|还能报|能报|有没有份|够不够|算不算|属于|对象|范围/,
    cue: /户籍|年满|符合|对象|条件|具有|持有|以下情形|之一的|范围|凡|均可|可以申[请领]|可申[请领]|不享受|不予|不属于|除外|不包括|不得申[请领]|不纳入|周岁以[上下]/,
    strong: () =>
      /年满|周岁以上|岁以上|符合.{0,12}条件|条件之一|下列条件|以下条件|具有.{0,8}户籍|可以申[请领]|可申[请领]|均可|凡.{2,20}的|居住.{0,6}(半年|以上)/,
    heading: /对象|条件|范围|资格/,
  },
  {
    type: 'how',
    // 「怎么申请」 asks for steps; 「怎么处理」「怎么办」 ask what happens (a rule), typed `what`.
    ask: /(怎么|如何|咋|怎样|咋个)(样)?[^，,。？?]{0,6}?(申请|办理|办(?!$|呢|啊|呀)|做|弄|操作|认证|缴|交|报|登记|预约|领|补|开|查|签|填|走|去|用|注册|更换|换|取|提|转|迁|上|参加|加入)|流程|程序|步骤|办理|方式|途径|手续|咋整/,
    cue: /申请|提出|提交|审核|审批|办理|登记|受理|扫码|拨打|携带|通过|报告|报名|预约|认证|登录|填写|领取|方式|步骤|程序/,
    heading: /流程|程序|办理|申请|方式|步骤|途径/,
  },
]

/** Words that say what kind of fact is asked (handled by the type cues), not what it is about. */
export const QUESTION_FORM_WORDS: ReadonlySet<string> = new Set(
  '多久 多长 多长时间 多少 多少钱 钱 几 几天 几个 哪里 哪儿 哪 哪些 哪个 什么 啥 怎么 怎样 如何 咋 吗 呢 么 一个月 每个月 多大 年龄 岁数 年纪 可以 能 能不能 可不可以 需要 要 交 带 去 弄 做 时候 什么时候 地方 情况 请问 问 问下 想 知道 一下 有没有 是不是 行不行'.split(
    ' ',
  ),
)
/** Question words asking for a thing, place, amount or way: the question is not a yes/no one. */
const WH_RE = /什么|啥|哪|多少|几|怎么|怎样|如何|咋|谁|多久|多长|多大|多高|多远/
/** A topic unit as clauses are ranked: a subject word keeps its full weight in the denominator. */
type ClauseUnit = QueryUnit & { full?: number }

/** Weight of a question word the document's title already has: every clause shares it. */
const TITLE_WORD_FACTOR = 0.3

/**
 * The question's topic units for ranking clauses inside one document. A word that names the
 * document's subject — in its title or preamble, or in a third of its lines — is shared by every
 * clause and counts little; the words that tell the articles apart count.
 */
function clauseUnits(units: QueryUnit[], title: string, lines: Line[], analyzer: TextAnalyzer): ClauseUnit[] {
  const firstArticle = lines.findIndex((l) => ARTICLE_RE.test(l.text) || l.headings.length > 0)
  const intro = normalizeText(
    [title, ...lines.slice(0, Math.max(0, firstArticle)).map((l) => l.text)].join(' '),
  )
  const texts = lines.map((l) => normalizeText(l.text))
  return units
    .filter((u) => !QUESTION_FORM_WORDS.has(u.text))
    .map((u) => {
      const everywhere =
        texts.filter((t) => unitCoverage(u, t, analyzer) >= 0.75).length >= Math.max(3, texts.length / 3)
      const subject = unitCoverage(u, intro, analyzer) >= 0.75 || everywhere
      return subject ? { ...u, weight: u.weight * TITLE_WORD_FACTOR, full: u.weight } : u
    })
}

/**
 * Weighted share of the units found in a clause. Unlike a passage's evidence there is no penalty for
 * a missing main noun: the document is already chosen, and its subject is often only in the title.
 */
function share(units: ClauseUnit[], hay: string, analyzer: TextAnalyzer): number {
  let total = 0
  let got = 0
  for (const u of units) {
    total += u.full ?? u.weight
    got += u.weight * unitCoverage(u, hay, analyzer)
  }
  return total > 0 ? got / total : 0
}

/**
 * The parts of a question that ask for different things (「一期收多少钱？午饭另外要钱不」); one part
 * when it asks for one kind of fact.
 */
export function questionParts(question: string): Array<{ text: string; types: QuestionType[] }> {
  const pieces = question
    .split(/[，,？?；;。！!\s]+/)
    .map((p) => p.trim())
    .filter((p) => p.length >= 3)
  const parts = pieces
    .map((text) => ({ text, types: questionTypes(text) }))
    .filter((p) => !(p.types.length === 1 && p.types[0] === 'what'))
  const kinds = new Set(parts.map((p) => p.types.join()))
  return parts.length >= 2 && parts.length <= 3 && kinds.size >= 2
    ? parts
    : [{ text: question, types: questionTypes(question) }]
}

/** The kinds of fact a question asks for, most specific first; `what` when none is recognisable. */
export function questionTypes(question: string): QuestionType[] {
  const q = normalizeText(question)
  const out = TYPE_RULES.filter((r) => r.ask.test(q)).map((r) => r.type)
  // 「能换什么」「可以去哪办」 ask for a thing or a place, not yes or no.
  if (out.includes('may') && WH_RE.test(q) && !/(可不可以|能不能|能否|是否|行不行)/.test(q))
    out.splice(out.indexOf('may'), 1)
  // 「找谁」 asks for a place to go, not for who is eligible.
  if (out.includes('who') && /找谁|问谁|联系谁/.test(q) && !/谁(可以|能|有)/.test(q))
    out.splice(out.indexOf('who'), 1)
  // 「可以领吗」「能申请吗」 ask who is eligible rather than whether something is allowed.
  if (
    out.includes('may') &&
    /(可以|能|能不能|可不可以)(领|拿|享受|申请|报销|办|补)/.test(q) &&
    !out.includes('who')
  )
    out.push('who')
  return out.length > 0 ? out : ['what']
}

/** A document line as the answer sees it: its text, the article it stands in, and list membership. */
interface Line {
  text: string
  /** The document's title. */
  title: string
  headings: string[]
  chunkId: string
  /** Index of the line in the document. */
  at: number
  /** A list item (（一）, 1., ①…). */
  item: boolean
  /** Ends in 「：」 or 「如下」: announces what follows. */
  leadIn: boolean
}

/** One candidate: a sentence of a line. */
interface Clause {
  line: Line
  text: string
  /** Index of the sentence inside its line (-1 for a whole list). */
  sentence: number
  /** A whole list with its lead-in, scored as one answer. */
  list?: { lead?: Line; items: Line[] }
}

const ITEM_RE = /^\s*([（(]([一二三四五六七八九十]+|\d{1,2})[）)]|\d{1,2}[.、．](?!\d)|[①-⑳]|[-*•·]\s)/
const ARTICLE_RE = new RegExp(`^(第${CN_DIGIT}+[章节条]|${CN_DIGIT}+、)`)
/** An article's first line: its marker and the short title after it, if any (「第五条 申请材料。」). */
const ARTICLE_LINE_RE = new RegExp(
  `^(第${CN_DIGIT}+条|${CN_DIGIT}+、)\\s*(?:([^。！？；：:，,\\s]{2,16})(?:[。：:]|$))?`,
)
/** An article marker with a short title and nothing else (「一、高龄津贴申请。」). */
const TITLE_SENTENCE_RE = new RegExp(
  `^(第${CN_DIGIT}+[章节条]|${CN_DIGIT}+、|[（(]${CN_DIGIT}+[）)]|\\d{1,2}[.、．])\\s*[^。！？；：:，,\\s]{1,18}[。：:]?$`,
)
/** Preambles, addressees and closings: they never answer. */
const PREAMBLE_RE =
  /通知如下|通告如下|公告如下|规定如下|意见如下|有关事项|现将|特制定|制定本|特此|印发给你们|请认真贯彻|^各[\u3400-\u9fff]{1,20}[：:]|^为(了)?[^。]{4,80}(根据|依据|按照|经研究|结合)/
const LEAD_IN_RE = /[：:]$|如下[。.]?$/
const MAX_LIST_CHARS = 700
const MAX_ANSWER_CHARS = 260

/** Lines of a document in order, each with its heading path. */
function linesOf(chunks: IndexedChunk[]): Line[] {
  const lines: Line[] = []
  for (const c of chunks) {
    let headings = c.headings
    for (const raw of c.text.split('\n')) {
      const text = raw.trim()
      if (!text) continue
      // Small articles merged into one chunk lose their own heading: the line's marker gives it back.
      const marker = ARTICLE_LINE_RE.exec(text)
      if (marker && !c.headings.some((h) => h.startsWith(marker[1] as string)))
        headings = [...c.headings, `${marker[1]}${marker[2] ? ` ${marker[2]}` : ''}`]
      lines.push({
        text,
        title: c.title,
        headings,
        chunkId: c.chunkId,
        at: lines.length,
        item: ITEM_RE.test(text),
        leadIn: LEAD_IN_RE.test(text),
      })
    }
  }
  return lines
}

/** Sentences of a line (after 。！？; list items and 「；」-joined clauses stay whole). */
function sentencesOf(line: Line): string[] {
  if (line.item) return [line.text]
  const parts = line.text.match(/[^。！？!?]+(?:[。！？!?]+[”’」』）)]*|$)/g) ?? [line.text]
  return parts.map((s) => s.trim()).filter((s) => s.length > 0)
}

/** The numbering family and number of a list item (（一）→ cn:1, 2. → ar:2), to see where a list restarts. */
function itemNumber(text: string): { family: string; n: number } | undefined {
  const m = /^\s*(?:[（(]([一二三四五六七八九十]+|\d{1,2})[）)]|(\d{1,2})[.、．]|([①-⑳]))/.exec(text)
  if (!m) return undefined
  if (m[1]) return /\d/.test(m[1]) ? { family: 'p', n: Number(m[1]) } : { family: 'c', n: cnNumber(m[1]) }
  if (m[2]) return { family: 'a', n: Number(m[2]) }
  return { family: 'o', n: (m[3] as string).charCodeAt(0) - 0x2460 + 1 }
}

function cnNumber(text: string): number {
  const digits = '零一二三四五六七八九'
  if (text === '十') return 10
  if (text.startsWith('十')) return 10 + digits.indexOf(text[1] as string)
  if (text.endsWith('十')) return digits.indexOf(text[0] as string) * 10
  if (text.length === 3 && text[1] === '十')
    return digits.indexOf(text[0] as string) * 10 + digits.indexOf(text[2] as string)
  return digits.indexOf(text)
}

/** True when `next` continues the list `prev` is in: same article, same numbering, the next number. */
function continues(prev: Line, next: Line): boolean {
  if (!prev.item || !next.item) return false
  if (prev.headings.join('\u0001') !== next.headings.join('\u0001') && !sameArticle(prev, next)) return false
  const a = itemNumber(prev.text)
  const b = itemNumber(next.text)
  if (!a || !b) return true // bullets
  return a.family === b.family && b.n === a.n + 1
}

/** Lines under the same article (their heading paths agree up to the list-item labels). */
function sameArticle(a: Line, b: Line): boolean {
  const strip = (hs: string[]) =>
    hs.filter((h) => !/^[（(]?[一二三四五六七八九十\d]+[）).、．]?$/.test(h)).join('\u0001')
  return strip(a.headings) === strip(b.headings)
}

/** The list a lead-in line announces, or the list an item belongs to, with its lead-in. */
function listAround(lines: Line[], at: number): { lead?: Line; items: Line[] } | undefined {
  const line = lines[at] as Line
  let start = at
  let end = at
  if (line.item) {
    while (start > 0 && continues(lines[start - 1] as Line, lines[start] as Line)) start--
  } else {
    const next = lines[at + 1]
    if (!line.leadIn || !next?.item) return undefined
    start = at + 1
    end = start
  }
  while (end + 1 < lines.length && continues(lines[end] as Line, lines[end + 1] as Line)) end++
  const items = lines.slice(start, end + 1)
  const before = lines[start - 1]
  const lead =
    before && !before.item && before.leadIn && sameArticle(before, lines[start] as Line) ? before : undefined
  return { ...(lead ? { lead } : {}), items }
}

/** The article a line stands in, as a resident reads it: 第一条, 第三条第（二）项, “申请条件”部分. */
export function articleOf(headings: string[], text = ''): string | undefined {
  const labels = [...headings]
  const own = ARTICLE_RE.exec(text)?.[1]
  if (own && !labels.some((h) => h.startsWith(own))) labels.push(own)
  let article: string | undefined
  let item: string | undefined
  let section: string | undefined
  for (const h of labels) {
    const m = new RegExp(`^(第${CN_DIGIT}+条)|^(${CN_DIGIT}+)(、|$)|^[（(](${CN_DIGIT}+)[）)]`).exec(h)
    if (m?.[1]) article = m[1]
    else if (m?.[2]) article = `第${m[2]}条`
    else if (m?.[4] && article) item = `第（${m[4]}）项`
    else if (!m && !/^\d/.test(h) && !/^第.+[章节]/.test(h)) section = h.replace(/^[#\s]+/, '')
  }
  if (article) return `${article}${item ?? ''}`
  return section ? `“${section}”部分` : undefined
}

export interface ClauseAnswer {
  docId: string
  title: string
  issuer?: string
  url?: string
  /** 第一条 / 第三条第（二）项 / “申请条件”部分, when the document has such structure. */
  article?: string
  /** The answer text: the clause, or the lead-in with its whole list. */
  text: string
  /** 「不可以。」/「可以。」 for a may-I question answered by a prohibition or a permission. */
  conclusion?: string
  /** The chunks the text came from (the citations). */
  chunkIds: string[]
  /** How well the clause answers (topic coverage + the kind of fact asked for). */
  score: number
  /** Share of the question's topic found in the clause and its article heading. */
  topic: number
  /** The clause carries the kind of fact the question asks for. */
  typed: boolean
}

interface Scored {
  clause: Clause
  score: number
  topic: number
  typed: boolean
}

const TOPIC_FACTOR = 0.7
/** The kind-of-fact bonus is scaled by min(1, this + the clause's topic share). */
const RELEVANCE_FLOOR = 0.8
/** The question asks how long, not when. */
const DURATION_ASK_RE = /多久|多长|几天|多少天|几个月|要等|多快|期限|时限/
/** A duration an office must finish something in (「30个工作日内完成」「15日内发放」). */
const DEADLINE_RE = new RegExp(
  `(\\d{1,3}|${CN_DIGIT}+)\\s*个?(工作日|日|天|小时)(内|以内|之内)?.{0,6}(完成|办结|发放|审批|作出|出具|答复|办好|送达|发证|办理|上门|到场|处理|申领|申请|提出|提交|缴纳|领取|回收)`,
)
const TYPE_BONUS = 0.45
const STRONG_BONUS = 0.15
const EXTRA_TYPE_BONUS = 0.15
const HEADING_BONUS = 0.15
const HIT_BONUS = 0.1

function scoreClauses(
  question: string,
  types: QuestionType[],
  units: ClauseUnit[],
  lines: Line[],
  hitScore: Map<string, number>,
  analyzer: TextAnalyzer,
): Scored[] {
  const rules = TYPE_RULES.filter((r) => types.includes(r.type))
  const q = normalizeText(question)
  const mayOnly = types.includes('may') && types.length === 1
  // A plain-text document's title line is not an answer.
  const isTitleLine = (line: Line, text: string) =>
    normalizeText(text).replace(/^#+\s*/, '') === normalizeText(line.title)
  const numbers = questionNumbers(q)
  const unit = askedUnit(q)
  const score = (clause: Clause, headings: string[]): Scored => {
    const hay = normalizeText(clause.text)
    // The title is not part of the context: its words are shared by every clause (and discounted).
    const context = normalizeText(`${headings.join(' ')} ${clause.text}`)
    const topic = 0.5 * share(units, hay, analyzer) + 0.5 * share(units, context, analyzer)
    // The fact asked for is looked for outside the question's own words (高龄 in 高龄津贴 is no age).
    const rest = units.reduce((h, u) => h.split(u.text).join('·'), hay)
    const matched = rules.filter((r) => r.cue.test(rest))
    let typed = matched.length > 0
    const strong = matched.some((r) => r.strong?.(q).test(rest))
    // 「多久能批下来」: a duration the office has to finish in is the answer, not any duration.
    const done =
      types.includes('time') && DURATION_ASK_RE.test(q) && DEADLINE_RE.test(rest) ? STRONG_BONUS : 0
    // 「鼓励…反映」 neither allows nor forbids: a may-question wants the rule itself.
    if (mayOnly && typed && !PROHIBITION_RE.test(hay) && !PERMISSION_RE.test(hay)) typed = false
    // A clause with both facts a two-part question asks (an age and who may apply) beats one with either.
    // A clause with the kind of fact asked but none of the question's words is a weak answer.
    const relevance = Math.min(1, RELEVANCE_FLOOR + topic)
    const typeBonus = typed
      ? relevance * (TYPE_BONUS + (strong ? STRONG_BONUS : 0) + EXTRA_TYPE_BONUS * (matched.length - 1))
      : 0
    // 「多少分贝」「几平方米」: a number with the unit asked for is the answer.
    const quantity = unit && new RegExp(`\\d\\s*${unit}`).test(rest) ? TYPE_BONUS * relevance : 0
    let value =
      TOPIC_FACTOR * topic +
      Math.max(typeBonus, quantity) +
      done +
      (inRange(numbers, rest) ? STRONG_BONUS : 0)
    if (rules.some((r) => r.heading?.test(headings.join(' ')))) value += HEADING_BONUS
    const chunks = clause.list ? [clause.list.lead, ...clause.list.items] : [clause.line]
    value += HIT_BONUS * Math.max(...chunks.map((l) => hitScore.get(l?.chunkId ?? '') ?? 0))
    if (PREAMBLE_RE.test(clause.text)) value *= 0.15
    if (hay.length < 8) value *= 0.5
    return { clause, score: value, topic, typed }
  }
  const out: Scored[] = []
  for (const line of lines) {
    sentencesOf(line).forEach((text, sentence) => {
      if (TITLE_SENTENCE_RE.test(text) || /[？?]$/.test(text) || isTitleLine(line, text)) return
      const scored = score({ line, text, sentence }, line.headings)
      // A lead-in alone says nothing: its list (scored whole below) is the answer.
      if (line.leadIn && LEAD_IN_RE.test(text)) scored.score *= 0.4
      out.push(scored)
    })
    // Each list once, from its first item: lead-in and items scored as one answer.
    const prev = lines[line.at - 1]
    if (line.item && !(prev && continues(prev, line))) {
      const list = listAround(lines, line.at)
      if (!list || list.items.length < 2) continue
      const text = [list.lead?.text, ...list.items.map((i) => i.text)].filter(Boolean).join('\n')
      const scored = score({ line: list.lead ?? line, text, sentence: -1, list }, line.headings)
      // For one fact (an amount, an age, a date, yes or no) the item that has it beats the whole list.
      scored.score *= LISTY.some((t) => types.includes(t)) ? 1.05 : 0.95
      out.push(scored)
    }
  }
  return out.sort((a, b) => b.score - a.score || a.clause.line.at - b.clause.line.at)
}

/** The numbers of a question, Arabic or Chinese (「今年五十五了」「整60」). */
function questionNumbers(q: string): number[] {
  const out = [...q.matchAll(/(?<![\d.])(\d{1,4})(?![\d.])/g)].map((m) => Number(m[1]))
  for (const m of q.matchAll(/[一二三四五六七八九十]{1,3}(?=岁|周岁|了|多岁|个月|年)/g)) {
    const n = cnNumber(m[0])
    if (n > 0) out.push(n)
  }
  return out
}

/** The unit a 「多少X」「几X」 question asks in (分贝, 平方米, 公斤…), when it names one. */
function askedUnit(q: string): string | undefined {
  const m =
    /(?:多少|几)(分贝|平方米|平米|米|公里|千米|公斤|千克|斤|吨|人|个人|名|次|件|个|层|户|学时|课时|小时|分钟|天|周)/.exec(
      q,
    )
  if (!m) return undefined
  const unit = m[1] as string
  return unit === '平米' ? '(平方米|平米)' : unit === '个人' ? '人' : unit
}

/** True when a number of the question falls in a range the clause states (92 in 「90至99周岁」). */
function inRange(numbers: number[], hay: string): boolean {
  if (numbers.length === 0) return false
  for (const m of hay.matchAll(/(\d{1,4})\s*(?:周岁|岁|元|平方米)?\s*(?:至|到|-|—|~|～)\s*(\d{1,4})/g)) {
    const lo = Number(m[1])
    const hi = Number(m[2])
    if (numbers.some((n) => n >= lo && n <= hi)) return true
  }
  for (const m of hay.matchAll(/(\d{1,4})\s*(?:周岁|岁)?\s*(?:及以上|以上)/g)) {
    const lo = Number(m[1])
    if (numbers.some((n) => n >= lo && n < lo + 50)) return true
  }
  return false
}

/** A second part's clause must share this much of that part's own words to be shown. */
const PART_TOPIC_FLOOR = 0.2

/** Question types a whole list answers (the steps, the materials, the conditions, the places). */
const LISTY: QuestionType[] = ['how', 'materials', 'who', 'place', 'what']

/**
 * One list item alone reads without its number: 「（二）90至99周岁…」 → 「90至99周岁…」, and after a lead-in
 * 「装修施工时间：\n（二）周六…」 → 「装修施工时间：周六…」. Whole lists keep their numbers.
 */
function singleItem(text: string): string {
  const lines = text.split('\n')
  const last = lines.at(-1) as string
  if (lines.length > 2 || !ITEM_RE.test(last)) return text
  const item = last.replace(ITEM_RE, '').trim()
  if (lines.length === 1) return item || text
  const lead = lines[0] as string
  return /[：:]$/.test(lead) ? `${lead}${item}` : `${lead}\n${item}`
}

/** Drops a leading article marker and its short title (「二、高龄津贴申请。」) from a clause. */
export function stripArticleMarker(text: string): string {
  const out = text
    .replace(
      // 「第四条 装修中严禁下列行为：」 keeps its words: a lead-in is not a title.
      new RegExp(`^(第${CN_DIGIT}+[章节条]|${CN_DIGIT}+、)\\s*([^。！？；：:，,\\s]{2,18}。(?!$))?\\s*`),
      '',
    )
    .trim()
  return out || text
}

/** The text of the best clause, grown to its list or its neighbouring sentence when that belongs to it. */
function grow(
  best: Scored,
  all: Scored[],
  lines: Line[],
  types: QuestionType[],
): { text: string; chunkIds: Set<string> } {
  const { line } = best.clause
  const chunkIds = new Set([line.chunkId])
  const whole = best.clause.list
  if (whole && best.clause.text.length <= MAX_LIST_CHARS) {
    for (const l of [whole.lead, ...whole.items]) if (l) chunkIds.add(l.chunkId)
    return { text: best.clause.text, chunkIds }
  }
  const listy = types.some((t) => LISTY.includes(t))
  const list = line.leadIn || line.item ? listAround(lines, line.at) : undefined
  if (list && (line.leadIn || listy)) {
    const lead = line.leadIn ? best.clause.text : list.lead?.text
    const whole = [lead, ...list.items.map((i) => i.text)].filter(Boolean).join('\n')
    for (const i of list.items) chunkIds.add(i.chunkId)
    if (list.lead) chunkIds.add(list.lead.chunkId)
    if (whole.length <= MAX_LIST_CHARS) return { text: whole, chunkIds }
    // Too long to quote whole: the lead-in, the matching items, and how many there are in all.
    const good = new Set(all.filter((s) => s.score >= best.score * 0.6).map((s) => s.clause.line))
    const picked = list.items.filter((i) => good.has(i) || i === line).slice(0, 4)
    const shown = picked.length > 0 ? picked : list.items.slice(0, 3)
    return {
      text: `${[lead, ...shown.map((i) => i.text)].filter(Boolean).join('\n')}\n（共 ${list.items.length} 项，其余见原文）`,
      chunkIds,
    }
  }
  if (line.item && list?.lead && !PREAMBLE_RE.test(list.lead.text) && list.lead.text.length <= 80) {
    chunkIds.add(list.lead.chunkId)
    return { text: `${list.lead.text}\n${best.clause.text}`, chunkIds }
  }
  // The sentence with its neighbour in the same line, when that one answers too (a condition and its amount).
  const sentences = sentencesOf(line)
  let text = best.clause.text
  for (const j of [best.clause.sentence + 1, best.clause.sentence - 1]) {
    const s = sentences[j]
    if (!s || TITLE_SENTENCE_RE.test(s) || PREAMBLE_RE.test(s)) continue
    const other = all.find((x) => x.clause.line === line && x.clause.sentence === j)
    if (!other || other.score < best.score * 0.7 || (text + s).length > MAX_ANSWER_CHARS) continue
    text = j > best.clause.sentence ? text + s : s + text
  }
  // Never end on a lead-in whose list is missing.
  if (LEAD_IN_RE.test(text))
    text = text.replace(/[，,；;]?[^，,；;。]*(如下|[：:])[。.]?$/, '').trim() || text
  return { text, chunkIds }
}

/** The clauses of one document ranked for a question (staff tools and debugging). */
export function rankClauses(
  question: string,
  chunks: IndexedChunk[],
  analyzer: TextAnalyzer,
): Array<{ text: string; score: number; topic: number; typed: boolean; headings: string[] }> {
  const title = chunks[0]?.title ?? ''
  const lines = linesOf(chunks)
  const units = clauseUnits(queryUnits(question, analyzer.topicWords(question)), title, lines, analyzer)
  return scoreClauses(question, questionTypes(question), units, lines, new Map(), analyzer).map((s) => ({
    text: s.clause.text,
    score: Math.round(s.score * 1000) / 1000,
    topic: Math.round(s.topic * 1000) / 1000,
    typed: s.typed,
    headings: s.clause.line.headings,
  }))
}

/** 「不可以。」 when the clause forbids what a may-I question asks about, 「可以。」 when it allows it. */
function conclusionOf(types: QuestionType[], scored: Scored, text: string): string | undefined {
  if (!types.includes('may') || types.includes('who') || scored.topic < 0.35) return undefined
  // A list says yes or no only through its lead-in (「装修中严禁下列行为：」); its items speak of other
  // things too (犬链不得超过1.5米 is no answer to 遛狗能坐电梯吗).
  const lines = text.split('\n')
  if (lines.length > 1 && lines.slice(1).some((l) => ITEM_RE.test(l)) && !/[：:]$/.test(lines[0] as string))
    return undefined
  const hay = normalizeText(lines.length > 1 ? (lines[0] as string) : text)
  const forbids = PROHIBITION_RE.test(hay)
  const allows = /可以|允许|准予/.test(hay.replace(/不可以|不允许|不准予/g, ''))
  if (forbids && !allows) return '不可以。'
  if (allows && !forbids) return '可以。'
  return undefined
}

/**
 * The best clause of each candidate document (the documents of the top hits), best first. `chunksOf`
 * gives a document's chunks in order.
 */
export function pickClauses(
  question: string,
  hits: SearchHit[],
  chunksOf: (docId: string) => IndexedChunk[],
  analyzer: TextAnalyzer,
): ClauseAnswer[] {
  const top = hits[0]
  if (!top) return []
  const types = questionTypes(question)
  const units = queryUnits(question, analyzer.topicWords(question))
  const docs: string[] = []
  for (const h of hits) {
    if (docs.includes(h.chunk.docId)) continue
    if (h.score < top.score * 0.85 || h.coverage < top.coverage * 0.8) continue
    docs.push(h.chunk.docId)
    if (docs.length >= 2) break
  }
  const answers: ClauseAnswer[] = []
  const parts = questionParts(question)
  for (const docId of docs) {
    const chunks = chunksOf(docId)
    const first = chunks[0]
    if (!first) continue
    const hitScore = new Map<string, number>()
    for (const h of hits)
      if (h.chunk.docId === docId)
        hitScore.set(h.chunk.chunkId, Math.max(hitScore.get(h.chunk.chunkId) ?? 0, h.score / top.score))
    const lines = linesOf(chunks)
    const own = clauseUnits(units, first.title, lines, analyzer)
    const topicUnits: ClauseUnit[] = own.length > 0 ? own : units
    const pick = (q: string, ts: QuestionType[], own: ClauseUnit[]) => {
      const scored = scoreClauses(q, ts, own, lines, hitScore, analyzer)
      const best = scored[0]
      if (!best) return undefined
      const grown = grow(best, scored, lines, ts)
      const text = singleItem(stripArticleMarker(grown.text))
      return { best, grown, text, types: ts }
    }
    // A two-part question (「一个月多少钱，最多能干几年」) gets the clause for each part, found by the
    // part's own words; a part whose clause shares none of them adds nothing.
    const partUnits = (text: string): ClauseUnit[] => {
      const u = clauseUnits(queryUnits(text, analyzer.topicWords(text)), first.title, lines, analyzer)
      return u.length > 0 ? u : topicUnits
    }
    const picked = (
      parts.length > 1
        ? parts.map((p) => {
            const own = partUnits(p.text)
            const found = pick(p.text, p.types, own)
            // Only words of its own can show a part's clause is off: subject words are everywhere.
            const specific = own.some((u) => u.full === undefined)
            return found && (!specific || found.best.topic >= PART_TOPIC_FLOOR) ? found : undefined
          })
        : [pick(question, types, topicUnits)]
    ).filter((x): x is NonNullable<ReturnType<typeof pick>> => x !== undefined)
    if (picked.length === 0 && parts.length > 1) {
      const whole = pick(question, types, topicUnits)
      if (whole) picked.push(whole)
    }
    const distinct = picked.filter(
      (x, i) => picked.findIndex((y) => y.text === x.text || y.text.includes(x.text)) === i,
    )
    const shown = distinct.filter((x) => !distinct.some((y) => y !== x && y.text.includes(x.text)))
    const lead = shown[0]
    if (!lead) continue
    shown.sort((a, b) => a.best.clause.line.at - b.best.clause.line.at)
    const articles = [
      ...new Set(
        shown.map((x) => articleOf(x.best.clause.line.headings, x.best.clause.line.text)).filter(Boolean),
      ),
    ]
    const conclusion = picked
      .map((x) => conclusionOf(x.types, x.best, x.text))
      .find((c): c is string => c !== undefined)
    answers.push({
      docId,
      title: first.title,
      ...(first.issuer ? { issuer: first.issuer } : {}),
      ...(first.url ? { url: first.url } : {}),
      ...(articles.length > 0 ? { article: articles.join('、') } : {}),
      text: shown.map((x) => x.text.replace(/[；;，,：:]$/, '。')).join('\n'),
      ...(conclusion && shown.length === 1 ? { conclusion } : {}),
      chunkIds: [...new Set(shown.flatMap((x) => [...x.grown.chunkIds]))],
      score: Math.max(...shown.map((x) => x.best.score)),
      topic: Math.max(...shown.map((x) => x.best.topic)),
      typed: shown.some((x) => x.best.typed),
    })
  }
  // The best document by retrieval answers, unless only the other one carries the kind of fact asked.
  const [first, second] = answers
  if (first && second && !first.typed && second.typed && second.topic >= first.topic) return [second, first]
  return answers
}

/** 「不可以。严禁…（依据《…》第一条）」: the clause, its conclusion and where it stands. */
export function formatClauseAnswer(answers: ClauseAnswer[]): string {
  return answers
    .map((a) => {
      const body = a.text.replace(/[；;，,：:]$/, '。')
      const end = /[。！？”」）)]$/.test(body) ? '' : '。'
      return `${a.conclusion ?? ''}${body}${end}（依据《${a.title}》${a.article ?? ''}）`
    })
    .join('\n')
}
