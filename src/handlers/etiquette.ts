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

const QUESTION_RE = /[?？]|吗|怎么|怎样|如何|哪里|哪儿|多少|能不能|可不可以|可以.*吗|什么|是否|条件|政策|申请/
const GREETING_RE = /^(你好|您好|在吗|hi|hello|嗨|早上好|晚上好|下午好)[!！。.~～]*$/i
const COURTESY_RE = /^(谢谢|多谢|感谢|好的|好|嗯|嗯嗯|ok|收到|辛苦了|👍)[!！。.~～]*$/i

/** True for a greeting that should get the menu, not a case. */
export function isGreeting(text: string): boolean {
  return GREETING_RE.test(text.trim())
}

/** True for "thanks", "ok" and the like: never a report, never a follow-up detail. */
export function isCourtesy(text: string): boolean {
  return COURTESY_RE.test(text.trim())
}

/** The rules used when no classifier is wired: a question goes to the knowledge base. */
export function guessIntent(text: string): 'report' | 'policy' | 'other' {
  const t = text.trim()
  if (t === '' || isGreeting(t) || isCourtesy(t)) return 'other'
  if (QUESTION_RE.test(t)) return 'policy'
  return t.length >= 4 ? 'report' : 'other'
}
