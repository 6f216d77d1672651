import path from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import '../../models/lock.model.js'
import { useTestDatabase } from '../../../test/db.js'
import { type LlmServer, startLlmServer } from '../../../test/llm-server.js'
import { scrapeMetrics } from '../../../test/metrics-scrape.js'
import { createMetrics } from '../../http/metrics.js'
import { fixedClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { createLlm } from '../../lib/llm.js'
import { createLogger } from '../../lib/logger.js'
import { createKbService, type KbService } from './kb.service.js'
import { loadVocabulary } from './kb-text.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const vocabulary = loadVocabulary(path.join(ROOT, 'config/kb-synonyms.yaml'))
const clock = fixedClock(new Date('2026-01-10T02:00:00Z'))
const API_KEY = 'sk-grounding-test-key'

const ALLOWANCE = `---
title: 高龄津贴发放办法
issuer: 示范市民政局
---
# 高龄津贴发放办法

一、发放对象。年满八十周岁的本市户籍老人。

二、发放标准。高龄津贴每月100元，按月发放到老人的社会保障卡。

三、申请方式。由老人或家属持户口簿、身份证到户籍所在地社区服务中心申请。
`

const EBIKE = `---
title: 住宅小区电动自行车停放充电安全管理通告
issuer: 示范市消防救援支队
---
一、严禁在建筑物的公共门厅、疏散走道、楼梯间、安全出口处停放电动自行车或者为电动自行车充电。

二、违反前款规定的，由消防救援机构责令改正，拒不改正的，对个人处警告或者500元以下罚款。
`

const AMOUNT_Q = '我妈八十岁了，高龄津贴每月发多少钱'
const EBIKE_Q = '电动车能在楼道里充电吗'

describe('kb answers from an LLM stay grounded in the cited passages', () => {
  useTestDatabase()
  let server: LlmServer
  let lines: string[]

  beforeAll(async () => {
    server = await startLlmServer({ apiKey: API_KEY })
  })
  afterAll(async () => {
    await server.close()
  })
  beforeEach(() => {
    server.requests.length = 0
    lines = []
  })

  const chats = () => server.requests.filter((r) => r.path.includes('/chat/completions'))
  const warnings = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)

  /** The real openai client against the stand-in, a logger whose lines the test reads, both documents. */
  async function makeKb(apiKey = API_KEY, llmTimeoutMs = 1500): Promise<KbService> {
    const config = loadConfig(
      {},
      {
        configDir: path.join(ROOT, 'config'),
        overrides: {
          llm: { baseUrl: server.baseUrl, apiKey, model: 'stand-in', maxRetries: 0, timeoutMs: llmTimeoutMs },
        },
      },
    )
    const llm = createLlm(config)
    if (!llm) throw new Error('LLM not configured')
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk))
          cb()
        },
      }),
    })
    const kb = createKbService({
      llm,
      logger,
      clock,
      vocabulary,
      options: { llmTimeoutMs, llmRetries: 1 },
    })
    await kb.importDocument({ id: 'elderly-allowance', text: ALLOWANCE })
    await kb.importDocument({ id: 'ebike-charging', text: EBIKE })
    server.requests.length = 0
    return kb
  }

  /** Answers every chat request with `content`; the passage numbers follow the prompt's order. */
  function replyWith(content: (passageOf: (docTitle: string) => number) => string) {
    server.respond((req) => {
      const user = req.body.messages?.find((m) => m.role === 'user')?.content ?? ''
      const passageOf = (title: string) => {
        const m = new RegExp(`\\[(\\d+)\\] 《${title}》`).exec(user)
        if (!m) throw new Error(`passage of ${title} not in the prompt`)
        return Number(m[1])
      }
      return { content: content(passageOf) }
    })
  }
  const allowance = (p: (t: string) => number) => p('高龄津贴发放办法')
  const ebike = (p: (t: string) => number) => p('住宅小区电动自行车停放充电安全管理通告')

  it('gives an honest answer that states the passage facts with citations as written', async () => {
    const kb = await makeKb()
    replyWith((p) => `高龄津贴每月100元，按月发放到社会保障卡[${allowance(p)}]。`)
    const a = await kb.ask(AMOUNT_Q)
    expect(a.mode).toBe('llm')
    expect(a.answer).toBe('高龄津贴每月100元，按月发放到社会保障卡。（依据：《高龄津贴发放办法》）')
    expect(a.citations[0]?.docId).toBe('elderly-allowance')
    expect(warnings()).toEqual([])
  })

  it('gives the extract with the real amount when the model invents one, and logs why by question id only', async () => {
    const kb = await makeKb()
    replyWith((p) => `高龄津贴每月300元，按月发放到社会保障卡[${allowance(p)}]。`)
    const a = await kb.ask(`我电话13812345678，${AMOUNT_Q}`)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('100元')
    expect(a.answer).not.toContain('300')
    expect(a.answer).toContain('（依据《高龄津贴发放办法》')
    // Not retried: an unsupported answer goes straight to the extract.
    expect(chats()).toHaveLength(1)
    const [warning] = warnings()
    expect(warning).toMatchObject({ questionId: a.questionId, reason: 'number', detail: '300' })
    expect(lines.join('')).not.toContain('13812345678')
  })

  it('gives the extract when the model invents a phone number or an office', async () => {
    const kb = await makeKb()
    replyWith((p) => `高龄津贴每月100元[${allowance(p)}]。可拨打民政热线0471-6669999咨询[${allowance(p)}]。`)
    const phone = await kb.ask(AMOUNT_Q)
    expect(phone.mode).toBe('extractive')
    expect(phone.answer).toContain('100元')
    expect(phone.answer).not.toContain('6669999')

    replyWith((p) => `请带上户口簿和身份证到街道民政局申请高龄津贴[${allowance(p)}]。`)
    const office = await kb.ask('高龄津贴去哪里申请，要带什么')
    expect(office.mode).toBe('extractive')
    expect(office.answer).toContain('社区服务中心')
    expect(office.answer).not.toContain('民政局申请')
    expect(warnings().map((w) => w.reason)).toEqual(['number', 'name'])
  })

  it('gives the prohibition, not a model that says 可以 where the passage says 严禁', async () => {
    const kb = await makeKb()
    replyWith((p) => `可以。电动自行车可以在楼道充电，注意用电安全即可[${ebike(p)}]。`)
    const a = await kb.ask(EBIKE_Q)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('严禁')
    expect(a.answer).not.toMatch(/(^|[^不])可以/)
    expect(a.answer).not.toContain('注意用电安全')
    expect(warnings()[0]).toMatchObject({ reason: 'polarity' })
  })

  it('gives the extract when a sentence cites a passage number that was not given', async () => {
    const kb = await makeKb()
    replyWith((p) => `高龄津贴每月100元[${allowance(p)}]。到社区服务中心申请[9]。`)
    const a = await kb.ask(AMOUNT_Q)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('100元')
    expect(warnings()[0]).toMatchObject({ reason: 'unknown-passage', detail: '[9]' })
  })

  it('gives the extract when the model cites nothing, after one bounded retry', async () => {
    const kb = await makeKb()
    replyWith(() => '高龄津贴每个月大概两三百块钱。')
    const a = await kb.ask(AMOUNT_Q)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('100元')
    expect(a.answer).not.toContain('两三百')
    expect(chats()).toHaveLength(2)
  })

  it('gives the extract within the deadline when the model does not answer', async () => {
    const kb = await makeKb(API_KEY, 500)
    server.respond(() => ({ hang: true }))
    const started = Date.now()
    const a = await kb.ask(EBIKE_Q)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('严禁')
  })

  it('gives the extract and logs the refusal when the API key is wrong (401), never logging the key', async () => {
    const kb = await makeKb('sk-wrong-key')
    replyWith((p) => `高龄津贴每月100元[${allowance(p)}]。`)
    const a = await kb.ask(AMOUNT_Q)
    expect(a.mode).toBe('extractive')
    expect(a.answer).toContain('100元')
    expect(chats().length).toBeGreaterThanOrEqual(1)
    const failed = warnings().filter((w) => w.msg === 'llm answer failed')
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed[0]).toMatchObject({ questionId: a.questionId })
    expect(String(failed[0]?.err)).toContain('401')
    expect(lines.join('')).not.toContain('sk-wrong-key')
  })

  it('counts grounded and ungrounded LLM answers in /metrics', async () => {
    const kb = await makeKb()
    const metrics = createMetrics()
    // What main.ts wires.
    kb.onLlmOutcome((outcome) => metrics.gauges.kbLlmAnswers.inc({ outcome }))
    replyWith((p) => `高龄津贴每月100元[${allowance(p)}]。`)
    await kb.ask(AMOUNT_Q)
    replyWith((p) => `高龄津贴每月300元[${allowance(p)}]。`)
    await kb.ask(AMOUNT_Q)
    await kb.ask(AMOUNT_Q)
    const res = await scrapeMetrics(metrics)
    expect(res.status).toBe(200)
    expect(res.text).toContain('linli_kb_llm_answers_total{outcome="grounded"} 1')
    expect(res.text).toContain('linli_kb_llm_answers_total{outcome="ungrounded"} 2')
  })
})
