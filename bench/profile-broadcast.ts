import mongoose from 'mongoose'
import { seedCity } from '../src/services/registry/seed-city.js'
import { filterOf, shapeOf } from '../test/command-recorder.js'
import { closeBenchService, openBenchService } from './bench-service.js'
import { benchBroadcast } from './city.bench.js'

// `npx tsx bench/profile-broadcast.ts [households]`: seeds the city, runs the broadcast stage and
// prints the database commands it cost, grouped by command, collection and filter shape.

async function main(): Promise<void> {
  const households = Number(process.argv[2] ?? 5000)
  const b = await openBenchService({ monitorCommands: true })
  const { services } = b.service
  await seedCity({ clock: services.clock }, { households })
  const rows = new Map<string, { n: number; ms: number }>()
  const started = new Map<number, { key: string; at: number }>()
  let recording = true
  const client = mongoose.connection.getClient()
  client.on('commandStarted', (e) => {
    if (!recording) return
    const c = e.command as Record<string, unknown>
    const key = `${e.commandName} ${String(c[e.commandName] ?? '')} ${JSON.stringify(shapeOf(filterOf(c) ?? ''))}`
    started.set(e.requestId, { key, at: performance.now() })
  })
  const done = (e: { requestId: number }) => {
    const s = started.get(e.requestId)
    if (!s) return
    started.delete(e.requestId)
    const r = rows.get(s.key) ?? { n: 0, ms: 0 }
    rows.set(s.key, { n: r.n + 1, ms: r.ms + performance.now() - s.at })
  }
  client.on('commandSucceeded', done)
  client.on('commandFailed', done)
  for (const m of await benchBroadcast(services)) console.log(m.metric, m.value, m.unit, m.note)
  recording = false
  for (const [key, r] of [...rows.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 40))
    console.log(
      `${r.ms.toFixed(0).padStart(7)} ${`${r.n}x`.padStart(6)} ${(r.ms / r.n).toFixed(1).padStart(7)}  ${key.slice(0, 160)}`,
    )
  await closeBenchService(b)
}

// The service's timers (sender, heartbeats) would keep the process alive: exit when done.
main()
  .catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(() => process.exit())
