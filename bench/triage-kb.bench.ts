import type { Services } from '../src/main.js'
import { type Metric, percentile, round } from './measure.js'

const PLACES = [
  '1号楼',
  '3号楼2单元',
  '小区东门',
  '地下车库',
  '12号楼楼道',
  '幼儿园门口',
  '7号楼楼顶',
  '健身广场',
]
const PROBLEMS = [
  '楼道灯不亮了',
  '垃圾桶满了没人清理',
  '电梯按钮坏了',
  '单元门禁打不开',
  '楼顶漏水，家里墙面发霉',
  '下水道堵了污水往外冒',
  '有人在楼道里给电动车充电',
  '路灯坏了晚上很黑',
  '暖气不热，屋里只有十几度',
  '井盖松动，有人差点摔倒',
  '楼下烧烤油烟太大',
  '闻到很浓的煤气味',
  '请问老年证怎么办理',
  '树枝压到电线上了',
]

/**
 * Resident-like messages: a place and a problem, numbered so no two are the same text. Four in five
 * name a building and unit (30 × 4 of them), so most reports are new cases, as in a real grid; the
 * fifth names a shared place (east gate, garage …), where neighbours' reports of one problem are
 * duplicates of each other.
 */
export function residentText(i: number): string {
  const place = i % 5 === 0 ? PLACES[i % PLACES.length] : `${1 + ((i * 7) % 30)}号楼${1 + (i % 4)}单元`
  return `${place}${PROBLEMS[(i * 3) % PROBLEMS.length]}（${i}）`
}

/** Rules-layer triage throughput: synchronous, no database, no LLM. */
export function benchTriage(services: Services, seconds: number): Metric[] {
  const texts = Array.from({ length: 2000 }, (_, i) => residentText(i))
  for (const t of texts.slice(0, 200)) services.triage.classifyByRules(t) // warm-up
  const started = performance.now()
  const deadline = started + seconds * 1000
  let n = 0
  while (performance.now() < deadline && n < 5_000_000) {
    services.triage.classifyByRules(texts[n % texts.length] as string)
    n++
  }
  const perSecond = (n * 1000) / (performance.now() - started)
  return [
    {
      metric: 'triage_per_s',
      value: round(perSecond),
      unit: 'msg/s',
      note: `rules layer on one core, ${n} classifications; baseline: none (pure CPU)`,
    },
  ]
}

const TOPICS = [
  ['电动车', '充电', '楼道', '消防', '罚款'],
  ['养老', '补贴', '高龄', '津贴', '申领'],
  ['公租房', '申请', '收入', '轮候', '租金'],
  ['低保', '认定', '家庭', '收入', '复核'],
  ['垃圾分类', '厨余', '投放', '时间', '桶站'],
  ['物业', '维修', '基金', '业主', '表决'],
  ['医保', '缴费', '报销', '门诊', '慢病'],
  ['就业', '培训', '补贴', '失业', '登记'],
  ['犬只', '登记', '牵绳', '免疫', '办证'],
  ['老旧小区', '改造', '加装', '电梯', '出资'],
]

/** A policy-like document of `sections` numbered articles (each becomes about one chunk). */
function policyDocument(d: number, sections: number): string {
  const topic = TOPICS[d % TOPICS.length] as string[]
  const lines = [`# 鄂尔多斯市${topic[0]}${topic[1]}管理办法（第${d}号）`, '']
  for (let s = 1; s <= sections; s++) {
    const [a, b, c, e, f] = topic.map((w, k) => topic[(k + s + d) % topic.length] ?? w)
    lines.push(`## 第${s}条`)
    lines.push(
      `${a}${b}事项由社区受理。居民办理${c}相关业务时，应当携带身份证和户口簿，到社区服务中心${(s % 5) + 1}号窗口登记；` +
        `符合条件的，${s + 2}个工作日内完成${e}审核，审核结果在社区公示栏公示${(s % 3) + 5}天。对${f}有异议的，可以在公示期内向街道提出复核。` +
        `本条所称${a}，是指第${d}号文件第${s}项规定的情形，标准为每月${100 + ((d * s) % 900)}元。`,
    )
    lines.push('')
  }
  return lines.join('\n')
}

/** Imports generated documents until the index holds at least `minChunks` chunks. */
async function loadCorpus(
  services: Services,
  minChunks: number,
): Promise<{ docs: number; chunks: number; ms: number }> {
  const started = performance.now()
  let chunks = 0
  let docs = 0
  while (chunks < minChunks && docs < 2000) {
    const r = await services.kb.importDocument({ id: `bench-policy-${docs}`, text: policyDocument(docs, 25) })
    chunks += r.chunks
    docs++
  }
  return { docs, chunks, ms: performance.now() - started }
}

/** Knowledge-base answers (no LLM) over a generated corpus: latency of `ask`, with `search` as baseline. */
export async function benchKb(
  services: Services,
  o: { minChunks: number; questions: number },
): Promise<Metric[]> {
  const corpus = await loadCorpus(services, o.minChunks)
  const questions = Array.from({ length: o.questions }, (_, i) => {
    const t = TOPICS[i % TOPICS.length] as string[]
    return `${t[(i + 1) % 5]}${t[(i + 3) % 5]}需要带什么材料？多久能办好？`
  })
  await services.kb.ask(questions[0] as string) // builds the index
  const ask: number[] = []
  const search: number[] = []
  for (const q of questions) {
    let t = performance.now()
    await services.kb.search(q, 10)
    search.push(performance.now() - t)
    t = performance.now()
    await services.kb.ask(q)
    ask.push(performance.now() - t)
  }
  const corpusNote = `${corpus.chunks} chunks in ${corpus.docs} generated documents (import ${round(corpus.ms / 1000)} s), ${questions.length} questions, no LLM`
  return [
    { metric: 'kb_ask_p50_ms', value: round(percentile(ask, 50)), unit: 'ms', note: corpusNote },
    { metric: 'kb_ask_p95_ms', value: round(percentile(ask, 95)), unit: 'ms' },
    {
      metric: 'kb_search_p50_ms',
      value: round(percentile(search, 50)),
      unit: 'ms',
      note: 'baseline: index lookup alone (no extraction, no logging of the question)',
    },
    { metric: 'kb_search_p95_ms', value: round(percentile(search, 95)), unit: 'ms' },
  ]
}
