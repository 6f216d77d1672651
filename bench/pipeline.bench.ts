import mongoose from 'mongoose'
import { WechatyBuilder } from 'wechaty'
import { createMockWorld, type MockWorld } from '../src/bot/mock-world.js'
import { CaseModel } from '../src/models/case.model.js'
import { ChatMessageModel } from '../src/models/chat-message.model.js'
import { closedLoop, type Metric, percentile, round, sleep, waitFor } from './measure.js'
import { residentText } from './triage-kb.bench.js'

/** Where the residents speak: bound rooms of the running service's mock world. */
export interface ChatScene {
  world: MockWorld
  roomIds: string[]
  residentIds: string[]
  /** Messages the service finished (processed or failed), counted in memory: polling the database
   * for it would compete with the pipeline being measured. */
  handled: () => number
}

export interface PipelineOptions {
  seconds: number
  window: number
  latencySeconds: number
  offeredPerSecond: number
}

let serial = 0
/** One resident message (distinct text, @-mentioning the bot) in one of the bound rooms. */
export function speak(scene: ChatScene): string {
  const i = serial++
  const from = scene.residentIds[i % scene.residentIds.length] as string
  const roomId = scene.roomIds[Math.floor(i / scene.residentIds.length) % scene.roomIds.length] as string
  return scene.world.say({ from, roomId, text: residentText(i + 100_000), mentionBot: true })
}

/** Keeps `window` messages in flight for `seconds`; handled messages per second over that time. */
async function sustained(scene: ChatScene, o: PipelineOptions) {
  const doneCount = async () => scene.handled()
  const base = await doneCount()
  let offered = 0
  const started = Date.now()
  const deadline = started + o.seconds * 1000
  let handled = 0
  while (Date.now() < deadline && offered < 1_000_000) {
    handled = (await doneCount()) - base
    for (let inFlight = offered - handled; inFlight < o.window; inFlight++, offered++) speak(scene)
    await sleep(50)
  }
  handled = (await doneCount()) - base
  const perSecond = (handled * 1000) / (Date.now() - started)
  const drained = await waitFor(async () => (await doneCount()) - base >= offered, 120_000, 200)
  return { perSecond, handled, offered, drained }
}

/**
 * Offers messages at a fixed rate; latency from the puppet event to `processedAt` of each, for those
 * handled within `waitMs` of the last offer.
 */
export async function fixedLoad(scene: ChatScene, rate: number, seconds: number, waitMs = 120_000) {
  const base = scene.handled()
  const sentAt = new Map<string, number>()
  const total = Math.round(rate * seconds)
  const started = Date.now()
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate
    if (due > Date.now()) await sleep(due - Date.now())
    sentAt.set(speak(scene), Date.now())
  }
  const offerMs = Date.now() - started
  const ids = [...sentAt.keys()]
  const allDone = await waitFor(async () => scene.handled() - base >= ids.length, waitMs, 50)
  const docs = await ChatMessageModel.find(
    { messageId: { $in: ids } },
    { messageId: 1, processedAt: 1 },
  ).lean()
  const latencies = docs
    .filter((d) => d.processedAt)
    .map((d) => (d.processedAt as Date).getTime() - (sentAt.get(d.messageId) ?? 0))
  return { latencies, total, offerMs, allDone }
}

/** Plain driver inserts of a case-sized document with the same number of operations in flight. */
async function rawInserts(seconds: number, window: number): Promise<{ perSecond: number; bytes: number }> {
  const sample = await CaseModel.findOne({}).lean()
  if (!sample) throw new Error('the pipeline opened no case to copy')
  const { _id, ...doc } = sample as Record<string, unknown>
  const db = mongoose.connection.db
  if (!db) throw new Error('no database')
  const col = db.collection('bench_raw_cases')
  const bytes = Buffer.byteLength(JSON.stringify(doc))
  const r = await closedLoop(() => col.insertOne({ ...doc, number: `R${Math.random()}` }), {
    concurrency: window,
    seconds,
    maxOps: 1_000_000,
  })
  await col.drop().catch(() => undefined)
  return { perSecond: r.perSecond, bytes }
}

/** The whole chat path, its physical limit (raw inserts) and latency at a fixed offered load. */
export async function benchPipeline(scene: ChatScene, o: PipelineOptions): Promise<Metric[]> {
  // Warm-up: every resident speaks once, so the sustained run measures steady state; a contact's
  // first message also creates their record (a search of the registry), a one-time cost per person.
  const warm = scene.handled()
  const warmCount = scene.residentIds.length
  for (let i = 0; i < warmCount; i++) speak(scene)
  await waitFor(async () => scene.handled() - warm >= warmCount, 120_000)
  const s = await sustained(scene, o)
  const raw = await rawInserts(o.seconds, o.window)
  const sustainable = s.perSecond >= o.offeredPerSecond
  const rate = sustainable ? o.offeredPerSecond : Math.max(1, Math.floor(s.perSecond * 0.8))
  const lat = await fixedLoad(scene, rate, o.latencySeconds)
  const loadNote = sustainable
    ? `offered ${rate} msg/s for ${o.latencySeconds} s (${lat.total} messages)`
    : `offered ${rate} msg/s for ${o.latencySeconds} s (${lat.total} messages): 100 msg/s is above the sustained rate of this machine`
  const ratio = s.perSecond / raw.perSecond
  return [
    {
      metric: 'pipeline_msgs_per_s',
      value: round(s.perSecond),
      unit: 'msg/s',
      note: `${s.handled} handled in ${o.seconds} s, ${o.window} in flight, ${scene.residentIds.length} residents in ${scene.roomIds.length} rooms${s.drained ? '' : '; backlog not drained in 120 s'}`,
    },
    {
      metric: 'raw_insert_per_s',
      value: round(raw.perSecond),
      unit: 'doc/s',
      note: `insertOne of a ${raw.bytes}-byte case document, ${o.window} in flight`,
    },
    { metric: 'pipeline_vs_raw_ratio', value: round(ratio), unit: 'ratio' },
    {
      metric: 'pipeline_p50_ms',
      value: round(percentile(lat.latencies, 50)),
      unit: 'ms',
      note: `${loadNote}${lat.allDone ? '' : `; only ${lat.latencies.length} handled within 120 s`}`,
    },
    { metric: 'pipeline_p99_ms', value: round(percentile(lat.latencies, 99)), unit: 'ms' },
  ]
}

/** A Wechaty bot that says back every text on its own mock puppet: the framework's own limit. */
export async function benchEchoBot(o: { seconds: number; window: number }): Promise<Metric[]> {
  const world = createMockWorld('回声')
  const bot = WechatyBuilder.build({ name: 'bench-echo', puppet: world.puppet })
  bot.on('message', async (m) => {
    if (m.self() || m.type() !== bot.Message.Type.Text) return
    await m.say(m.text())
  })
  await bot.start()
  world.mocker.login(world.botUser)
  await waitFor(async () => bot.isLoggedIn, 5000, 20)
  const people = Array.from({ length: 40 }, (_, i) => world.createContact(`居民${i}`))
  const room = world.createRoom('回声测试群', people)
  let offered = 0
  const started = Date.now()
  const deadline = started + o.seconds * 1000
  while (Date.now() < deadline && offered < 2_000_000) {
    for (let f = offered - world.delivered.length; f < o.window; f++, offered++) {
      world.say({
        from: (people[offered % people.length] as { id: string }).id,
        roomId: room.id,
        text: `你好${offered}`,
      })
    }
    await sleep(5)
  }
  const perSecond = (world.delivered.length * 1000) / (Date.now() - started)
  await bot.stop()
  return [
    {
      metric: 'echo_bot_msgs_per_s',
      value: round(perSecond),
      unit: 'msg/s',
      note: `${world.delivered.length} echoes in ${o.seconds} s, ${o.window} in flight, no database`,
    },
  ]
}
