import { normalizeText } from './kb-text.js'

/** What kind of fact a question wants: it decides which sentences of a passage answer it. */
export type QuestionIntent = 'materials' | 'time' | 'amount' | 'place' | 'process' | 'other'

export const INTENTS: Array<{ intent: QuestionIntent; ask: RegExp; cue: RegExp; heading: RegExp }> = [
  {
    intent: 'materials',
    ask: /材料|带什么|带啥|准备什么|准备哪些|准备啥|要带|证件|手续|提供什么|提交什么/,
    cue: /材料|提交|提供|携带|原件|复印件|申请表|审批表|证明|照片/,
    heading: /材料|证件|所需|提供/,
  },
  {
    intent: 'time',
    ask: /多久|多长时间|什么时候|啥时候|几天|多少天|几个月|期限|时限|截止|哪天|之内|多少年|几年|几次/,
    cue: /\d+\s*(个)?(工作日|日|天|月|年|小时|周)|期限|时限|以内|之前|期满|每年|次月|当月|当场|不超过/,
    heading: /时限|期限|时间|有效期|轮候|流程/,
  },
  {
    intent: 'amount',
    ask: /多少钱|钱|多少|费用|收费|标准|补贴多少|比例|交多少|给多少|领多少|免费|要钱|交钱/,
    cue: /\d+(\.\d+)?\s*(元|万元|%|倍)|免费|不收取|收取|标准|比例|分之/,
    heading: /标准|费用|金额|收费|租金|缴费|补贴/,
  },
  {
    intent: 'place',
    ask: /在哪|哪里|去哪|哪儿|地点|什么地方|找谁|电话|热线|网上/,
    cue: /窗口|服务站|派出所|营业厅|大厅|公众号|app|小程序|网上|电话|热线|\d{5}|到.{1,12}(申请|办理|提交)|向.{1,12}(申请|提出)/,
    heading: /地点|地址|窗口|渠道|方式|流程/,
  },
  {
    intent: 'process',
    ask: /怎么申请|如何申请|怎么办理|如何办理|怎么办|流程|程序|怎么领|怎么补/,
    cue: /申请|提出|提交|审核|审批|办理|登记|补办|受理/,
    heading: /流程|程序|办理|申请|方式/,
  },
]

/** The intents a question expresses (a question may ask for both the place and the materials). */
export function questionIntents(question: string): QuestionIntent[] {
  const q = normalizeText(question)
  const out = INTENTS.filter((i) => i.ask.test(q)).map((i) => i.intent)
  return out.length > 0 ? out : ['other']
}

/** True when a passage's headings announce what the question asks for (申请材料 for "带什么"). */
export function headingAnswersIntent(intents: QuestionIntent[], headings: string[]): boolean {
  if (headings.length === 0) return false
  const text = headings.join(' ')
  return INTENTS.some((i) => intents.includes(i.intent) && i.heading.test(text))
}
