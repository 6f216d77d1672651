import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import mongoose from 'mongoose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEMO_KB_DIR,
  EARLIER_DEMO_DOCS,
  importDemoPolicies,
  loadDemoGuide,
  missingFacts,
} from '../../scripts/demo-guide.js'
import { systemClock } from '../../src/lib/clock.js'
import { loadConfig } from '../../src/lib/config.js'
import { connectMongoose, initModels } from '../../src/lib/database.js'
import { silentLogger } from '../../src/lib/logger.js'
import '../../src/models/kb.model.js'
import '../../src/models/lock.model.js'
import {
  createKbService,
  type ImportSummary,
  type KbService,
  kbSettingsFromConfig,
} from '../../src/services/kb/kb.service.js'
import { testDatabaseUri } from '../db.js'

// The demo carries its own policy corpus: every policy question its printed guide suggests
// (demo/guide.json) is answered from demo/kb/, from the named document, with the named fact.
// Same settings and clock as `npm run demo` (no LLM: the extractive answer).

const ROOT = path.resolve(import.meta.dirname, '../..')
const guide = loadDemoGuide()
const demoFiles = readdirSync(DEMO_KB_DIR)
const docText = (id: string) => {
  const file = demoFiles.find((f) => f.replace(/\.[^.]+$/, '') === id)
  return file ? readFileSync(path.join(DEMO_KB_DIR, file), 'utf8') : undefined
}

describe('the demo policy corpus (demo/kb) answers the demo guide', () => {
  let kb: KbService
  let summary: ImportSummary

  beforeAll(async () => {
    await connectMongoose(testDatabaseUri())
    await initModels(silentLogger)
    const config = loadConfig({}, { configDir: path.join(ROOT, 'config') })
    kb = createKbService({ logger: silentLogger, clock: systemClock, ...kbSettingsFromConfig(config) })
    // A database an earlier demo filled with the evaluation corpora's samples.
    await kb.importDocument({
      id: 'elderly-allowance-pension',
      title: '高龄津贴和养老金问答',
      text: '一、高龄津贴。年满80周岁的老人每月领取高龄津贴100元。',
    })
    summary = await importDemoPolicies(kb)
  })
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined)
    await mongoose.disconnect()
  })

  it("imports every demo document, each with an issuer and a date, and drops an earlier demo's samples", async () => {
    expect(summary.failed).toEqual([])
    expect(summary.imported).toBe(demoFiles.length)
    const docs = await kb.listDocuments()
    expect(docs.map((d) => d.docId).sort()).toEqual(demoFiles.map((f) => f.replace(/\.[^.]+$/, '')).sort())
    expect(docs.length).toBeGreaterThanOrEqual(12)
    expect(docs.some((d) => EARLIER_DEMO_DOCS.includes(d.docId))).toBe(false)
    for (const d of docs) {
      expect(d.title, d.docId).not.toBe(d.docId)
      expect(d.issuer, d.docId).toBeTruthy()
      expect(d.date, d.docId).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    }
  })

  it('the guide and the demo eval set name demo documents whose text holds the expected facts', () => {
    const evalLines = readFileSync(path.join(ROOT, 'eval', 'kb-demo.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { q: string; doc: string | null; fact?: string[] })
    expect(evalLines.length).toBeGreaterThanOrEqual(40)
    for (const line of [...guide, ...evalLines.filter((l) => l.doc !== null)]) {
      const text = docText(line.doc as string)
      expect(text, `${line.q} → ${line.doc}`).toBeDefined()
      expect(missingFacts(text ?? '', line.fact ?? []), line.q).toEqual([])
    }
  })

  for (const g of guide) {
    it(`answers 「${g.q}」 from ${g.doc} with ${g.fact.join(', ')}`, async () => {
      const reply = await kb.ask(g.q, { askerId: 'demo-guide' })
      const said = `the bot said: ${reply.answer}`
      expect(reply.abstained, said).toBe(false)
      expect(reply.citations[0]?.docId, said).toBe(g.doc)
      expect(missingFacts(reply.answer, g.fact), said).toEqual([])
    })
  }
})
