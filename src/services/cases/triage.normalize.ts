import { chineseToNumber } from '../../lib/chinese-numerals.js'

/**
 * Text normalisation for triage: residents write with full-width characters, emoji, @mentions,
 * traditional characters and Chinese numerals. Everything the rules look at goes through here first.
 */

// Traditional → simplified for the characters that matter to the keyword lists (cheap, not complete).
const TRADITIONAL =
  '樓電燈壞號單門車氣報區衛違雜務業費鄰紛貓樹寵醫險災燒煙謝這個沒來說還時間開關麼處應讓們為從裡裏後幫難補證辦請問題熱溫壓斷閘鎖臺層幾兩與鬧響擾傷觸墜拋圍牆盜詐騙養環髒蟲綠劃噸狀態嗎嗎聽見們亂場廣舞裝修圾積雪掃頂漏滲邊點線檢測護欄攤違築腦獨殘貧窮歲孫婦兒陽蓋棧廁貨輛駛屬規療險齡費戶設備損壞蓋罐黴黃臟噪聲夠飯錢現發實權寫誰給務'
const SIMPLIFIED =
  '楼电灯坏号单门车气报区卫违杂务业费邻纷猫树宠医险灾烧烟谢这个没来说还时间开关么处应让们为从里里后帮难补证办请问题热温压断闸锁台层几两与闹响扰伤触坠抛围墙盗诈骗养环脏虫绿划吨状态吗吗听见们乱场广舞装修圾积雪扫顶漏渗边点线检测护栏摊违筑脑独残贫穷岁孙妇儿阳盖栈厕货辆驶属规疗险龄费户设备损坏盖罐霉黄脏噪声够饭钱现发实权写谁给务'
const T2S = new Map<string, string>()
for (let i = 0; i < TRADITIONAL.length; i++) T2S.set(TRADITIONAL[i] as string, SIMPLIFIED[i] as string)

// Emoji that carry meaning become words; the rest are dropped.
const EMOJI_WORDS: Array<[RegExp, string]> = [
  [/🥶|❄️?|☃️?/gu, '冷'],
  [/🔥/gu, '火'],
  [/💡/gu, '灯'],
  [/💧|💦/gu, '水'],
  [/🐕|🐶|🐩/gu, '狗'],
  [/🐈|🐱/gu, '猫'],
  [/🚗|🚙|🚘/gu, '车'],
  [/🗑️?/gu, '垃圾'],
  [/🆘/gu, '救命'],
  [/⚡️?/gu, '电'],
  [/🚑/gu, '救护车'],
  [/🚒/gu, '消防车'],
  [/🐀|🐭/gu, '老鼠'],
  [/🪳/gu, '蟑螂'],
  [/🌲|🌳/gu, '树'],
  [/🔊|📢/gu, '声音大'],
  [/🧯/gu, '灭火器'],
  [/💥/gu, '炸'],
  [/🩸/gu, '血'],
  [/🚰/gu, '水'],
  [/🔌/gu, '电'],
  [/💩/gu, '屎'],
  [/💨/gu, '气'],
]

/**
 * Typos and homophones residents type (pinyin input picks the wrong character, voice input mishears):
 * mapped to the word the keyword lists use. Applied to keywords too, so both sides agree.
 */
const TYPOS: Array<[RegExp, string]> = [
  [/电[悌踢弟体题提剃]/g, '电梯'],
  [/暖[器汽砌]/g, '暖气'],
  [/楼到(?=灯|里|口|窗|门|堆|上|内)/g, '楼道'],
  [/下水到/g, '下水道'],
  [/通到(?=上|里|被|堵)/g, '通道'],
  [/[拉辣]鸡|垃极|拉圾|垃鸡/g, '垃圾'],
  [/[燥躁]音/g, '噪音'],
  [/煤汽/g, '煤气'],
  [/(?<!天)然气/g, '燃气'],
  [/物[叶也]费/g, '物业费'],
  [/网个员|网隔员/g, '网格员'],
  [/停车为/g, '停车位'],
  [/门进|门静/g, '门禁'],
  [/(?<=楼道|走廊)等(?=不亮|坏|黑)/g, '灯'],
  [/贼拉|贼啦|老鼻子/g, '贼'],
  [/咋整|咋弄|咋个整|整不明白/g, '咋整'],
  // Synonym classes: dog breeds are dogs to the keyword lists.
  [/金毛|泰迪|哈士奇|二哈|柯基|比熊|边牧|拉布拉多|柴犬|萨摩|阿拉斯加|德牧|博美|吉娃娃/g, '$&狗'],
]

// Cheap pre-checks: most messages have no emoji and none of the typo characters.
const NON_ASCII_SYMBOL_RE = /[\u2600-\u27bf\u{1F000}-\u{1FAFF}]/u
// Built from TYPOS so the two can never disagree; declared after it below.
let typoHintRe: RegExp | undefined
function hasTypoHint(s: string): boolean {
  typoHintRe ??= new RegExp(TYPOS.map(([re]) => re.source).join('|'))
  return typoHintRe.test(s)
}

const MENTION_RE = /@[^\s\u2005@]{1,16}[\s\u2005]+/g
const PICTO_RE = /\p{Extended_Pictographic}|\u{FE0F}|\u{200D}|[\u{1F3FB}-\u{1F3FF}]/gu
// Keeps CJK, letters, digits, '#', '-' and '/' (location forms like 3-2-301, 3#); the rest becomes a space.
const PUNCT_RE = /[^\p{Script=Han}\p{L}\p{N}#\-/]+/gu

/**
 * Full-width → half-width (NFKC), lower-case, @mentions, emoji and punctuation removed, traditional
 * characters mapped, Chinese numerals before location words turned into digits.
 */
export function normalizeText(input: string): string {
  let s = input.normalize('NFKC')
  s = s.replace(MENTION_RE, ' ').replace(/^@\S{1,16}$/, ' ')
  if (NON_ASCII_SYMBOL_RE.test(s)) for (const [re, word] of EMOJI_WORDS) s = s.replace(re, ` ${word} `)
  s = s.replace(PICTO_RE, ' ')
  s = Array.from(s, (ch) => T2S.get(ch) ?? ch).join('')
  s = s.replace(/[—－–]/g, '-').toLowerCase()
  if (hasTypoHint(s)) for (const [re, word] of TYPOS) s = s.replace(re, word)
  s = s.replace(PUNCT_RE, ' ')
  s = convertNumerals(s)
  return s.replace(/\s+/g, ' ').trim()
}

export { chineseToNumber }

// Numerals are converted only before a location or measure word, so "一下" or "一直" stay as they are.
const NUMERAL_CONTEXT_RE =
  /(第)?([零〇洞一幺二两三四五六七八九十百]+)(?=号楼|號楼|栋|幢|座|楼|单元|门洞|室|房|号|层|户|度|#|-)/g
const ROOM_AFTER_UNIT_RE =
  /(单元|栋|号楼|幢|-)([零〇洞一幺二两三四五六七八九十百]{3,5})(?![\u4e00-\u9fa5]*[天个次])/g

function convertNumerals(s: string): string {
  const toDigits = (_m: string, prefix: string | undefined, num: string): string => {
    const n = chineseToNumber(num)
    return n === undefined ? _m : `${prefix ?? ''}${n}`
  }
  return s.replace(NUMERAL_CONTEXT_RE, toDigits).replace(ROOM_AFTER_UNIT_RE, toDigits)
}
