import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { type LlmServer, startLlmServer } from '../llm-server.js'
import {
  envInt,
  exactlyOnceReport,
  type FaultChild,
  inboundStates,
  request,
  residentReports,
  startFaultChild,
  stopChild,
  until,
  useSharedDatabase,
} from './fault-world.js'

/** Messages per phase: half problem reports, half policy questions (eval/kb-extra documents). */
const M = envInt('LINLI_FAULT_LLM_MESSAGES', 40)
const LLM_TIMEOUT_MS = 1500
const QUESTIONS = [
  '电动车可以在楼道里充电吗？',
  '低保怎么申请？需要什么材料？',
  '养狗需要办证吗？',
  '物业费一般怎么收？',
  '孩子上小学怎么报名？',
  '居住证怎么办理？',
  '垃圾分类分哪几类？',
  '医保报销比例是多少？',
  '高龄津贴怎么领取？',
]
const GARBAGE = [
  'ZZGARBAGE 这不是答案 {{{',
  '{"category":"外星人入侵","urgency":"extreme","isRequest":"maybe"}',
]
const isQuestion = (text: string) => QUESTIONS.some((q) => text.includes(q))

/** Sends M messages from M/2 residents (one report and one question each) and waits for them. */
async function burstAndDrain(child: FaultChild, tag: string): Promise<string[]> {
  const senders = Array.from({ length: Math.ceil(M / 2) }, (_, i) => `${tag}-resident-${i + 1}`)
  const reports = residentReports(senders.length, tag)
  const texts = senders.flatMap((_, i) => [reports[i] as string, QUESTIONS[i % QUESTIONS.length] as string])
  const from = senders.flatMap((s) => [s, s])
  const before = await ChatMessageModel.countDocuments({ direction: 'in' })
  await request(`${child.control}/burst`, {
    body: { roomId: child.rooms[0], from, texts, perSecond: 100 },
  })
  await until(
    async () => {
      const s = await inboundStates()
      return (
        (await ChatMessageModel.countDocuments({ direction: 'in' })) === before + texts.length &&
        !s.received &&
        !s.processing
      )
    },
    120_000 + M * 3000,
    `the ${tag} messages to be handled`,
  )
  return senders
}

/** Every stored message processed (none failed), with one reply; reports own one case each. */
async function expectNothingLost(): Promise<void> {
  const states = await inboundStates()
  expect(Object.keys(states)).toEqual(['processed'])
  const report = await exactlyOnceReport({ casesExpected: true, opensCase: (t) => !isQuestion(t) })
  expect(report.unprocessed).toEqual([])
  expect(report.caseOwners).toEqual([])
  expect(report.replies).toEqual([])
}

/** The replies to policy questions: each cites a document or hands the question to staff. */
async function policyReplies(tag: string): Promise<string[]> {
  const questions = await ChatMessageModel.find({ direction: 'in', senderContactId: new RegExp(`^${tag}-`) })
    .lean()
    .then((ms) => ms.filter((m) => isQuestion(m.text)))
  const replies = await OutboxModel.find({ kind: 'reply' }).lean()
  return questions.map((q) => replies.find((r) => r.key === `reply:${q.messageId}:1`)?.text ?? '')
}

describe('the LLM endpoint hangs or answers garbage while residents keep writing', () => {
  const db = useSharedDatabase('llm')
  let llm: LlmServer
  let child: FaultChild
  beforeAll(async () => {
    llm = await startLlmServer()
    child = await startFaultChild(
      db.uri(),
      { llm: { baseUrl: llm.baseUrl, model: 'stand-in', timeoutMs: LLM_TIMEOUT_MS, maxRetries: 0 } },
      { LINLI_FAULT_KB_DIR: path.resolve('eval', 'kb-extra') },
    )
  }, 180_000)
  afterAll(async () => {
    await stopChild(child)
    await llm.close()
  })

  it('a hanging LLM is given up on within its timeout: rules triage, extractive answers, a reply each', async () => {
    const t0 = Date.now()
    llm.respond(() => ({ hang: true }))
    const asked = llm.requests.length
    await burstAndDrain(child, 'hang')
    console.info(`[llm-faults] hang: ${M} messages handled in ${Date.now() - t0} ms`)
    await expectNothingLost()
    const calls = llm.requests.slice(asked).filter((r) => r.path.includes('/chat/completions'))
    expect(calls.length).toBeGreaterThan(0) // the LLM really was asked, and hung
    // Every hanging call was abandoned by the service, within its configured timeout (plus slack).
    await until(async () => calls.every((c) => c.abandonedAfterMs !== undefined), 10_000, 'calls closed')
    for (const c of calls) expect(c.abandonedAfterMs).toBeLessThan(LLM_TIMEOUT_MS + 1500)
    for (const text of await policyReplies('hang')) expect(text).toMatch(/《.+》|工作人员/)
  })

  it('garbage from the LLM is never shown: rules triage, extractive answers, a reply each', async () => {
    const t0 = Date.now()
    let n = 0
    llm.respond(() => ({ content: GARBAGE[n++ % GARBAGE.length] as string }))
    const asked = llm.requests.length
    await burstAndDrain(child, 'garbage')
    console.info(`[llm-faults] garbage: ${M} messages handled in ${Date.now() - t0} ms`)
    await expectNothingLost()
    expect(llm.requests.length).toBeGreaterThan(asked)
    for (const text of await policyReplies('garbage')) expect(text).toMatch(/《.+》|工作人员/)
    const sent = await OutboxModel.find({}).lean()
    for (const s of sent) {
      expect(s.text).not.toContain('ZZGARBAGE')
      expect(s.text).not.toContain('外星人')
    }
  })
})
