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
  /** Replies queued while it goes out (and again on an empty queue, for the baseline). */
  replies: number
  /** How much faster than configured the sender runs, so the run stays short. */
  scale: number
}

/** The bench's own account, so the service's sender (account `default`) does not take its messages. */
const ACCOUNT = 'bench-outbox'

/**
 * Reply latency while a broadcast goes out: `recipients` notice messages queued at once, drained by
 * the real sender (lanes, pacer, lease, database) into an in-memory transport, with the configured
 * pace, jitter and idle look all made `scale` times faster; meanwhile `replies` conversation replies
 * are queued at random moments and timed from enqueue to delivery. Baseline: the same replies into
 * an empty queue, same sender, same scale. Latencies are reported as measured (scaled) and as what
 * they stand for at the configured pace (× scale; the database's own time does not scale, so that
 * figure overstates it).
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
    dailyBudget: Math.max(config.outbox.dailyBudget, 10 * (o.recipients + 2 * o.replies)),
  }
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

  /** Queues the replies at random moments (mean gap `meanGapMs`); their latencies in ms. */
  async function replies(tag: string, meanGapMs: number, count: number): Promise<number[]> {
    const queuedAt = new Map<string, number>()
    for (let i = 0; i < count; i++) {
      await sleep(Math.random() * 2 * meanGapMs)
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
    await waitFor(async () => [...queuedAt.keys()].every((t) => deliveredAt.has(t)), 30_000, 20)
    return [...queuedAt].map(([t, at]) => (deliveredAt.get(t) ?? Number.NaN) - at)
  }

  await sender.start()
  // Baseline: an idle sender, the same replies.
  const baseline = await replies('idle', 100, o.replies)
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
  await waitFor(async () => notices() >= 20, 30_000, 10)
  const during = await replies('busy', 100, o.replies)
  const noticesWhenRepliesDone = notices()
  const drained = await waitFor(async () => notices() >= o.recipients, 120_000, 50)
  const drainMs = performance.now() - noticeAt
  await sender.stop()

  const ms = (v: number) => round(v)
  const real = (v: number) => round((v * o.scale) / 1000)
  const p = (xs: number[], q: number) => percentile(xs, q)
  const bulkPerMinute = Math.floor(
    (limits.perMinute * Math.min(limits.bulkPercent, 100 - limits.replyReservePercent)) / 100,
  )
  const paceNote = `pace ×${o.scale}: ${limits.perMinute}/min, broadcasts ${bulkPerMinute}/min, jitter ≤${round(limits.jitterMs)} ms`
  return [
    {
      metric: 'outbox_reply_p50_ms',
      value: ms(p(during, 50)),
      unit: 'ms',
      note: `${o.replies} replies while a ${o.recipients}-recipient notice goes out (${paceNote}); ≈ ${real(p(during, 50))} s at the configured pace; baseline on an empty queue ${ms(p(baseline, 50))} ms`,
    },
    {
      metric: 'outbox_reply_p95_ms',
      value: ms(p(during, 95)),
      unit: 'ms',
      note: `≈ ${real(p(during, 95))} s at the configured pace; baseline on an empty queue ${ms(p(baseline, 95))} ms (≈ ${real(p(baseline, 95))} s); max ${ms(Math.max(...during))} ms`,
    },
    {
      metric: 'outbox_broadcast_drain_s',
      value: round(drainMs / 1000),
      unit: 's',
      note: `${notices()} of ${o.recipients} notices sent${drained ? '' : ' (not all: timed out)'}, ${noticesWhenRepliesDone} when the last reply went; enqueue ${ms(enqueueMs)} ms; the configured pace would take ${round((o.recipients / bulkPerMinute) * o.scale)} min`,
    },
  ]
}
