import { afterEach, describe, expect, it } from 'vitest'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { useTestDatabase } from '../db.js'
import {
  envInt,
  exactlyOnceReport,
  exited,
  type FaultChild,
  inboundStates,
  outboxStates,
  request,
  residentReports,
  startFaultChild,
  stopChild,
  until,
} from './fault-world.js'

const N = envInt('LINLI_FAULT_BURST', 1000)
const SENDERS = 20
/** Generous: the replay ran at about 1.5 messages a second on FerretDB (N=1000: 673 s); 1 s each plus two minutes. */
const DRAIN_MS = 120_000 + N * 1000

describe(`kill -9 in the middle of a burst of ${N} chat messages, then restart`, () => {
  const db = useTestDatabase()
  const children: FaultChild[] = []
  afterEach(async () => {
    for (const c of children) await stopChild(c)
  })

  it(
    'handles every stored message once: one case slot and one reply each, nothing sent twice',
    async () => {
      const t0 = Date.now()
      const first = await startFaultChild(db.uri())
      children.push(first)
      const from = Array.from({ length: SENDERS }, (_, i) => `fault-resident-${i + 1}`)
      await request(`${first.control}/burst`, {
        body: { roomId: first.rooms[0], from, texts: residentReports(N, 'kill'), perSecond: 200 },
      })
      // Kill while the puppet is still delivering and the bot is part-way through handling.
      await until(
        async () => {
          const b = (await request(`${first.control}/burst`)).body as { emitted: number }
          const processed = await ChatMessageModel.countDocuments({ direction: 'in', status: 'processed' })
          return b.emitted >= N / 2 && processed >= 1
        },
        120_000,
        'half the burst delivered and a message handled',
      )
      first.proc.kill('SIGKILL')
      await exited(first.proc)
      const killedAt = new Date()
      const atKill = await inboundStates()
      const sentBeforeKill = new Set(
        (await OutboxModel.find({ status: 'sent' }, { _id: 1 }).lean()).map((o) => o._id.toString()),
      )
      console.info(
        `[kill-burst] N=${N}: killed after ${Date.now() - t0} ms; stored ${JSON.stringify(atKill)}, ` +
          `replies sent ${sentBeforeKill.size}`,
      )
      expect(atKill.processed ?? 0).toBeLessThan(N) // it really was mid-burst

      const t1 = Date.now()
      const second = await startFaultChild(db.uri())
      children.push(second)
      await until(
        async () => {
          const s = await inboundStates()
          const o = await outboxStates()
          return !s.received && !s.processing && !o.queued
        },
        DRAIN_MS,
        'the stored messages to be handled and their replies sent',
        async () => ({ inbound: await inboundStates(), outbox: await outboxStates() }),
      )
      console.info(
        `[kill-burst] N=${N}: restart drained in ${Date.now() - t1} ms (total ${Date.now() - t0} ms); ` +
          `inbound ${JSON.stringify(await inboundStates())}, outbox ${JSON.stringify(await outboxStates())}`,
      )

      const report = await exactlyOnceReport({ casesExpected: true })
      if (report.caseOwners.length > 0) {
        // What the handler made of the messages that own no case (their outcome names the failure).
        const lost = await ChatMessageModel.find(
          { _id: { $in: report.caseOwners.map((c) => c.messageId) } },
          { status: 1, outcome: 1, error: 1, text: 1 },
        ).lean()
        console.info(`[kill-burst] messages without a case: ${JSON.stringify(lost)}`)
      }
      expect(report.messages).toBeGreaterThan(0)
      expect(report.unprocessed).toEqual([])
      expect(report.caseOwners).toEqual([])
      expect(report.replies).toEqual([])

      // Nothing queued is lost: every reply is sent, except at most the one in flight at the kill,
      // which stays unconfirmed (at-most-once: never deliberately repeated).
      const replies = await OutboxModel.find({ kind: 'reply' }).lean()
      const unconfirmed = replies.filter((r) => r.status !== 'sent')
      expect(unconfirmed.length).toBeLessThanOrEqual(1)
      for (const r of unconfirmed) {
        expect(['sending', 'sent_unknown']).toContain(r.status)
        expect(r.updatedAt.getTime()).toBeLessThanOrEqual(killedAt.getTime())
      }
      // Nothing is sent twice: the restarted process delivered exactly the replies it marked sent, and
      // none of those sent before the kill.
      const delivered = (await request(`${second.control}/delivered`)).body as Array<{ text: string }>
      const sentAfter = replies.filter((r) => r.status === 'sent' && !sentBeforeKill.has(r._id.toString()))
      const sentAfterAll = (await OutboxModel.find({ status: 'sent' }).lean()).filter(
        (r) => !sentBeforeKill.has(r._id.toString()),
      )
      expect(sentAfter.length).toBeGreaterThan(0)
      expect(delivered.map((d) => d.text).sort()).toEqual(sentAfterAll.map((r) => r.text).sort())
    },
    480_000 + DRAIN_MS, // two process starts (up to 180 s each on a busy machine), the burst, the drain
  )
})
