import Router from '@koa/router'
import type { Context, Next } from 'koa'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { ChannelHealth, ChannelSource } from '../services/channels/channel.js'
import { requireRole } from './middleware/auth.js'

const HEALTH_VALUE: Record<ChannelHealth['state'], number> = { up: 1, degraded: 0.5, down: 0 }

const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const

/** Prometheus metrics of one process: HTTP by route, plus gauges other parts update. */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // prom-client's gauges of the current count are named like counters (promlint: a gauge must not end
  // in _total); their per-type series nodejs_active_{handles,requests,resources}{type} stay.
  for (const misnamed of MISNAMED_DEFAULTS) registry.removeSingleMetric(misnamed)
  const httpRequests = new Counter({
    name: 'linli_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const httpDuration = new Histogram({
    name: 'linli_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  /** The channels whose health the gauge reports (set by main.ts once the sender exists). */
  let channelSource: (() => readonly ChannelSource[]) | undefined
  const gauges = {
    channelSends: new Counter({
      name: 'linli_channel_sends_total',
      help: 'Sends through each channel: outcome sent or failed, with the ChannelError kind',
      labelNames: ['channel', 'outcome', 'kind'] as const,
      registers: [registry],
    }),
    channelHealth: new Gauge({
      name: 'linli_channel_health',
      help: 'Channel health as the sender sees it, per bot account for Wechaty: 1 up, 0.5 degraded, 0 down',
      labelNames: ['channel', 'account'] as const,
      registers: [registry],
      collect() {
        for (const c of channelSource?.() ?? [])
          this.set({ channel: c.channel, account: c.account }, HEALTH_VALUE[c.health().state])
      },
    }),
    outboxDepth: new Gauge({
      name: 'linli_outbox_queued',
      help: 'Outbox messages waiting to be sent',
      registers: [registry],
    }),
    outboxSendAttempts: new Counter({
      name: 'linli_outbox_send_attempts_total',
      help: 'Outbox delivery attempts by outcome: sent, retry (will be tried again), failed, undeliverable',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'linli_job_runs_total',
      help: 'Scheduled job runs',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    kbLlmAnswers: new Counter({
      name: 'linli_kb_llm_answers_total',
      help: 'Knowledge base LLM answers by outcome (grounded, ungrounded, cannot, invalid, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    openCases: new Gauge({ name: 'linli_cases_open', help: 'Open cases', registers: [registry] }),
    overdueCases: new Gauge({
      name: 'linli_cases_overdue',
      help: 'Open cases past their resolution deadline',
      registers: [registry],
    }),
  }

  /** Counts and times every request under its route pattern (not the raw URL, to bound labels). */
  async function middleware(ctx: Context, next: Next): Promise<void> {
    const end = httpDuration.startTimer()
    try {
      await next()
    } finally {
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched'
      end({ method: ctx.method, route: String(route) })
      httpRequests.inc({ method: ctx.method, route: String(route), status: String(ctx.status) })
    }
  }

  /** `/metrics`, for admins (API key or token); scrapers use an admin API key. */
  function routes(): Router {
    const router = new Router()
    router.get('/metrics', async (ctx) => {
      requireRole(ctx, 'admin')
      ctx.type = registry.contentType
      ctx.body = await registry.metrics()
    })
    return router
  }

  /** Reports these channels' health in `linli_channel_health` at each scrape. */
  function watchChannels(source: () => readonly ChannelSource[]): void {
    channelSource = source
  }

  return { registry, middleware, routes, gauges, watchChannels }
}

export type Metrics = ReturnType<typeof createMetrics>
