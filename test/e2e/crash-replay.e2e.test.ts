import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { CaseModel } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { useTestDatabase } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'

interface Child {
  proc: ChildProcess
  url: string
  roomId: string
}

/** Starts a whole Linli process on the test database and waits for its ready line. */
async function startChild(uri: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/crash-child.ts'], {
    env: { ...process.env, LINLI_TEST_DB_URI: uri },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
  const ready = await new Promise<{ url: string; roomId: string }>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as { url: string; roomId: string })
    })
  })
  return { proc, ...ready }
}

function exited(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })
}

async function post(url: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Record<string, string>
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) {
      const states = await ChatMessageModel.aggregate([
        { $group: { _id: { d: '$direction', s: '$status' }, n: { $sum: 1 } } },
      ])
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(states)}`)
    }
    await new Promise((r) => setTimeout(r, 40))
  }
}

const PROBLEMS = ['楼道灯不亮了', '门口垃圾桶满了没人清理', '电梯按钮坏了', '单元门禁打不开', '楼顶漏水']

describe('crash and replay of the whole runtime (SIGKILL mid-stream, restart)', () => {
  const db = useTestDatabase()
  checkCaseOwnersAfterEach()
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })

  it('handles every stored message once: one case and one reply per message after a restart', async () => {
    const t0 = Date.now()
    const first = await startChild(db.uri())
    console.info(`[crash-replay] first process ready in ${Date.now() - t0} ms`)
    children.push(first.proc)
    const resident = await post(`${first.url}/api/v1/sim/contacts`, { name: '李大爷' })
    const texts = Array.from(
      { length: 20 },
      (_, i) => `${(i % 4) + 1}号楼${(i % 3) + 1}单元${PROBLEMS[i % 5]}（${i + 1}）`,
    )
    // A burst: all twenty arrive at once, the bot handles them one by one (one sender, one chat).
    await Promise.all(
      texts.map((text) =>
        post(`${first.url}/api/v1/sim/rooms/${encodeURIComponent(first.roomId)}/messages`, {
          from: resident.contactId,
          text,
          mentionBot: true,
        }),
      ),
    )
    const inbound = { direction: 'in' as const }
    const processed = { direction: 'in' as const, status: 'processed' as const }
    // Kill once every message is stored but only some are handled: a crash mid-stream.
    await until(
      async () =>
        (await ChatMessageModel.countDocuments(inbound)) === 20 &&
        (await ChatMessageModel.countDocuments(processed)) >= 2,
      30_000,
      'the burst to be stored and partly handled',
    )
    first.proc.kill('SIGKILL')
    await exited(first.proc)
    const handledBeforeCrash = await ChatMessageModel.countDocuments(processed)
    expect(handledBeforeCrash).toBeLessThan(20)
    console.info(`[crash-replay] killed after ${handledBeforeCrash}/20 handled, ${Date.now() - t0} ms`)

    const second = await startChild(db.uri())
    children.push(second.proc)
    try {
      await until(
        async () => (await ChatMessageModel.countDocuments(processed)) === 20,
        60_000,
        'the stored messages to be replayed',
      )
      console.info(`[crash-replay] replayed, ${Date.now() - t0} ms`)
    } finally {
      second.proc.kill('SIGTERM')
      await exited(second.proc)
    }

    const messages = await ChatMessageModel.find(inbound).lean()
    expect(messages.map((m) => m.status)).toEqual(Array(20).fill('processed'))
    // One case per message: opened by it (sourceKey) or joined as a duplicate (subscriber) — never both, never twice.
    const cases = await CaseModel.find({}).lean()
    const owners = new Map<string, number>()
    for (const c of cases) {
      for (const key of [c.sourceKey, ...c.subscribers.map((s) => s.sourceKey)]) {
        if (key) owners.set(key, (owners.get(key) ?? 0) + 1)
      }
    }
    for (const m of messages) expect(owners.get(`chat:${m.messageId}`), m.text).toBe(1)
    expect(cases.length).toBeLessThanOrEqual(20)
    // One reply queued per message, and no reply delivered twice.
    const replies = await OutboxModel.find({ kind: 'reply' }).lean()
    for (const m of messages)
      expect(replies.filter((r) => r.key.startsWith(`reply:${m.messageId}:`)).length, m.text).toBe(1)
    const delivered = await ChatMessageModel.find({ direction: 'out', outboxKey: /^reply:/ }).lean()
    expect(new Set(delivered.map((d) => d.outboxKey)).size).toBe(delivered.length)
    // (Sending resumes once the dead process's sender lease expires, up to a minute after the crash.)
    expect(replies.every((r) => ['queued', 'sent', 'sending', 'sent_unknown'].includes(r.status))).toBe(true)
  }, 300_000) // generous: on a busy two-core machine one child process took 71 s to start
})
