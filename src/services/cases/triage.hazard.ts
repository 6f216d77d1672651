/**
 * The kind of present danger an urgent message reports, read from its words. Triage decides first
 * whether there is a danger now (urgency); this only names it, so the bot can give the right safety
 * advice and number (see config/emergency.yaml).
 */

/** The kinds of danger with their own advice and emergency number. */
export const HAZARDS = [
  'fire',
  'gas',
  'medical',
  'trapped',
  'flood',
  'electric',
  'animal_bite',
  'missing_person',
  'falling_object',
  'other_danger',
] as const
export type Hazard = (typeof HAZARDS)[number]

/**
 * Checked in this order on normalised text; the first that matches names the danger. A harmed
 * person is "medical" unless a more specific cause names the help needed (a bite, a shock, a lift);
 * poisoning by gas is medical (the person needs 120 first).
 */
const HAZARD_PATTERNS: ReadonlyArray<readonly [Hazard, RegExp]> = [
  ['medical', /中毒/],
  ['gas', /(煤气|燃气|天然气|液化气).{0,3}(味|泄漏|泄露|漏)|漏气|跑气|臭鸡蛋味/],
  [
    'fire',
    /(?<!不)着火|起火|失火|火灾|冒烟|浓烟|黑烟|白烟|有烟|烟很大|烟越来越|烧起来|烧着|着起来|火苗|火光|火着|火挺大|火很大|火老大|自燃|油锅着|爆炸|炸了/,
  ],
  [
    'trapped',
    /困(?!难)|关人|关在|电梯.{0,10}(里面有人|里有人|出不来|打不开|开不了)|卡在.{0,8}出不来|拔不出|反锁在/,
  ],
  [
    'flood',
    /淹|进水|水漫|成河|跑水|发大水|往外涌|往外滋|积水.{0,6}(膝|腰|深)|(水管|管子|管道|暖气片|暖气管|消防管|总阀).{0,6}(爆|崩|喷|涌)|爆管/,
  ],
  ['electric', /触电|漏电|被电|电着|火花|火星|带电|电线.{0,6}(断了|掉|落地|着火|冒火)|碰着就麻/],
  ['animal_bite', /咬了|咬伤|咬人|咬住|被.{0,8}咬/],
  [
    'missing_person',
    /走丢|走失|失踪|(孩子|娃|儿子|闺女|女儿|老人|老爷子|老太太|老太|奶奶|爷爷|姥姥|姥爷|我爸|我妈|老伴).{0,8}(找不到|不见了|没回来|没回家|丢了)/,
  ],
  [
    'medical',
    /晕倒|晕过去|晕了|昏倒|昏过去|昏迷|倒地|倒在|躺地上|躺在地上|摔倒|摔伤|摔了一跤|摔下来|滚下来|流血|出血|见血|血止不住|头破|没呼吸|(?<!(?:燃|煤|天然)气(?:表|罐|瓶)?)没气了|喘不上|喘不过|胸口疼|心口疼|抽搐|抽风|口吐白沫|心脏病|中风|脑梗|受伤|[抓摔砸烫割划撞烧扎刺捅砍打咬]伤|流了.{0,3}血|血流不止|倒下了|突然倒下|神志不清|意识不清|撞了|撞倒|叫不醒|没意识|不省人事|吃错药|不行了|骨折|腿.{0,3}断|噎住|卡住.{0,4}(喘|气)|说不出话|(?<![启发挪转开移拧推拉])动不了/,
  ],
  [
    'falling_object',
    /砸(?!墙|地)|[掉吹飞刮]下来|往下掉|要掉|坠|高空抛物|往下扔|往下抛|悬着|随时(会|要|可能)?[掉倒塌飞断]/,
  ],
]

/** The danger an urgent message names; "other_danger" when none of the kinds fits. */
export function hazardOf(normalizedText: string): Hazard {
  return hazardWords(normalizedText)[0]?.hazard ?? 'other_danger'
}

/** Where a danger word occurs in the text. */
export interface HazardWord {
  hazard: Hazard
  start: number
  end: number
}

/** Every kind whose words occur in the text, in checking order, with its first occurrence. */
export function hazardWords(normalizedText: string): HazardWord[] {
  const out: HazardWord[] = []
  for (const [hazard, re] of HAZARD_PATTERNS) {
    const m = re.exec(normalizedText)
    if (m) out.push({ hazard, start: m.index, end: m.index + m[0].length })
  }
  return out
}

// English: a few words for danger; anything else in English is chit-chat to the bot.
const ENGLISH_HAZARDS: ReadonlyArray<readonly [Hazard, RegExp]> = [
  ['gas', /\bgas\b/],
  ['fire', /\b(fire|smoke|smoking|burning)\b/],
  ['trapped', /\b(trapped|stuck in (the |an )?(lift|elevator))\b/],
  ['flood', /\b(flood|flooding|flooded|burst pipe)\b/],
  ['electric', /\b(electric shock|electrocuted|sparks?)\b/],
  ['animal_bite', /\b(bit|bitten|bite)\b/],
  ['missing_person', /\b(missing|lost (child|kid|boy|girl))\b/],
  ['medical', /\b(fainted|unconscious|not breathing|bleeding|injured|heart attack|ambulance|collapsed)\b/],
]

/** The danger an English message reports, if any (lower-cased text). */
export function englishHazardOf(text: string): Hazard | undefined {
  const lower = text.toLowerCase()
  return ENGLISH_HAZARDS.find(([, re]) => re.test(lower))?.[0]
}

const LATIN_RE = /[a-z]/gi
const HAN_RE = /\p{Script=Han}/gu

/** True when most letters of the text are Latin ("hello can you help", not "电梯ok吗"). */
export function isMostlyLatin(text: string): boolean {
  const latin = text.match(LATIN_RE)?.length ?? 0
  const han = text.match(HAN_RE)?.length ?? 0
  return latin >= 2 && latin > han * 2
}

const MEANINGFUL_RE = /[\p{L}\p{N}]/u

/** True when the raw text carries no letter or digit at all (emoji, stickers, punctuation). */
export function isSymbolsOnly(raw: string): boolean {
  return !MEANINGFUL_RE.test(raw.replace(/[\u{1F3FB}-\u{1F3FF}\u{FE0F}\u{200D}]/gu, ''))
}
