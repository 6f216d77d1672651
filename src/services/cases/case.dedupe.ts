import { chineseToNumber } from '../../lib/chinese-numerals.js'
/**
 * Is a new report the same real-world problem as an open case? Used before opening a case so one
 * problem is dispatched once (避免多头派单). The caller has already narrowed the candidates to open
 * cases of the same grid and category within the duplicate window; this module compares texts and
 * locations only. Pure functions: no database.
 *
 * Method: normalise both texts (full-width → half-width, Chinese numerals in addresses, location
 * phrases and filler words removed, common colloquial synonyms folded onto one word), then compare
 * their character bigrams (and, for very short texts, characters). Same building/unit raises the score;
 * a different building never matches; a different unit lowers it a lot.
 */

export interface DedupeLocation {
  building?: string
  unit?: string
  room?: string
}

export interface DedupeCandidate {
  text: string
  location?: DedupeLocation
}

/** Score at or above which two reports are treated as the same problem (chosen on the labelled set). */
export const DUPLICATE_THRESHOLD = 0.55

const LOCATION_RE = /([0-9零〇一二两三四五六七八九十]+)\s*(号楼|号|栋|幢|楼|单元|室|层)/g

// Folded so that the words residents use for one thing compare equal. Order matters: longer first.
const SYNONYMS: Array<[RegExp, string]> = [
  [/声控灯|感应灯|楼道的灯|楼梯灯|走廊灯/g, '楼道灯'],
  [/楼梯间|走廊|过道|楼梯/g, '楼道'],
  [/灯泡|灯管/g, '灯'],
  [/电提|电悌|升降梯|直梯/g, '电梯'],
  [/垃圾箱|垃圾筒|果皮箱/g, '垃圾桶'],
  [/煤气|天然气|燃起/g, '燃气'],
  [/暖气片|供暖|集中供热|暖器/g, '暖气'],
  [/冰凉|凉的|不暖和|不暖|凉/g, '不热'],
  [/野狗|流浪犬/g, '流浪狗'],
  [/地下车库|车库|地库/g, '车库'],
  [/下水道|下水管|排水管|地漏/g, '下水'],
  [/堵塞|不通|堵住|堵了/g, '堵'],
  [/渗水|滴水|往下滴水|漏下来/g, '漏水'],
  [/门禁卡|刷卡|门禁系统/g, '门禁'],
  [/按键|按钮/g, '按钮'],
  [/坏掉|坏了|不亮|不好使|不能用|用不了|失灵|故障|出问题|没反应|环了|灭了|不动|停了/g, '坏'],
  [/私搭乱建|违章建筑|违建|乱搭/g, '违建'],
  [/小商贩|摆摊|商贩/g, '摊贩'],
  [/高空抛物|往下扔|从楼上扔/g, '抛物'],
  [/噪音|吵|扰民|声音大|声音很大/g, '噪音'],
  [/施工|打桩|工地/g, '施工'],
  [/没电|断电/g, '停电'],
  [/没水|断水|不来水/g, '停水'],
  [/杂物|纸箱|旧家具|东西/g, '杂物'],
  [/没人管|不作为|不管/g, '不作为'],
]

const FILLERS =
  /你好|您好|请问|麻烦|帮忙|帮我|一下|谢谢|赶紧|尽快|快点|能不能|可不可以|可以|处理|报修|反映|我们|我家|咱们|这边|那边|那个|这个|好几天|几天|一直|今天|昨天|晚上|早上|一大早|半夜|夜里|已经|还是|又|都|就|也|很|太|非常|有人|小区|了|的|啊|呀|吧|呢|哦|嘛|啦|在|是|有|个|里|我/g

/** Full-width to half-width, lower case, addresses removed, synonyms folded, fillers and symbols dropped. */
export function normaliseReport(text: string): string {
  let s = text.normalize('NFKC').toLowerCase()
  s = s.replace(LOCATION_RE, ' ')
  for (const [re, to] of SYNONYMS) s = s.replace(re, to)
  s = s.replace(FILLERS, '')
  // Keep CJK, letters and digits; drop punctuation, emoji and spaces.
  return s.replace(/[^\p{Script=Han}a-z0-9]/gu, '')
}

function bigrams(s: string): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i + 1 < s.length; i++) out.add(s.slice(i, i + 2))
  if (s.length === 1) out.add(s)
  return out
}

function overlap(a: Set<string>, b: Set<string>): { inter: number; union: number; min: number } {
  let inter = 0
  for (const x of a) if (b.has(x)) inter++
  return { inter, union: a.size + b.size - inter, min: Math.min(a.size, b.size) }
}

/** Similarity of two report texts in [0, 1]: mean of bigram Jaccard and bigram containment. */
export function textSimilarity(a: string, b: string): number {
  const na = normaliseReport(a)
  const nb = normaliseReport(b)
  if (!na || !nb) return 0
  const { inter, union, min } = overlap(bigrams(na), bigrams(nb))
  if (union === 0 || min === 0) return 0
  return (inter / union + inter / min) / 2
}

// The things residents report about, each with the words they use for it. Two reports about
// different things in the same grid and category are different problems however alike they read.
const OBJECTS: Record<string, RegExp> = {
  stair_light: /楼道灯|声控灯|感应灯|楼梯灯|走廊灯|楼道的灯|楼道里的灯|楼到灯/,
  street_light: /路灯/,
  lift: /电梯|电提|电悌|升降梯/,
  access_gate: /门禁|刷卡|门卡|刷不开/,
  door_lock: /门锁|锁坏|锁不上/,
  window: /玻璃|窗户/,
  drain: /下水|排水|地漏|化粪池|污水|反水|马桶堵/,
  road: /路面|大坑|个坑|塌陷|坑洼/,
  charger: /充电桩/,
  leak: /漏水|渗水|滴水|往下漏|水管爆/,
  garbage: /垃圾/,
  clutter: /杂物|堆物|堆放|纸箱|旧家具|堆满东西|占用楼道/,
  snow: /积雪|扫雪|结冰|雪没|雪一直/,
  smell: /异味|臭味|难闻|味道/,
  pigeon: /鸽子/,
  rat: /老鼠/,
  renovation: /装修|砸墙|电钻/,
  square_dance: /广场舞|跳舞/,
  construction: /施工|工地|打桩/,
  karaoke: /ktv|唱歌|卡拉ok/,
  fire_lane: /消防通道/,
  abandoned_car: /僵尸车|破车|废弃车辆|废弃车|没人开|长期停放/,
  bad_parking: /乱停|堵住出口|堵门口/,
  flying_wire: /飞线|拉电线|私拉电线|拉线充电/,
  gas: /燃气|煤气|天然气/,
  hydrant: /消防栓|消火栓/,
  extinguisher: /灭火器/,
  falling_objects: /抛物|扔东西|往下扔|往楼下扔/,
  ebike_indoor: /电动车.{0,4}(充电|进楼|上楼)|楼道.{0,4}充电/,
  heating: /暖气|供暖|供热/,
  water_cut: /停水|没水|断水|不来水|没有水/,
  power_cut: /停电|没电|断电/,
  stray_dog: /流浪狗|野狗|流浪犬|流浪猫/,
  leash: /遛狗|拴绳|牵绳/,
  dog_mess: /狗屎|狗粪|粪便/,
  fallen_tree: /倒了.{0,2}树|树.{0,3}倒|刮倒/,
  pruning: /修剪|树枝/,
  lawn: /草坪|草地|花坛/,
  illegal_build: /违建|私搭|乱建|搭棚|搭建/,
  street_vendor: /占道|摆摊|商贩|小贩/,
  parking_lock: /地锁/,
  group_rental: /群租/,
  property_inaction: /不作为|没人管|不管|不在岗/,
  property_fee: /物业费/,
  lonely_elder: /独居|一个人住|孤寡|空巢/,
  missing_person: /走失|找不到人|失踪/,
  subsidy: /补贴|低保|救助金/,
}

/** The things a report is about (keys of OBJECTS). */
export function reportObjects(text: string): Set<string> {
  const s = text.normalize('NFKC').toLowerCase()
  const out = new Set<string>()
  for (const [key, re] of Object.entries(OBJECTS)) if (re.test(s)) out.add(key)
  return out
}

/**
 * How alike two report texts are in [0, 1]: what they are about (shared objects) and how they read
 * (bigrams). Reports about disjoint things score at most half their text similarity.
 */
export function reportSimilarity(a: string, b: string): number {
  const text = textSimilarity(a, b)
  const A = reportObjects(a)
  const B = reportObjects(b)
  if (A.size === 0 || B.size === 0) return text
  const { inter, union } = overlap(A, B)
  if (inter === 0) return text / 2
  return Math.max(text, 0.25 + 0.55 * (inter / union))
}

/** Normalises a building / unit label: "三" → "3", "12号楼" → "12". */
export function normaliseLocationPart(v: string | undefined): string | undefined {
  if (!v) return undefined
  const s = v
    .normalize('NFKC')
    .replace(/号楼|号|栋|幢|楼|单元|室/g, '')
    .trim()
  const n = chineseToNumber(s)
  return n === undefined ? s || undefined : String(n)
}

/**
 * Duplicate score of two reports in [0, 1.2]; 0 when both name a building and the buildings differ.
 */
export function duplicateScore(a: DedupeCandidate, b: DedupeCandidate): number {
  const ba = normaliseLocationPart(a.location?.building)
  const bb = normaliseLocationPart(b.location?.building)
  if (ba && bb && ba !== bb) return 0
  let score = reportSimilarity(a.text, b.text)
  if (ba && bb) score += 0.1
  const ua = normaliseLocationPart(a.location?.unit)
  const ub = normaliseLocationPart(b.location?.unit)
  // Each 单元 has its own stairwell, door and lift: a different unit is rarely the same problem.
  if (ua && ub) score = ua === ub ? score + 0.05 : score * 0.4
  return score
}

/** The best-matching candidate at or above the threshold, with its score; undefined when none. */
export function findDuplicate<T extends DedupeCandidate>(
  report: DedupeCandidate,
  candidates: readonly T[],
  threshold = DUPLICATE_THRESHOLD,
): { match: T; score: number } | undefined {
  let best: { match: T; score: number } | undefined
  for (const c of candidates) {
    const score = duplicateScore(report, c)
    if (score >= threshold && (!best || score > best.score)) best = { match: c, score }
  }
  return best
}

const BUILDING_RE = /([0-9零〇一二两三四五六七八九十]+)\s*(?:号楼|栋|幢|号院楼|#楼)/
const UNIT_RE = /([0-9零〇一二两三四五六七八九十]+)\s*单元/
const ROOM_RE = /(?<![0-9])([0-9]{3,4})\s*(?:室|号房|房)?(?![0-9号栋单]|楼(?!道|梯))/

/**
 * A rough building / unit / room from a text, for when triage is not available (triage's own
 * parser is the better one). "三号楼2单元301" → {building: '3', unit: '2', room: '301'}.
 */
export function extractLocation(text: string): DedupeLocation {
  const s = text.normalize('NFKC')
  const building = normaliseLocationPart(BUILDING_RE.exec(s)?.[1])
  const unit = normaliseLocationPart(UNIT_RE.exec(s)?.[1])
  const afterUnit = UNIT_RE.exec(s) ? s.slice((UNIT_RE.exec(s)?.index ?? 0) + 1) : ''
  const room = afterUnit ? ROOM_RE.exec(afterUnit)?.[1] : undefined
  return { building, unit, room }
}
