import { createServer, type RequestListener, type Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { type BotRuntime, startBotRuntime } from './bot/runtime.js'
import { createApp } from './http/app.js'
import { healthRoutes } from './http/health.routes.js'
import { botRoutes } from './http/routes/bot.routes.js'
import { isSimulatorAllowed, simRoutes } from './http/routes/sim.routes.js'
import { startJobs } from './jobs/schedule.js'
import { systemClock } from './lib/clock.js'
import { type Config, ConfigError, loadConfig } from './lib/config.js'
import { type Database, openDatabase } from './lib/database.js'
import { createLogger, type Logger } from './lib/logger.js'
import { createOutbox } from './services/outbox/outbox.service.js'
import { loadWorkingCalendar } from './services/responsibility/calendar.js'
import { loadResponsibilityList } from './services/responsibility/responsibility.config.js'
import {
  createResponsibility,
  type Responsibility,
} from './services/responsibility/responsibility.service.js'

export interface RunningService {
  config: Config
  database: Database
  /** 责任清单: rules, SLA deadlines, who handles what. */
  responsibility: Responsibility
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:3000 */
  url: string
  /** The bot and outbox sender, when `wechaty.enabled`. */
  bot?: BotRuntime
  stop(reason?: string): Promise<void>
}

/**
 * The composition root: config → database → services → HTTP (and, as they land, bot and jobs).
 * Returns a handle whose stop() drains in-flight requests, closes the database and stops the
 * embedded server.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // The responsibility list and holiday calendar are checked before anything starts: a bad file stops here.
  const responsibility = createResponsibility(loadResponsibilityList(), loadWorkingCalendar())
  const database = await openDatabase(config, logger, { onProgress: (l) => logger.info(l) })
  logger.info(
    { database: database.safeUri, source: database.source, dataDir: database.dataDir },
    database.source === 'external'
      ? `using MongoDB at ${database.safeUri}`
      : `using embedded ${database.source} at ${database.safeUri} (data in ${database.dataDir})`,
  )
  let shuttingDown = false
  // The chat flows (cases, knowledge base, events) are handed to the bot here as they are wired.
  const bot = config.wechaty.enabled ? await startBotRuntime({ config, logger }) : undefined
  const sim =
    bot?.mock && isSimulatorAllowed(config)
      ? [simRoutes({ world: bot.mock, rooms: bot.rooms, conversations: bot.conversations })]
      : []
  if (bot) sim.push(botRoutes({ status: () => bot.bot.status(), usage: () => bot.sender.usage() }))
  const app = createApp({
    logger,
    bodyLimitKb: config.http.bodyLimitKb,
    routers: [
      healthRoutes({ pingDatabase: () => database.ping(), isShuttingDown: () => shuttingDown }),
      ...sim,
    ],
  })
  const server = await listen(app.callback(), config.http.host, config.http.port)
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.http.port
  const url = `http://${config.http.host}:${port}`
  logger.info({ url }, `Linli listening on ${url}`)
  // Scheduled work (reminders, SLA watch, digests); API/bot-only processes run with jobs.enabled=false.
  const jobs = config.jobs.enabled
    ? startJobs({ config, logger, outbox: createOutbox({ clock: systemClock }) })
    : undefined

  void database.crashed.then((reason) => {
    if (shuttingDown) return
    logger.fatal({ reason }, `the embedded database stopped: ${reason}`)
    void stop('database crashed').finally(() => process.exit(1))
  })

  async function stop(reason = 'stop requested'): Promise<void> {
    if (shuttingDown) return
    shuttingDown = true
    await jobs?.stop()
    logger.info({ reason }, 'shutting down: no new work, finishing in-flight requests')
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
      setTimeout(() => server.closeAllConnections(), 10_000).unref()
    })
    await bot?.stop()
    await database.close()
    logger.info('stopped')
  }
  return { config, database, responsibility, url, bot, stop }
}

function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}

/** Runs the service as a process: exits non-zero with a readable message when it cannot start. */
export async function runMain(): Promise<void> {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
  const logger = createLogger({ level: config.log.level })
  let service: RunningService
  try {
    service = await startService(config, logger)
  } catch (err) {
    logger.fatal({ err }, `Linli could not start: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      service.stop(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'error while shutting down')
          process.exit(1)
        },
      )
    })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runMain()
}
