import { loadConfig } from '../src/lib/config.js'
import { createLogger } from '../src/lib/logger.js'
import { startService } from '../src/main.js'

// `npm run demo`: the whole service on the embedded database, with the mock WeChat puppet.
// Later features add seeding and the simulator here.

const config = loadConfig(process.env)
const logger = createLogger({ level: process.env.LINLI_LOG_LEVEL ?? 'warn' })
const service = await startService(config, logger)
process.stdout.write(
  [
    '',
    '邻里 Linli demo is running.',
    `  API:       ${service.url}/api/v1`,
    `  Health:    ${service.url}/readyz`,
    ...(service.bot?.mock ? [`  Simulator: ${service.url}/simulator`] : []),
    `  Database:  ${service.database.safeUri} (${service.database.source})`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void service.stop(signal).then(() => process.exit(0))
  })
}
