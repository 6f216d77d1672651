import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Jieba } from '@node-rs/jieba'
import { dict } from '@node-rs/jieba/dict.js'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/** The vocabulary file (`config/kb-synonyms.yaml`): domain words and groups of synonyms. */
export const KbVocabulary = z.object({
  dictionary: z.array(z.string().min(1)).default([]),
  synonyms: z.array(z.array(z.string().min(1)).min(2)).default([]),
})
export type KbVocabulary = z.infer<typeof KbVocabulary>

/** Reads and validates the vocabulary file; a missing file means an empty vocabulary. */
export function loadVocabulary(file: string): KbVocabulary {
  let raw: string
  try {
    raw = readFileSync(file, 'utf8')
  } catch {
    return { dictionary: [], synonyms: [] }
  }
  return KbVocabulary.parse(parseYaml(raw) ?? {})
}

/**
 * Question and function words that say nothing about the topic. They are kept out of the query
 * terms and out of the coverage measure (which asks "did the passage speak to what was asked?").
 */
const STOPWORDS = new Set(
  `的 了 吗 呢 啊 呀 吧 嘛 哦 么 着 过 和 与 及 或 是 在 有 没 没有 不 也 都 就 还 又 要 会 能 能不能 不能 可以 可不可以 行 不行
  我 我们 你 你们 他 她 它 他们 咱 咱们 自己 家 人 这 那 这个 那个 这些 那些 这样 那样 这里 那里 哪 哪里 哪儿 哪些 哪个 谁
  什么 怎么 怎么办 怎样 怎么样 如何 为什么 为啥 啥 多少 多 几 几个 请问 请 问 一下 一个 想 想要 知道 告诉 应该 应当 需要 得
  去 来 到 给 让 被 把 对 从 向 跟 比 为 以 于 上 下 里 中 后 以后 之后 前 以前 时候 时 现在 已经 可能 还是 但是 如果 因为 所以
  吗？ 呢？ 个 些 点 儿 地 之 其 该 所 等 等等 啦 哈 嗯 喂 您 您好 你好 谢谢 麻烦 帮 帮忙 一般 平时 具体 到底 究竟 大概 情况 问题
  办法 事 事情 东西 说 讲 看 看看 找 弄 搞 做 用 出来 起来 下来 上来 过来 能够 是否 是不是 有没有 要不要 会不会 了吗
  咋 咋办 咋弄 怎么弄 啥时候 什么时候 什么样 我妈 我爸 我家 家里 家人 今年 明年 去年 觉得 感觉 太 刚 刚刚 一次 有人 还要 还能 能否 这边 那边 哪个 哪家 哪位 之类`.split(
    /\s+/,
  ),
)

/** True for a word that carries no topic. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word)
}

const NONE: string[] = []
const CJK_RE = /[\u3400-\u9fff]/
const TOKEN_RE = /[\u3400-\u9fffA-Za-z0-9]/

/** Full-width → half-width, lower case, compatibility forms folded. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase()
}

/** Segmentation, synonyms and general word weights, built once from the vocabulary. */
export interface TextAnalyzer {
  /** Index/search terms of a text: `w:` words (search-mode segmentation) and `b:` character bigrams. */
  terms(text: string): string[]
  /** Topic words of a question (stopwords and punctuation removed), in order, unique. */
  contentWords(text: string): string[]
  /** Other words meaning the same as `word` (empty when none). */
  synonymsOf(word: string): string[]
  /** Synonym groups whose member occurs in the text as a substring: the other members. */
  expansions(text: string): string[]
  /** How informative a word is in general Chinese (jieba's IDF table), for weighting coverage. */
  weightOf(word: string): number
  /** The dictionary words inside a compound (流浪狗 → 流浪, 狗), for partial matches. */
  parts(word: string): string[]
  /** Topic words with their weight for coverage: informative nouns count most, particles least. */
  topicWords(text: string): TopicWord[]
}

/** A topic word of a question and how much it counts when judging whether a passage answers it. */
export interface TopicWord {
  word: string
  /** A noun (or noun-like domain word): what the question is about. */
  noun: boolean
  weight: number
  /** jieba's part-of-speech tag (`x` when unknown). */
  tag: string
}

function isNounTag(tag: string): boolean {
  return /^(n|vn|j|l|i|nz|nt|ns|nr|eng)/.test(tag)
}

/** Nouns say what is asked about; verbs a little less; numbers, measure words and adverbs least. */
function posFactor(tag: string): number {
  if (isNounTag(tag)) return 1
  if (/^(v|a)/.test(tag)) return 0.6
  return 0.4
}

/** Builds the analyzer: jieba with its bundled dictionary plus the domain words. */
export function createTextAnalyzer(vocabulary: KbVocabulary): TextAnalyzer {
  const jieba = Jieba.withDict(dict)
  const extra = new Set([...vocabulary.dictionary, ...vocabulary.synonyms.flat()].filter((w) => w.length > 1))
  if (extra.size > 0) jieba.loadDict(Buffer.from([...extra].map((w) => `${w} 2000 n`).join('\n')))
  const partsCache = new Map<string, string[]>()
  const groups = new Map<string, Set<string>>()
  for (const group of vocabulary.synonyms) {
    for (const w of group) {
      const set = groups.get(w) ?? new Set<string>()
      for (const other of group) if (other !== w) set.add(normalizeText(other))
      groups.set(w, set)
    }
  }
  const synonymCache = new Map([...groups].map(([w, set]) => [w, [...set]]))
  const members = [...groups.keys()].sort((a, b) => b.length - a.length)
  const words = (text: string, search: boolean): string[] =>
    (search ? jieba.cutForSearch(normalizeText(text), true) : jieba.cut(normalizeText(text), true))
      .map((w) => w.trim())
      .filter((w) => w.length > 0 && TOKEN_RE.test(w) && !STOPWORDS.has(w))
  const known = (w: string) => w.length < 2 || extra.has(w) || generalIdf().has(w) || !CJK_RE.test(w)
  const keep = (w: string) => w.length > 0 && TOKEN_RE.test(w) && !STOPWORDS.has(w)
  const weightOf = (word: string) =>
    generalIdf().get(word) ?? (CJK_RE.test(word) ? Math.min(12, 6 + word.length) : 6)
  function topicWords(text: string): TopicWord[] {
    const seen = new Map<string, TopicWord>()
    for (const { word, tag } of jieba.tag(normalizeText(text), true)) {
      const w = word.trim()
      if (!keep(w)) continue
      // HMM glues unknown neighbours ("钱会", "人交"): a glued pair no dictionary knows is re-cut.
      const parts = known(w)
        ? [{ w, tag: extra.has(w) ? 'n' : tag }]
        : jieba
            .cut(w, false)
            .filter(keep)
            .map((p) => ({ w: p, tag: 'x' }))
      for (const p of parts) {
        if (seen.has(p.w)) continue
        const base = Math.min(12, Math.max(2, weightOf(p.w)))
        seen.set(p.w, {
          word: p.w,
          tag: p.tag,
          noun: isNounTag(p.tag) && p.w.length > 1,
          weight: base * posFactor(p.tag),
        })
      }
    }
    return [...seen.values()]
  }
  return {
    terms(text) {
      return [...words(text, true).map((w) => `w:${w}`), ...bigrams(normalizeText(text)).map((b) => `b:${b}`)]
    },
    contentWords(text) {
      return topicWords(text).map((t) => t.word)
    },
    topicWords,
    synonymsOf(word) {
      return synonymCache.get(word) ?? NONE
    },
    expansions(text) {
      const t = normalizeText(text)
      const out = new Set<string>()
      const own = new Set(words(text, true))
      for (const m of members) {
        // One-character members (办, 狗) only count as whole words, not inside 怎么办 or 热狗.
        const present = m.length > 1 ? t.includes(m) : own.has(m)
        if (present) for (const o of groups.get(m) ?? []) if (!t.includes(o)) out.add(o)
      }
      return [...out]
    },
    weightOf,
    parts(word) {
      const cached = partsCache.get(word)
      if (cached) return cached
      const all = jieba.cutAll(word).filter((p) => p !== word && p.trim().length > 0)
      // Keep only the longest pieces: cutAll lists 流浪 and 流, 浪 alike.
      const parts = all.filter((p) => !all.some((q) => q !== p && q.length > p.length && q.includes(p)))
      if (partsCache.size > 20_000) partsCache.clear()
      partsCache.set(word, parts)
      return parts
    },
  }
}

/** Overlapping character pairs inside runs of Chinese characters (robust to segmentation misses). */
export function bigrams(text: string): string[] {
  const out: string[] = []
  for (const run of text.match(/[\u3400-\u9fff]+/g) ?? []) {
    for (let i = 0; i + 1 < run.length; i++) {
      const pair = run.slice(i, i + 2)
      if (!STOPWORDS.has(pair)) out.push(pair)
    }
  }
  return out
}

let idfTable: Map<string, number> | undefined

/** jieba's general-language IDF table, loaded on first use (about 270k words). */
function generalIdf(): Map<string, number> {
  if (idfTable) return idfTable
  const require = createRequire(import.meta.url)
  const file = require.resolve('@node-rs/jieba/idf.txt')
  const table = new Map<string, number>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const sp = line.indexOf(' ')
    if (sp > 0) table.set(line.slice(0, sp), Number(line.slice(sp + 1)))
  }
  idfTable = table
  return table
}
