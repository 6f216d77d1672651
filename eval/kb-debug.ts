import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { chunkDocument, parseFrontMatter } from '../src/services/kb/kb-chunker.js'
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
for (const line of readQaSet(qa as string)) {
  const hits = index.search(line.q, { limit: 3 })
  const top = hits[0]
  const words = analyzer.topicWords(line.q).map((w) => `${w.word}${w.noun ? '*' : ''}:${w.weight.toFixed(1)}`)
  const mark = line.doc === null ? 'UNC' : top?.chunk.docId === line.doc ? 'ok ' : 'BAD'
  console.log(
    `${mark} ${(top?.coverage ?? 0).toFixed(2)} ${line.q} [${words.join(' ')}] -> ${top?.chunk.chunkId}`,
  )
}

import { queryUnits, unitCoverage } from '../src/services/kb/kb-evidence.js'
import { normalizeText } from '../src/services/kb/kb-text.js'

for (const q of (process.env.QS ?? '').split('|').filter(Boolean)) {
  const hits = index.search(q, { limit: 1 })
  const c = hits[0]?.chunk as IndexedChunk
  const hay = normalizeText(`${c.title} ${c.headings.join(' ')}\n${c.text}`)
  const units = queryUnits(q, analyzer.topicWords(q))
  console.log(
    q,
    c.chunkId,
    hits[0]?.coverage.toFixed(2),
    units
      .map(
        (u) =>
          `${u.text}${u.noun ? '*' : ''}:${u.weight.toFixed(1)}=${unitCoverage(u, hay, analyzer).toFixed(2)}`,
      )
      .join(' '),
  )
}

import { composeExtractive } from '../src/services/kb/kb-answer.js'

for (const q of (process.env.ANS ?? '').split('|').filter(Boolean)) {
  const hits = index.search(q, { limit: 1 })
  console.log(`Q ${q}\nA ${composeExtractive(q, hits, analyzer)}\n`)
}
