import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mongoose from 'mongoose'
import { linkStaffContacts } from '../scripts/demo-setup.js'
import { loadConfig } from '../src/lib/config.js'
import { startEmbeddedDb } from '../src/lib/embedded-db.js'
import { silentLogger } from '../src/lib/logger.js'
import { startService } from '../src/main.js'
import { seedDemo } from '../src/services/registry/seed.js'
import { sleep, waitFor } from './measure.js'
import { residentText } from './triage-kb.bench.js'

// `tsx bench/profile-pipeline.ts [messages] [concurrency]`: sends resident messages through the
// running service and prints the database commands they cost, grouped by command, collection and
// filter shape, with total and mean time. For finding what the pipeline spends its time on.

interface Row {
  n: number
  ms: number
  max: number
}

function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : []
  if (v && typeof v === 'object' && !(v instanceof Date) && v.constructor?.name === 'Object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shape(x)]))
  return v === null ? null : ((v as { constructor?: { name?: string } })?.constructor?.name ?? typeof v)
}

async function main() {
  const count = Number(process.argv[2] ?? 50)
  const window = Number(process.argv[3] ?? 1)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'linli-prof-'))
  const embedded = await startEmbeddedDb({
    ...loadConfig(process.env).database.embedded,
    dataDir: tmp,
    port: 0,
  })
  const u = new URL(embedded.uri)
  u.pathname = '/linli_prof'
  u.searchParams.set('monitorCommands', 'true')
  const config = loadConfig(
    {},
    {
      overrides: {
        database: { uri: u.toString(), embedded: { dataDir: tmp } },
        http: { host: '127.0.0.1', port: 0 },
        jobs: { enabled: false },
        log: { level: 'silent' },
      },
    },
  )
  const service = await startService(config, silentLogger)
  const seed = await seedDemo(service.services.registry)
  const bot = service.bot
  if (!bot?.mock) throw new Error('no mock')
  linkStaffContacts(bot, seed)
  const world = bot.mock
  const rooms: string[] = []
  for (const g of seed.grids) {
    const id = `prof-${g.code}@chatroom`
    world.mocker.createRoom({
      id,
      topic: `${g.name}居民群`,
      memberIdList: [world.botUser.id, g.primaryWorker.contactId, g.partTimeWorker.contactId],
      adminIdList: [],
    })
    await bot.rooms.bindAsSystem({
      roomId: id,
      topic: `${g.name}居民群`,
      target: { scope: 'grid', code: g.code },
    })
    rooms.push(id)
  }
  const residents = Array.from({ length: 40 }, (_, i) => world.createContact(`压测居民${i}`).id)
  const rows = new Map<string, Row>()
  const pending = new Map<number, { key: string; at: number }>()
  const client = mongoose.connection.getClient()
  let on = false
  client.on('commandStarted', (e) => {
    if (!on) return
    const c = e.command as Record<string, unknown>
    const col = String(c[e.commandName] ?? '')
    const f =
      c.filter ??
      c.q ??
      (c.updates as { q: unknown }[] | undefined)?.[0]?.q ??
      (c.deletes as { q: unknown }[] | undefined)?.[0]?.q ??
      (c.pipeline as unknown[] | undefined)?.[0] ??
      c.query ??
      ''
    pending.set(e.requestId, {
      key: `${e.commandName} ${col} ${JSON.stringify(shape(f))}`,
      at: performance.now(),
    })
  })
  const done = (e: { requestId: number }) => {
    const p = pending.get(e.requestId)
    if (!p) return
    pending.delete(e.requestId)
    const ms = performance.now() - p.at
    const r = rows.get(p.key) ?? { n: 0, ms: 0, max: 0 }
    r.n++
    r.ms += ms
    r.max = Math.max(r.max, ms)
    rows.set(p.key, r)
  }
  client.on('commandSucceeded', done)
  client.on('commandFailed', done)
  const doneCount = async () => bot.bot.counts().processed + bot.bot.counts().failed
  // warm-up
  for (let i = 0; i < 3; i++)
    world.say({
      from: residents[i] as string,
      roomId: rooms[0] as string,
      text: residentText(i),
      mentionBot: true,
    })
  await waitFor(async () => (await doneCount()) >= 3, 60_000)
  on = true
  const started = performance.now()
  let offered = 0
  let handled = 0
  while (handled < count) {
    handled = (await doneCount()) - 3
    while (offered < count && offered - handled < window) {
      const i = offered++
      world.say({
        from: residents[i % 40] as string,
        roomId: rooms[Math.floor(i / 40) % rooms.length] as string,
        text: residentText(i + 1000),
        mentionBot: true,
      })
    }
    await sleep(20)
  }
  const wall = performance.now() - started
  on = false
  const sorted = [...rows.entries()].sort((a, b) => b[1].ms - a[1].ms)
  console.log(
    `${count} messages, ${window} in flight: ${(wall / count).toFixed(1)} ms/msg wall, ${((count * 1000) / wall).toFixed(2)} msg/s`,
  )
  let total = 0
  for (const [, r] of sorted) total += r.ms
  console.log(
    `db time total ${total.toFixed(0)} ms (${(total / count).toFixed(1)} ms/msg), commands ${[...rows.values()].reduce((s, r) => s + r.n, 0) / count} per msg`,
  )
  for (const [k, r] of sorted.slice(0, 40))
    console.log(
      `${r.ms.toFixed(0).padStart(7)} ms ${String(r.n).padStart(5)}x ${(r.ms / r.n).toFixed(1).padStart(6)} avg ${r.max.toFixed(0).padStart(5)} max  ${k.slice(0, 220)}`,
    )
  await service.stop('done')
  await embedded.stop()
  rmSync(tmp, { recursive: true, force: true })
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
