import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import mongoose from 'mongoose'
import { afterAll, beforeAll } from 'vitest'
import { connectMongoose, initModels } from '../../src/lib/database.js'
import { silentLogger } from '../../src/lib/logger.js'
import { CaseModel } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { testDatabaseUri } from '../db.js'
import type { ConfigOverrides } from '../e2e/service-world.js'

/**
 * Like test/db.ts useTestDatabase, but the database is NOT emptied between tests: the tests of one
 * file share one running service (its seeded community) and go on from each other's state.
 */
export function useSharedDatabase(prefix: string): { uri: () => string } {
  let uri = ''
  beforeAll(async () => {
    uri = testDatabaseUri(prefix)
    await connectMongoose(uri)
    await initModels(silentLogger)
  })
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase().catch(() => undefined)
    await mongoose.disconnect()
  })
  return { uri: () => uri }
}

/** A running fault-child process: its API, its control port and the demo rooms it bound. */
export interface FaultChild {
  proc: ChildProcess
  url: string
  control: string
  rooms: string[]
  pid: number
}

/** Starts test/faults/fault-child.ts on the database `uri` and waits for its ready line. */
export async function startFaultChild(
  uri: string,
  overrides: ConfigOverrides = {},
  env: Record<string, string> = {},
): Promise<FaultChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/faults/fault-child.ts'], {
    env: { ...process.env, ...env, LINLI_TEST_DB_URI: uri, LINLI_FAULT_OVERRIDES: JSON.stringify(overrides) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
  const ready = await new Promise<Omit<FaultChild, 'proc'>>((resolve, reject) => {
    // Generous: with other work on the two cores a start (compile, connect, seed) took over 90 s.
    const timer = setTimeout(() => reject(new Error('child did not start within 180 s')), 180_000)
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return
      clearTimeout(timer)
      resolve(JSON.parse(line) as Omit<FaultChild, 'proc'>)
    })
  })
  return { proc, ...ready }
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })
}

/** SIGTERM, then SIGKILL after 15 s: a test never leaves a child behind. */
export async function stopChild(child: FaultChild | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return
  child.proc.kill('SIGTERM')
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 15_000)
  await exited(child.proc)
  clearTimeout(timer)
}

/** JSON over HTTP with a deadline; returns status, body and how long the answer took. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown; ms: number }> {
  const t0 = Date.now()
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, ms: Date.now() - t0 }
}

/** Polls `check` every 200 ms until it holds; throws with `describe()` when `ms` pass first. */
export async function until(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
  describe: () => Promise<unknown> = inboundStates,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(await describe())}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Inbound messages by status, e.g. {received: 3, processed: 57}. */
export async function inboundStates(): Promise<Record<string, number>> {
  const rows = await ChatMessageModel.aggregate<{ _id: string; n: number }>([
    { $match: { direction: 'in' } },
    { $group: { _id: '$status', n: { $sum: 1 } } },
  ])
  return Object.fromEntries(rows.map((r) => [r._id, r.n]))
}

/** Outbox rows by status. */
export async function outboxStates(): Promise<Record<string, number>> {
  const rows = await OutboxModel.aggregate<{ _id: string; n: number }>([
    { $group: { _id: '$status', n: { $sum: 1 } } },
  ])
  return Object.fromEntries(rows.map((r) => [r._id, r.n]))
}

/** What went wrong with the exactly-once promise for stored inbound messages; empty when kept. */
export interface OnceReport {
  messages: number
  unprocessed: string[]
  /** Messages whose `chat:<id>` source key belongs to no case or to more than one. */
  caseOwners: Array<{ messageId: string; owners: number; cases: string[] }>
  /** Processed messages without exactly one queued reply. */
  replies: Array<{ messageId: string; replies: number }>
  /** Outbox keys logged as sent more than once (a reply delivered twice). */
  sentTwice: string[]
}

/**
 * Checks every stored inbound message (`direction: 'in'` in chat_messages — what "received" means)
 * was handled once: processed or failed, never left received/processing; each case-opening message
 * owns exactly one case slot (opened it, or joined one as a duplicate); each processed message has
 * exactly one reply in the outbox; no outbox key was logged as sent twice.
 */
export async function exactlyOnceReport(options: {
  casesExpected: boolean
  /** Which messages must own a case slot (default: all of them, when cases are expected). */
  opensCase?: (text: string) => boolean
}): Promise<OnceReport> {
  const messages = await ChatMessageModel.find({ direction: 'in' }).lean()
  const unprocessed = messages
    .filter((m) => m.status !== 'processed' && m.status !== 'failed')
    .map((m) => `${m.messageId}:${m.status}`)
  const owners = new Map<string, string[]>()
  if (options.casesExpected) {
    for (const c of await CaseModel.find({}).lean()) {
      for (const [i, key] of [c.sourceKey, ...c.subscribers.map((s) => s.sourceKey)].entries()) {
        if (key) owners.set(key, [...(owners.get(key) ?? []), `${c.number}${i === 0 ? '' : '/sub'}`])
      }
    }
  }
  const caseOwners = options.casesExpected
    ? messages
        .filter((m) => options.opensCase?.(m.text) ?? true)
        .map((m) => {
          const cases = owners.get(`chat:${m.messageId}`) ?? []
          return { messageId: m.messageId, owners: cases.length, cases }
        })
        .filter((x) => x.owners !== 1)
    : []
  const replyCount = new Map<string, number>()
  for (const r of await OutboxModel.find({ kind: 'reply' }, { key: 1 }).lean()) {
    const id = /^reply:(.+):[^:]+$/.exec(r.key)?.[1]
    if (id) replyCount.set(id, (replyCount.get(id) ?? 0) + 1)
  }
  const replies = messages
    .filter((m) => m.status === 'processed')
    .map((m) => ({ messageId: m.messageId, replies: replyCount.get(m.messageId) ?? 0 }))
    .filter((x) => x.replies !== 1)
  const sent = await ChatMessageModel.find({ direction: 'out', outboxKey: { $exists: true } }).lean()
  const seen = new Map<string, number>()
  for (const s of sent) if (s.outboxKey) seen.set(s.outboxKey, (seen.get(s.outboxKey) ?? 0) + 1)
  const sentTwice = [...seen].filter(([, n]) => n > 1).map(([k]) => k)
  return { messages: messages.length, unprocessed, caseOwners, replies, sentTwice }
}

/** N resident reports of different problems (distinct texts, so none is a re-delivery). */
export function residentReports(n: number, tag: string): string[] {
  const problems = ['楼道灯不亮了', '门口垃圾桶满了没人清理', '电梯按钮坏了', '单元门禁打不开', '楼顶漏水']
  return Array.from(
    { length: n },
    (_, i) => `${(i % 12) + 1}号楼${(i % 3) + 1}单元${problems[i % problems.length]}（${tag}-${i + 1}）`,
  )
}

/** An integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback
}
