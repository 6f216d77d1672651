import mongoose from 'mongoose'
import { systemClock } from '../src/lib/clock.js'
import { loadConfig } from '../src/lib/config.js'
import { fieldCryptoFromConfig } from '../src/lib/crypto.js'
import { silentLogger } from '../src/lib/logger.js'
import { importRegistrySheet } from '../src/services/registry/import/import.service.js'

// `tsx bench/import-child.ts <mongodb uri> <sheet file>`: the registry import alone in its own
// process, as `linli import` runs it; prints one JSON line with the summary and the process's RSS
// just after connecting and its peak (the kernel's high-water mark, not a sample).

async function main(): Promise<void> {
  const [uri, file] = process.argv.slice(2)
  if (!uri || !file) throw new Error('usage: import-child.ts <uri> <file>')
  const config = loadConfig(process.env)
  await mongoose.connect(uri, { autoIndex: false })
  const startMb = process.memoryUsage().rss / 2 ** 20
  const crypto = fieldCryptoFromConfig(config, silentLogger)
  let heapMb = 0
  const timer = setInterval(() => {
    heapMb = Math.max(heapMb, process.memoryUsage().heapUsed / 2 ** 20)
  }, 50)
  const summary = await importRegistrySheet(
    { crypto, clock: systemClock },
    { path: file },
    { batchSize: 1000 },
  )
  const peakMb = process.resourceUsage().maxRSS / 1024
  clearInterval(timer)
  await mongoose.disconnect()
  process.stdout.write(
    `${JSON.stringify({ startMb, peakMb, heapMb, durationMs: summary.durationMs, households: summary.households, residents: summary.residents.created, errors: summary.errors.length })}\n`,
  )
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`import failed: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
