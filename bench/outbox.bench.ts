import type { Config } from '../src/lib/config.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Services } from '../src/main.js'
import { createConversations } from '../src/services/conversations/conversation.service.js'
import { createMemoryTransport } from '../src/services/outbox/memory-transport.js'
import { createOutboxSender } from '../src/services/outbox/outbox.sender.js'
import { type Metric, percentile, round, sleep, waitFor } from './measure.js'

export interface OutboxBenchOptions {
  /** Recipients of the notice going out (one group message each). */
  recipients: number
  /** How long replies are queued while it goes out (and on an empty queue, for the baseline). */
  seconds: number
  /** How much faster than configured the sender runs, so the run stays short. */
  scale: number
}

/** The bench's own account, so the service's sender (account `default`) does not take its messages. */
const ACCOUNT = 'bench-outbox'

/**
 * Reply latency while a broadcast goes out: `recipients` notice messages queued at once, drained by
 * the real sender (lanes, pacer, lease, database) into an in-memory transport, with the configured
 * pace, jitter and idle look all made `scale` times faster; for `seconds` meanwhile, conversation
 * replies are queued at random moments (one per three reply spacings on average) and timed from enqueue to
 * delivery. Baseline: the same on an empty queue, same sender, same scale. Latencies are reported as
 * measured and as what they stand for at the configured pace (× scale; the database's own time does
 * not scale, so that figure overstates it). The sender stops after the replies; what is left of the
 * broadcast stays queued (the benchmark database is dropped).
 */
export async function benchOutbox(
  services: Services,
  config: Config,
  o: OutboxBenchOptions,
): Promise<Metric[]> {
  const limits = {
    ...config.outbox,
    perMinute: config.outbox.perMinute * o.scale,
    jitterMs: config.outbox.jitterMs / o.scale,
    dailyBudget: Math.max(config.outbox.dailyBudget, 10 * o.recipients),
  }
  const replyGapMs = 60_000 / limits.perMinute
  const transport = createMemoryTransport({ latencyMs: 1 })
  const rooms = Array.from({ length: o.recipients }, (_, i) =>
    transport.addRoom(`bench-notice-${i}@chatroom`),
  )
  const residentRoom = transport.addRoom('bench-resident@chatroom')
  const deliveredAt = new Map<string, number>()
  transport.onDeliver((d) => deliveredAt.set(d.text, performance.now()))
  const sender = createOutboxSender({
    limits,
    timezone: config.timezone,
    logger: silentLogger,
    transport,
    outbox: services.outbox,
    conversations: createConversations({ clock: services.clock }),
    account: ACCOUNT,
    idleMs: 1000 / o.scale,
  })
  const run = `${Date.now().toString(36)}`

  /** Queues replies at random moments for `seconds`; their latencies in ms. */
  async function replies(tag: string): Promise<number[]> {
    const queuedAt = new Map<string, number>()
    const until = performance.now() + o.seconds * 1000
    for (let i = 0; performance.now() < until; i++) {
      await sleep(Math.random() * 6 * replyGapMs)
      const text = `回复 ${tag} ${i}`
      queuedAt.set(text, performance.now())
      await services.outbox.enqueue({
        key: `bench-reply:${run}:${tag}:${i}`,
        to: { type: 'room', id: residentRoom },
        text,
        kind: 'reply',
        account: ACCOUNT,
      })
    }
    await waitFor(async () => [...queuedAt.keys()].every((t) => deliveredAt.has(t)), 60_000, 20)
    return [...queuedAt].map(([t, at]) => (deliveredAt.get(t) ?? Number.NaN) - at)
  }

  await sender.start()
  const baseline = await replies('idle')
  // The notice to every recipient, queued at once, then the replies while it goes out.
  const noticeAt = performance.now()
  await services.outbox.enqueueMany(
    rooms.map((id, i) => ({
      key: `bench-notice:${run}:${i}`,
      to: { type: 'room' as const, id },
      text: `停水通知 ${i}`,
      kind: 'notice',
      account: ACCOUNT,
    })),
  )
  const enqueueMs = performance.now() - noticeAt
  const notices = () => transport.delivered.filter((d) => d.text.startsWith('停水通知')).length
  await waitFor(async () => notices() >= 3, 60_000, 10)
  const before = notices()
  const during = await replies('busy')
  const noticesDuring = notices() - before
  await sender.stop()

  const ms = (v: number) => round(v)
  const real = (v: number) => round((v * o.scale) / 1000)
  const p = (xs: number[], q: number) => percentile(xs, q)
  const bulkPerMinute = Math.floor(
    (limits.perMinute * Math.min(limits.bulkPercent, 100 - limits.replyReservePercent)) / 100,
  )
  const pace = `pace ×${o.scale}: replies ${round(replyGapMs)} ms apart, the notice ${round(60_000 / bulkPerMinute)} ms apart, jitter ≤${round(limits.jitterMs)} ms, idle look ${round(1000 / o.scale)} ms`
  return [
    {
      metric: 'outbox_reply_p50_ms',
      value: ms(p(during, 50)),
      unit: 'ms',
      note: `${during.length} replies queued over ${o.seconds} s while a ${o.recipients}-recipient notice goes out (${pace}); ≈ ${real(p(during, 50))} s at the configured pace; baseline on an empty queue ${ms(p(baseline, 50))} ms (${baseline.length} replies)`,
    },
    {
      metric: 'outbox_reply_p95_ms',
      value: ms(p(during, 95)),
      unit: 'ms',
      note: `≈ ${real(p(during, 95))} s at the configured pace; max ${ms(Math.max(...during))} ms; baseline on an empty queue ${ms(p(baseline, 95))} ms (≈ ${real(p(baseline, 95))} s)`,
    },
    {
      metric: 'outbox_notice_rate',
      value: round((noticesDuring * 60_000) / (o.seconds * 1000) / o.scale),
      unit: '/min',
      note: `notices sent meanwhile, at the configured pace's time (${noticesDuring} in ${o.seconds} s ×${o.scale}; the broadcast's share is ${round(bulkPerMinute / o.scale)}/min); enqueue of ${o.recipients}: ${ms(enqueueMs)} ms`,
    },
  ]
}
