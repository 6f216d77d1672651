import { createServer, type RequestListener, type Server } from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type Router from '@koa/router'
import { type BotRuntime, startBotRuntime } from './bot/runtime.js'
import { createApp } from './http/app.js'
import { answerClientErrors } from './http/client-errors.js'
import { healthRoutes } from './http/health.routes.js'
import { createMetrics, type Metrics } from './http/metrics.js'
import { authenticate } from './http/middleware/auth.js'
import { databaseGuard } from './http/middleware/database-guard.js'
import { rateLimit } from './http/middleware/rate-limit.js'
import { type ApiDocs, createApiDocs, docsRoutes } from './http/openapi.js'
import { apiRouteDocs } from './http/routes/api.docs.js'
import { authRoutes } from './http/routes/auth.routes.js'
import { botRoutes } from './http/routes/bot.routes.js'
import { casesRoutes } from './http/routes/cases.routes.js'
import { channelsRoutes } from './http/routes/channels.routes.js'
import { consoleRoutes } from './http/routes/console.routes.js'
import { eventsRoutes } from './http/routes/events.routes.js'
import { gridsRoutes } from './http/routes/grids.routes.js'
import { kbRoutes } from './http/routes/kb.routes.js'
import { mapRoutes } from './http/routes/map.routes.js'
import { noticesRoutes } from './http/routes/notices.routes.js'
import { open311Routes } from './http/routes/open311.routes.js'
import { pointsRoutes } from './http/routes/points.routes.js'
import { pollsRoutes } from './http/routes/polls.routes.js'
import { registryRoutes } from './http/routes/registry.routes.js'
import { residentsRoutes } from './http/routes/residents.routes.js'
import { shopRoutes } from './http/routes/shop.routes.js'
import { isSimulatorAllowed, simRoutes } from './http/routes/sim.routes.js'
import { statsRoutes } from './http/routes/stats.routes.js'
import { subscriptionsRoutes } from './http/routes/subscriptions.routes.js'
import { uploadsRoutes } from './http/routes/uploads.routes.js'
import { volunteersRoutes } from './http/routes/volunteers.routes.js'
import { wecomRoutes } from './http/routes/wecom.routes.js'
import { startJobs } from './jobs/schedule.js'
import { warnAboutCapacity } from './lib/capacity.js'
import { type Clock, systemClock } from './lib/clock.js'
import { type Config, ConfigError, loadConfig } from './lib/config.js'
import { fieldCryptoFromConfig } from './lib/crypto.js'
import { type Database, openDatabase } from './lib/database.js'
import { watchDatabase } from './lib/db-availability.js'
import { createLlm } from './lib/llm.js'
import { createLogger, type Logger } from './lib/logger.js'
import { createTranscriber } from './lib/speech.js'
import { HouseholdModel } from './models/registry.model.js'
import { createAuthService } from './services/auth/auth.service.js'
import { createConsoleLoginService } from './services/auth/console-login.service.js'
import { countBacklog } from './services/backlog/backlog.service.js'
import { createCaseService } from './services/cases/case.service.js'
import type { Hazard } from './services/cases/triage.hazard.js'
import { createTriage } from './services/cases/triage.service.js'
import {
  type ChannelStatusBoard,
  type ChannelStatusSource,
  countChannelFailures,
  createChannelStatusBoard,
} from './services/channels/channel-status.js'
import { createChannelWatch } from './services/channels/channel-watch.js'
import { createMpSubscriptions } from './services/channels/mp/subscriptions.js'
import { officialChannels } from './services/channels/official-channels.js'
import { createWeCom } from './services/channels/wecom/wecom-setup.js'
import { createAsks } from './services/conversations/asks.service.js'
import { createConversations } from './services/conversations/conversation.service.js'
import { createEventService } from './services/events/event.service.js'
import { createKbService, kbSettingsFromConfig } from './services/kb/kb.service.js'
import { createCommunityMapService } from './services/map/community-map.service.js'
import { createNoticeService } from './services/notices/notice.service.js'
import { createWeComGroupDrafts } from './services/notices/wecom-group-drafts.js'
import { createOpen311Service } from './services/open311/open311.service.js'
import { createBotReach, MAIN_ACCOUNT } from './services/outbox/bot-accounts.js'
import { createOutbox } from './services/outbox/outbox.service.js'
import { createPointsService } from './services/points/points.service.js'
import { createDeliberationService } from './services/polls/deliberation.service.js'
import { createPollService } from './services/polls/poll.service.js'
import { createProxyService } from './services/proxies/proxy.service.js'
import { createRegistryService } from './services/registry/registry.service.js'
import { loadWorkingCalendar } from './services/responsibility/calendar.js'
import { emergencyAdviceFor, loadEmergencyConfig } from './services/responsibility/emergency.config.js'
import { loadResponsibilityList } from './services/responsibility/responsibility.config.js'
import { createResponsibility } from './services/responsibility/responsibility.service.js'
import { createRoomBindings } from './services/rooms/room-binding.service.js'
import { createShopService } from './services/shop/shop.service.js'
import { createStatsService } from './services/stats/stats.service.js'
import { createVolunteerService } from './services/volunteers/volunteer.service.js'

/**
 * Every domain service, built once from the configuration. The HTTP routes, the bot's chat flows,
 * the jobs and the CLI all call these same instances, so a case from any channel goes through one
 * `cases.open`.
 */
export function buildServices(config: Config, logger: Logger, clock: Clock = systemClock) {
  // The responsibility list and holiday calendar are checked first: a bad file stops the start.
  const responsibility = createResponsibility(loadResponsibilityList(), loadWorkingCalendar(), clock)
  // Emergency advice per kind of danger (config/emergency.yaml): also checked before anything starts.
  const emergency = loadEmergencyConfig()
  const emergencyAdvice = (hazard: Hazard, communityCode?: string) =>
    emergencyAdviceFor(emergency, hazard, communityCode)
  const llm = createLlm(config)
  // Voice messages: the speech endpoint when configured, else the LLM's audio model, else none.
  const transcribe = createTranscriber(config) ?? llm?.transcribe
  // What the bot asks (ratings, 收到) is recorded as its messages are queued.
  const asks = createAsks({ clock })
  // With a pool of bot accounts, each message goes to the sender of the account that reaches its recipient.
  const botReach = createBotReach([MAIN_ACCOUNT, ...config.wechaty.accounts.map((a) => a.id)])
  const outbox = createOutbox({ clock, asks, accountOf: botReach.accountFor })
  const registry = createRegistryService({ clock, crypto: fieldCryptoFromConfig(config, logger), logger })
  const triage = createTriage({ list: responsibility.list, llm, logger, timeoutMs: config.llm.timeoutMs })
  const points = createPointsService({ clock, config })
  const shop = createShopService({ clock, points, redemptionDays: config.points.redemptionDays })
  const subscriptions = createMpSubscriptions({ clock, templates: config.miniprogram.templates })
  const proxies = createProxyService({ clock })
  const cases = createCaseService({
    clock,
    outbox,
    householdProxies: (householdId) => proxies.proxiesOf(householdId),
    responsibility,
    triage: (text, ctx) => triage.triage(text, ctx),
    logger,
    config,
    points,
  })
  const kb = createKbService({
    llm,
    logger,
    clock,
    ...kbSettingsFromConfig(config),
    // When the knowledge base is not sure, a staff member answers: the question becomes a case.
    onAbstain: async (_question, info) => {
      const opened = await cases.open({
        channel: 'kb',
        sourceKey: `kb:${info.questionId}`,
        text: info.maskedQuestion,
        category: 'policy_consult',
        reporter: info.askerId && /^[a-f0-9]{24}$/.test(info.askerId) ? { personId: info.askerId } : {},
      })
      return opened.case.number
    },
  })
  const events = createEventService({
    clock,
    outbox,
    settings: { timezone: config.timezone, reminderOffsetsMinutes: config.events.reminderOffsetsMinutes },
    points,
  })
  const volunteers = createVolunteerService({
    clock,
    outbox,
    points,
    proxies,
    onCaseNeed: async (n, note) => {
      await cases.recordVolunteerOutcome(n.caseNumber, n.code, note)
    },
    settings: {
      timezone: config.timezone,
      skills: config.volunteers.skills,
      offerTo: config.volunteers.offerTo,
    },
  })
  const notices = createNoticeService({
    clock,
    outbox,
    settings: {
      timezone: config.timezone,
      confirmAboveRooms: config.notices.confirmAboveRooms,
      confirmAbovePersons: config.notices.confirmAbovePersons,
      vulnerableTags: config.notices.vulnerableTags,
    },
  })
  const polls = createPollService({ clock, outbox, timezone: config.timezone })
  const deliberations = createDeliberationService({ clock, outbox, timezone: config.timezone })
  const stats = createStatsService({ clock, responsibility, timezone: config.timezone })
  const auth = createAuthService({ config, clock, logger })
  const consoleLogin = createConsoleLoginService({ clock, issueSession: (id) => auth.issueSession(id) })
  const conversations = createConversations({ clock })
  const rooms = createRoomBindings({ clock })
  const services = {
    clock,
    responsibility,
    emergency,
    emergencyAdvice,
    conversations,
    rooms,
    llm,
    asks,
    outbox,
    registry,
    triage,
    points,
    shop,
    subscriptions,
    cases,
    kb,
    events,
    notices,
    polls,
    deliberations,
    proxies,
    volunteers,
    transcribe,
    stats,
    auth,
    consoleLogin,
  }
  // WeCom (企业微信) for staff: off while unset; staff commands over the app run on these services.
  const wecom = createWeCom(config, { services: () => services, logger, clock })
  return { ...services, wecom, botReach }
}

export type Services = ReturnType<typeof buildServices>

export interface RunningService {
  config: Config
  database: Database
  services: Services
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:3000 */
  url: string
  /** The bot and outbox sender, when `wechaty.enabled`. */
  bot?: BotRuntime
  /** The channels whose health the console shows; more bot accounts join with `add`. */
  channelStatus: ChannelStatusBoard
  stop(reason?: string): Promise<void>
}

/**
 * The composition root: config → database → services → HTTP (and, as they land, bot and jobs).
 * Returns a handle whose stop() drains in-flight requests, closes the database and stops the
 * embedded server.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const services = buildServices(config, logger)
  const database = await openDatabase(config, logger, { onProgress: (l) => logger.info(l) })
  logger.info(
    { database: database.safeUri, source: database.source, dataDir: database.dataDir },
    database.source === 'external'
      ? `using MongoDB at ${database.safeUri}`
      : `using embedded ${database.source} at ${database.safeUri} (data in ${database.dataDir})`,
  )
  await warnAboutCapacity(database, () => HouseholdModel.estimatedDocumentCount(), logger)
  let shuttingDown = false
  // The chat calls the same service instances as the routes.
  const bot = config.wechaty.enabled
    ? await startBotRuntime({
        config,
        logger,
        services,
        conversations: services.conversations,
        botReach: services.botReach,
        transcribe: services.transcribe,
        channels: officialChannels(config, {
          wecomApp: services.wecom.app,
          wecomRobot: services.wecom.robot,
          wecomKf: services.wecom.kf?.channel,
          subscriptions: services.subscriptions,
        }),
      })
    : undefined
  // The API refuses at once with 503 while the database is away (pinged every second).
  // WeCom messages stored but not handled before a stop are handled now.
  await services.wecom.callback?.inbox.resume()
  await services.wecom.kf?.inbox?.resume()
  const dbWatch = watchDatabase(() => database.ping(), {
    logger,
    reconnect: () => database.reconnect(),
    lastProgressAt: () => database.lastProgressAt(),
  })
  const metrics = createMetrics()
  for (const { sender } of bot?.accounts ?? []) {
    sender.onAttempt((outcome) => metrics.gauges.outboxSendAttempts.inc({ outcome }))
    sender.onChannelAttempt(({ channel, outcome, kind }) =>
      metrics.gauges.channelSends.inc({ channel, outcome, kind: kind ?? '' }),
    )
  }
  // Today's failures per channel for the console's 渠道状态.
  for (const account of bot?.accounts ?? []) {
    countChannelFailures(account.sender, {
      account: account.id,
      now: () => services.clock.now(),
      timezone: config.timezone,
      onError: (err) => logger.warn({ err }, 'channel failure not counted'),
    })
  }
  const channelStatus = createChannelStatusBoard(() => bot?.channelSources() ?? [])
  if (bot) metrics.watchChannels(() => bot.channelSources())
  // Staff are told (by the channels still up) when a channel or a bot account has been down a while.
  const channelWatch = bot
    ? createChannelWatch({
        sources: () => bot.channelSources(),
        outbox: services.outbox,
        clock: services.clock,
        logger,
        timezone: config.timezone,
        alerts: config.channels.alerts,
      })
    : undefined
  channelWatch?.start()
  services.kb.onLlmOutcome((outcome) => metrics.gauges.kbLlmAnswers.inc({ outcome }))
  const docs = createApiDocs()
  const routers = buildRouters({
    services,
    config,
    metrics,
    docs,
    bot,
    channelStatus: () => channelStatus.sources(),
    pingDatabase: () => database.ping(),
    isShuttingDown: () => shuttingDown,
  })
  const app = createApp({
    logger,
    bodyLimitKb: config.http.bodyLimitKb,
    middleware: [metrics.middleware, databaseGuard(dbWatch), ...apiGuards(services, config.http.rateLimit)],
    routers,
    allowedMethods: (path) => docs.allowedMethods(path),
  })
  const server = await listen(app.callback(), config.http.host, config.http.port)
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.http.port
  const url = `http://${config.http.host}:${port}`
  logger.info({ url }, `Linli listening on ${url}`)
  const backlogTimer = watchBacklog(metrics, services.clock, logger)
  // Scheduled work (reminders, SLA watch, digests); API/bot-only processes run with jobs.enabled=false.
  const jobs = config.jobs.enabled
    ? startJobs({
        config,
        logger,
        outbox: services.outbox,
        cases: services.cases,
        stats: services.stats,
        notices: services.notices,
        polls: services.polls,
        shop: services.shop,
        points: services.points,
        onRun: (r) => metrics.gauges.jobRuns.inc({ job: r.name, outcome: r.outcome }),
      })
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
    await channelWatch?.stop()
    clearInterval(backlogTimer)
    dbWatch.stop()
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
  return { config, database, services, url, bot, channelStatus, stop }
}

/** What `buildRouters` needs: the services plus the process parts routes report on. */
export interface RouterDeps {
  services: Services
  config: Config
  metrics: Metrics
  docs: ApiDocs
  bot?: BotRuntime
  /** The channels the console's 渠道状态 shows (none without a bot: only the unconfigured ones). */
  channelStatus?: () => ChannelStatusSource[]
  pingDatabase(): Promise<void>
  isShuttingDown(): boolean
}

/**
 * Every router the service mounts, in order, with their RouteDocs registered in `docs` (the
 * OpenAPI completeness test builds the same list).
 */
export function buildRouters(d: RouterDeps): Router[] {
  const { services, config, bot } = d
  const uploadsDir = path.join(config.database.embedded.dataDir, 'uploads')
  const open311 = createOpen311Service({
    cases: services.cases,
    list: services.responsibility.list,
    clock: services.clock,
  })
  const routers = [
    healthRoutes({
      pingDatabase: d.pingDatabase,
      isShuttingDown: d.isShuttingDown,
      channels: bot ? () => bot.channelSources() : undefined,
    }),
    authRoutes({ auth: services.auth, consoleLogin: services.consoleLogin }),
    registryRoutes({ registry: services.registry, uploadLimitMb: config.http.uploadLimitMb }),
    kbRoutes({ kb: services.kb, maxDocumentKb: config.kb.maxDocumentKb }),
    eventsRoutes({ events: services.events }),
    volunteersRoutes({
      volunteers: services.volunteers,
      proxies: services.proxies,
      cases: services.cases,
      notices: services.notices,
    }),
    noticesRoutes({
      notices: services.notices,
      groupDrafts: createWeComGroupDrafts({
        client: services.wecom.client,
        notices: services.notices,
        clock: services.clock,
      }),
    }),
    pollsRoutes({ polls: services.polls, deliberations: services.deliberations }),
    uploadsRoutes({ dir: uploadsDir, limitMb: config.http.uploadLimitMb }),
    casesRoutes({ cases: services.cases, uploadsDir, registry: services.registry }),
    channelsRoutes({ channelStatus: d.channelStatus ?? (() => []), config, clock: services.clock }),
    pointsRoutes({ points: services.points }),
    shopRoutes({
      shop: services.shop,
      points: services.points,
      config,
      clock: services.clock,
      merchants: {
        create: (input) => services.registry.createMerchantStaff(input),
        invite: (personId, by) => services.auth.createInvite(personId, by),
      },
    }),
    subscriptionsRoutes({ subscriptions: services.subscriptions }),
    statsRoutes({ stats: services.stats }),
    residentsRoutes({ registry: services.registry }),
    gridsRoutes({ registry: services.registry }),
    mapRoutes({ map: createCommunityMapService({ clock: services.clock }) }),
    open311Routes({ open311, auth: services.auth }),
    d.metrics.routes(),
    consoleRoutes({ auth: services.auth }),
  ]
  const wecomCallback = services.wecom.callback
  if (wecomCallback) {
    routers.push(wecomRoutes(wecomCallback))
  }
  if (bot) {
    routers.push(
      botRoutes({
        accounts: () =>
          bot.accounts.map((a) => ({
            id: a.id,
            status: () => a.bot.status(),
            usage: () => a.sender.usage(),
            health: () => a.channel.health(),
            selfTest: () => a.channel.selfTest(),
          })),
      }),
    )
  }
  if (bot?.mock && isSimulatorAllowed(config)) {
    routers.push(simRoutes({ world: bot.mock, rooms: bot.rooms, conversations: bot.conversations }))
  }
  d.docs.add(...apiRouteDocs)
  routers.push(docsRoutes(d.docs, routers))
  return routers
}

/** Every 30 s: outbox depth and open/overdue cases into the gauges (unref'd: never keeps the process up). */
function watchBacklog(metrics: Metrics, clock: Clock, logger: Logger): NodeJS.Timeout {
  const update = () =>
    countBacklog(clock.now()).then(
      (b) => {
        metrics.gauges.outboxDepth.set(b.outboxQueued)
        metrics.gauges.openCases.set(b.openCases)
        metrics.gauges.overdueCases.set(b.overdueCases)
      },
      (err: unknown) => logger.warn({ err }, 'backlog gauges not updated'),
    )
  void update()
  const timer = setInterval(update, 30_000)
  timer.unref()
  return timer
}

/**
 * Rate limits (per client IP, then per signed-in user) and authentication, in front of every route.
 * Limits are per process; behind a load balancer each instance counts its own share.
 */
function apiGuards(services: Services, limits: Config['http']['rateLimit']) {
  return [
    rateLimit({ limit: limits.perIpPerMinute, windowMs: 60_000, keyOf: (ctx) => `ip:${ctx.ip}` }),
    authenticate(services.auth),
    rateLimit({
      limit: limits.perPersonPerMinute,
      windowMs: 60_000,
      keyOf: (ctx) => (ctx.state.actor as { personId?: string } | undefined)?.personId,
    }),
  ]
}

function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    answerClientErrors(server)
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
