/** Words that address the bot when a group message starts with them. */
export const TRIGGER_WORDS = ['报修', '报事', '咨询', '求助', '小助手'] as const

const LEADING_MENTIONS = /^(?:@[^\s\u2005]+[\s\u2005]*)+/

/** Removes leading @-mentions and any @botName inside the text. */
export function stripMentions(text: string, botName: string): string {
  const withoutBot = botName ? text.split(`@${botName}`).join(' ') : text
  return withoutBot
    .replace(LEADING_MENTIONS, '')
    .replace(/\u2005/g, ' ')
    .trim()
}

/**
 * The trigger a text starts with (`报修`, `咨询`, …, `#` or the bot's name) and the rest of the text.
 * `#` addresses the bot as `#报修 …` or `#咨询 …` does in many community groups.
 */
export function splitTrigger(text: string, botName: string): { trigger?: string; rest: string } {
  const t = text.trim()
  const words = [...TRIGGER_WORDS, ...(botName ? [botName] : [])].sort((a, b) => b.length - a.length)
  if (t.startsWith('#') || t.startsWith('＃')) {
    const inner = splitTrigger(t.slice(1), botName)
    return { trigger: inner.trigger ?? '#', rest: inner.rest }
  }
  for (const w of words) {
    if (t.startsWith(w))
      return {
        trigger: w,
        rest: t
          .slice(w.length)
          .replace(/^[\s:：,，、]+/, '')
          .trim(),
      }
  }
  return { rest: t }
}

const GREETING_RE = /^(你好|您好|在吗|hi|hello|嗨|早上好|晚上好|下午好)[!！。.~～]*$/i
const COURTESY_RE = /^(谢谢|多谢|感谢|好的|好|嗯|嗯嗯|ok|收到|辛苦了|👍)[!！。.~～]*$/i

/** 「你是谁」「你能做什么」「这个怎么用」: a question about the bot itself, after any greeting. */
const ABOUT_BOT_RE =
  /^(?:(?:你好|您好|在吗|hi|hello|嗨)[\s,，!！。~～]*)?(?:请问)?(?:(?:你|您)(?:是|叫)(?:谁|什么|哪位|干什么的|做什么的|机器人吗)|(?:你|您)(?:能|会|可以)(?:做|干|帮(?:我|忙)?(?:做|干)?)?(?:些)?(?:什么|啥)|(?:这个|你)?怎么(?:用|使用)(?:你)?)[?？!！。.~～\s]*$/i

/** True for a greeting or a question about the bot itself: it gets the menu, never a case. */
export function isGreeting(text: string): boolean {
  const t = text.trim()
  return GREETING_RE.test(t) || ABOUT_BOT_RE.test(t)
}

/** True for "thanks", "ok" and the like: never a report, never a follow-up detail. */
export function isCourtesy(text: string): boolean {
  return COURTESY_RE.test(text.trim())
}

const CN_DIGITS: Readonly<Record<string, number>> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 }
/** A score at the start, not the start of an address or a time (「5号楼」「3-2-301」「8点」). */
const SCORE_RE =
  /^([0-9０-９]{1,2}|[一二两三四五])\s*(分|星|颗星|个星)?(?![0-9０-９号栋幢座楼单元室层点时月日号元块岁年次户个/.])(?!\s*[-—]\s*\d)/
const WORD_SCORES: ReadonlyArray<[RegExp, number]> = [
  [/^(非常|很|特别|十分)?不满意/, 1],
  [/^(非常|很|特别|十分|挺|蛮)?满意/, 5],
  [/^(基本满意|还行|还可以|一般|凑合)/, 3],
  [/^(太差|很差|差评)/, 1],
  [/^(好评|点赞|👍)/, 5],
]

/** A rating as residents write it: 「5」「5分」「五星」「满意」「5 很快，谢谢」 (the words after it are the comment). */
export function readRating(text: string): { score: number; comment: string } | undefined {
  const t = text.trim()
  const m = SCORE_RE.exec(t)
  if (m) {
    const raw = m[1] as string
    const score =
      CN_DIGITS[raw] ?? Number(raw.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)))
    return { score, comment: cleanComment(t.slice(m[0].length)) }
  }
  for (const [re, score] of WORD_SCORES) {
    const w = re.exec(t)
    if (w) return { score, comment: cleanComment(t.slice(w[0].length)) }
  }
  return undefined
}

function cleanComment(rest: string): string {
  return rest
    .replace(/^[\s,，。.!！、:：~～\-—]+/, '')
    .trim()
    .slice(0, 200)
}

const ACK_RE =
  /^(1|１|收到|已收到|收到了|好的|好|知道了|已阅|明白|明白了|ok|okay|👌|嗯|嗯嗯)(了|啦|谢谢|，谢谢|!|！|。|~|～)*$/i

/** 「收到」「1」「好的」: an acknowledgement of a notice that asked for one. */
export function isAck(text: string): boolean {
  return ACK_RE.test(text.trim())
}

/**
 * Whether a group message can be the answer to a question of `kind` the bot asked there, so it is
 * handled without an @ (everything else unaddressed passes by).
 */
export function isAnswerShaped(
  kind: string,
  text: string,
  input: { attachments: readonly unknown[]; quoted?: { fromBot?: boolean } },
): boolean {
  if (kind === 'ack') return isAck(text)
  if (kind === 'rating') return readRating(text) !== undefined
  if (kind === 'poll') return /^投票/.test(text.trim())
  if (kind === 'opinion') return /^意见/.test(text.trim())
  if (kind === 'follow_up') return input.attachments.length > 0 && input.quoted?.fromBot === true
  return false
}

/**
 * 「4 处理得挺快」「满意，谢谢」: shaped like a rating (a 1–5 score or a verdict word, see `readRating`),
 * naming no place and not read as a clear request — feedback, not a new problem nor a detail of one.
 */
export function isRatingShaped(
  text: string,
  t: { intent?: string; confidence?: number; location: { building?: string } } | undefined,
): boolean {
  const rating = readRating(text)
  if (!rating || rating.score < 1 || rating.score > 5 || t?.location.building) return false
  return !(t?.intent === 'request' && (t.confidence ?? 0) >= 0.5)
}
