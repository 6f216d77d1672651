/**
 * A sanity check of the grounding check over the evaluation questions, without an LLM:
 * an "honest" answer made of the extract's own sentences, each citing [1], must pass; the same answer
 * with its first number changed, or with 不得/严禁 turned into 可以, must fail.
 * `npx tsx eval/kb-grounding-check.ts eval/kb-hard.jsonl ../shared/eval-dev/kb eval/kb-extra`
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { extractSentences } from '../src/services/kb/kb-answer.js'
import { chunkDocument, parseFrontMatter } from '../src/services/kb/kb-chunker.js'
import { checkGrounding } from '../src/services/kb/kb-grounding.js'
import { buildKbIndex, type IndexedChunk } from '../src/services/kb/kb-index.js'
import { createTextAnalyzer, loadVocabulary } from '../src/services/kb/kb-text.js'
import { readQaSet } from './kb.eval.js'

const [qa, ...folders] = process.argv.slice(2)
const analyzer = createTextAnalyzer(loadVocabulary('config/kb-synonyms.yaml'))
const chunks: IndexedChunk[] = []
for (const f of folders)
  for (const file of readdirSync(f)) {
    const { meta, body } = parseFrontMatter(readFileSync(path.join(f, file), 'utf8'))
    const docId = file.replace(/\.[^.]+$/, '')
    const title = meta.title ?? docId
    chunkDocument(body, title).forEach((c, i) => {
      chunks.push({ chunkId: `${docId}#${i}`, docId, title, headings: c.headings, text: c.text })
    })
  }
const index = buildKbIndex(analyzer, chunks)
const count = { honest: 0, honestOk: 0, number: 0, numberCaught: 0, flip: 0, flipCaught: 0 }
for (const line of readQaSet(qa as string)) {
  if (line.doc === null) continue
  const hits = index.search(line.q, { limit: 4 })
  const top = hits[0]
  if (!top) continue
  const passages = hits.map((h) => h.chunk)
  const extract = extractSentences(line.q, top.chunk.text, analyzer)
  const answer = (extract.match(/[^。！？；\n]+[。！？；]?/g) ?? [])
    .map((s) => `${s.replace(/[。；]$/, '')}[1]。`)
    .join('')
  const honest = checkGrounding(answer, passages, analyzer, { question: line.q })
  count.honest += 1
  if (honest.ok) count.honestOk += 1
  else console.log(`FALSE FAIL ${line.q}\n  ${answer}\n  ${JSON.stringify(honest)}`)
  // The first quantity (not a list number such as "5. ").
  const num = /(?<![\d.[])\d+(?![.、．\d\]])/.exec(answer)
  if (num) {
    const changed = answer.replace(num[0], String(Number(num[0]) * 3 + 7))
    count.number += 1
    if (!checkGrounding(changed, passages, analyzer, { question: line.q }).ok) count.numberCaught += 1
    else console.log(`MISSED NUMBER ${line.q}\n  ${changed}`)
  }
  if (/不得|严禁|禁止/.test(answer)) {
    const flipped = answer.replace(/不得|严禁|禁止/, '可以')
    count.flip += 1
    if (!checkGrounding(flipped, passages, analyzer, { question: line.q }).ok) count.flipCaught += 1
    else console.log(`MISSED FLIP ${line.q}\n  ${flipped}`)
  }
}
console.log(count)
