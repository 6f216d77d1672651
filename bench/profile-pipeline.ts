import mongoose from 'mongoose'
import { closeBenchService, demoChatScene, openBenchService } from './bench-service.js'
import { sleep, waitFor } from './measure.js'
import { speak } from './pipeline.bench.js'

// `npx tsx bench/profile-pipeline.ts [messages] [in-flight]`: sends resident messages through the
// service (after every resident has spoken once) and prints the database commands they cost, grouped
// by command, collection and filter shape, with total and mean time — what the pipeline spends on.

interface Row {
  n: number
  ms: number
  max: number
}

/** A filter with its values replaced by their types: `{_id: 'ObjectId', status: {$in: ['String']}}`. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : []
  if (v && typeof v === 'object' && v.constructor?.name === 'Object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]))
  return v === null ? null : ((v as { constructor?: { name?: string } })?.constructor?.name ?? typeof v)
}

function filterOf(c: Record<string, unknown>): unknown {
  const first = (list: unknown) => (list as { q?: unknown }[] | undefined)?.[0]?.q
  return (
    c.filter ?? c.q ?? first(c.updates) ?? first(c.deletes) ?? (c.pipeline as unknown[])?.[0] ?? c.query ?? ''
  )
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50)
  const window = Number(process.argv[3] ?? 1)
  const b = await openBenchService({ monitorCommands: true })
  const { scene } = await demoChatScene(b)
  const rows = new Map<string, Row>()
  const started = new Map<number, { key: string; at: number }>()
  let recording = false
  const client = mongoose.connection.getClient()
  client.on('commandStarted', (e) => {
    if (!recording) return
    const c = e.command as Record<string, unknown>
    const key = `${e.commandName} ${String(c[e.commandName] ?? '')} ${JSON.stringify(shape(filterOf(c)))}`
    started.set(e.requestId, { key, at: performance.now() })
  })
  const done = (e: { requestId: number }) => {
    const s = started.get(e.requestId)
    if (!s) return
    started.delete(e.requestId)
    const ms = performance.now() - s.at
    const r = rows.get(s.key) ?? { n: 0, ms: 0, max: 0 }
    rows.set(s.key, { n: r.n + 1, ms: r.ms + ms, max: Math.max(r.max, ms) })
  }
  client.on('commandSucceeded', done)
  client.on('commandFailed', done)

  const warm = scene.residentIds.length
  for (let i = 0; i < warm; i++) speak(scene)
  await waitFor(async () => scene.handled() >= warm, 120_000)
  recording = true
  const t0 = performance.now()
  let offered = 0
  while (scene.handled() - warm < count) {
    while (offered < count && offered - (scene.handled() - warm) < window) {
      speak(scene)
      offered++
    }
    await sleep(10)
  }
  const wall = performance.now() - t0
  recording = false

  const all = [...rows.values()]
  const dbMs = all.reduce((s, r) => s + r.ms, 0)
  const commands = all.reduce((s, r) => s + r.n, 0)
  console.log(
    `${count} messages, ${window} in flight: ${((count * 1000) / wall).toFixed(2)} msg/s, ${(wall / count).toFixed(0)} ms a message`,
  )
  console.log(
    `${(commands / count).toFixed(1)} database commands a message, ${(dbMs / count).toFixed(0)} ms of command time a message`,
  )
  for (const [key, r] of [...rows.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 40)) {
    const cells = [
      r.ms.toFixed(0).padStart(7),
      `${r.n}x`.padStart(6),
      (r.ms / r.n).toFixed(1).padStart(7),
      r.max.toFixed(0).padStart(6),
    ]
    console.log(`${cells.join(' ')}  ${key.slice(0, 200)}`)
  }
  await closeBenchService(b)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
