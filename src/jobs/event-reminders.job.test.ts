import { describe, expect, it } from 'vitest'
import { bindRoom, makeCommunity, makePerson, staffActor } from '../../test/community-fixtures.js'
import { useTestDatabase } from '../../test/db.js'
import { fixedClock } from '../lib/clock.js'
import { loadConfig } from '../lib/config.js'
import { EventModel, EventSignupModel } from '../models/event.model.js'
import { JobRunModel, JobSentModel } from '../models/job.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { ResidentModel } from '../models/registry.model.js'
import { RoomBindingModel } from '../models/room-binding.model.js'
import { createEventService } from '../services/events/event.service.js'
import { createOutbox, type Outbox, type OutboxInput } from '../services/outbox/outbox.service.js'
import type { JobDeps } from './deps.js'
import { eventRemindersJob } from './event-reminders.job.js'

const config = loadConfig({ LINLI_ENV: 'test' })
const CREATED = new Date('2026-11-20T02:00:00Z')

/** An outbox that records every enqueue call and can "crash" after n of them. */
function recordingOutbox(calls: string[], crashAfter?: number): Outbox {
  const real = createOutbox({ clock: fixedClock(CREATED) })
  return {
    enqueue: async (m: OutboxInput) => {
      if (crashAfter !== undefined && calls.length >= crashAfter) throw new Error('process killed')
      calls.push(m.key)
      return real.enqueue(m)
    },
    enqueueMany: (ms) => real.enqueueMany(ms),
  }
}

const deps = (outbox: Outbox): JobDeps => ({ config, outbox })

async function setup(startsAt: string) {
  const clock = fixedClock(CREATED)
  const events = createEventService({
    clock,
    outbox: createOutbox({ clock }),
    settings: { timezone: config.timezone, reminderOffsetsMinutes: config.events.reminderOffsetsMinutes },
  })
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const staffer = await makePerson({ name: '王主任', communityId: community._id, roles: ['community_staff'] })
  const actor = staffActor(staffer, ['community_staff'], [community._id])
  const people = await Promise.all(
    ['李一', '李二', '李三'].map((name) => makePerson({ name, communityId: community._id, gridId: g1._id })),
  )
  await bindRoom({ roomId: 'room-kc01', communityId: community._id, gridId: g1._id, code: 'KC-01' })
  await bindRoom({ roomId: 'room-kc', communityId: community._id })
  const end = new Date(new Date(startsAt.includes('+') ? startsAt : `${startsAt}+08:00`).getTime() + 3600_000)
  const event = await events.create(
    { communityId: String(community._id), title: '跨年守岁', place: '文化广场', startsAt, endsAt: end },
    actor,
  )
  for (const p of people) await events.signUp(event.id, String(p._id))
  await events.setReminders(String(people[2]?._id), false)
  return { event, people }
}

const at = (iso: string) => new Date(iso)

describe('event reminders job', () => {
  void [EventModel, EventSignupModel, JobRunModel, JobSentModel, OutboxModel, ResidentModel, RoomBindingModel]
  useTestDatabase()

  it('an event at 00:30 on the 1st (Shanghai) is reminded at 00:30 the day before and at 23:30', async () => {
    const { event, people } = await setup('2026-12-01 00:30')
    expect(event.startsAt.toISOString()).toBe('2026-11-30T16:30:00.000Z')
    const calls: string[] = []
    const outbox = recordingOutbox(calls)
    await eventRemindersJob(deps(outbox), at('2026-11-29T16:25:00Z')) // 00:25 on the 30th: too early
    expect(calls).toHaveLength(0)
    const run = await eventRemindersJob(deps(outbox), at('2026-11-29T16:30:00Z')) // 00:30 on the 30th
    expect(run.outcome).toBe('ok')
    const first = await OutboxModel.find({ key: /:remind:1440:/ }).lean()
    // two of three residents (one opted out) and both bound groups
    expect(first.map((m) => m.to?.id).sort()).toEqual(
      [String(people[0]?._id), String(people[1]?._id), 'room-kc', 'room-kc01'].sort(),
    )
    expect(first.find((m) => m.to?.type === 'person')?.text).toContain('明天开始：12月1日（周二）00:30')
    await eventRemindersJob(deps(outbox), at('2026-11-29T16:35:00Z'))
    await eventRemindersJob(deps(outbox), at('2026-11-30T15:25:00Z'))
    expect(calls).toHaveLength(4)
    await eventRemindersJob(deps(outbox), at('2026-11-30T15:30:00Z')) // 23:30 on the 30th
    expect(await OutboxModel.countDocuments({ key: /:remind:60:/ })).toBe(4)
    await eventRemindersJob(deps(outbox), at('2026-11-30T16:31:00Z')) // started: nothing more
    expect(calls).toHaveLength(8)
  })

  it('a time given in another zone is kept as that instant', async () => {
    await setup('2026-12-01T00:30+09:00') // Tokyo: 23:30 in Shanghai on the 30th
    const outbox = recordingOutbox([])
    await eventRemindersJob(deps(outbox), at('2026-11-29T15:29:00Z'))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    await eventRemindersJob(deps(outbox), at('2026-11-29T15:30:00Z'))
    const sent = await OutboxModel.findOne({ 'to.type': 'person' }).lean()
    expect(sent?.text).toContain('11月30日（周一）23:30')
  })

  it('created late: only the nearest reminder is sent, never a stale "tomorrow"', async () => {
    await setup('2026-11-20 12:00') // 04:00Z, two hours after creation
    const outbox = recordingOutbox([])
    await eventRemindersJob(deps(outbox), at('2026-11-20T02:05:00Z'))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    await eventRemindersJob(deps(outbox), at('2026-11-20T03:00:00Z'))
    expect(await OutboxModel.countDocuments({ key: /:remind:1440:/ })).toBe(0)
    expect(await OutboxModel.countDocuments({ key: /:remind:60:/ })).toBe(4)
  })

  it('two processes with their own dependencies running at once never double-send', async () => {
    await setup('2026-12-01 00:30')
    const callsA: string[] = []
    const callsB: string[] = []
    const now = at('2026-11-29T16:30:00Z')
    const [a, b] = await Promise.all([
      eventRemindersJob({ config: loadConfig({ LINLI_ENV: 'test' }), outbox: recordingOutbox(callsA) }, now),
      eventRemindersJob({ config: loadConfig({ LINLI_ENV: 'test' }), outbox: recordingOutbox(callsB) }, now),
    ])
    expect([a.outcome, b.outcome].sort()).toEqual(['ok', 'skipped'])
    // the lease has expired for the late process (a minute later), and it finds everything done
    await eventRemindersJob(deps(recordingOutbox(callsB)), at('2026-11-29T16:31:00Z'))
    expect(callsA.length + callsB.length).toBe(4)
    expect(await OutboxModel.countDocuments({})).toBe(4)
  })

  it('a run killed after two sends is resumed by another process, which sends the other two once', async () => {
    await setup('2026-12-01 00:30')
    const calls: string[] = []
    const killed = await eventRemindersJob(deps(recordingOutbox(calls, 2)), at('2026-11-29T16:30:00Z'))
    expect(killed.outcome).toBe('failed')
    expect(await OutboxModel.countDocuments({})).toBe(2)
    const resumed = await eventRemindersJob(deps(recordingOutbox(calls)), at('2026-11-29T16:35:00Z'))
    expect(resumed.outcome).toBe('ok')
    expect(resumed.counts).toMatchObject({ done: 2, alreadyDone: 2 })
    expect(calls).toHaveLength(4)
    expect(new Set(calls).size).toBe(4)
    expect(await OutboxModel.countDocuments({})).toBe(4)
    const runs = await JobRunModel.find({ name: 'event-reminders' }).sort({ startedAt: 1 }).lean()
    expect(runs.map((r) => r.outcome)).toEqual(['failed', 'ok'])
  })
})
