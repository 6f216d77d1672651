import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/lib/clock.js'
import { loadConfig } from '../../src/lib/config.js'
import { CaseModel } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { EventModel, EventSignupModel } from '../../src/models/event.model.js'
import { JobRunModel, JobSentModel } from '../../src/models/job.model.js'
import { NoticeModel } from '../../src/models/notice.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { CommunityModel, ResidentModel } from '../../src/models/registry.model.js'
import { createEventService } from '../../src/services/events/event.service.js'
import { createNoticeService } from '../../src/services/notices/notice.service.js'
import { createOutbox } from '../../src/services/outbox/outbox.service.js'
import { useTestDatabase } from '../db.js'
import {
  type FaultChild,
  outboxStates,
  request,
  residentReports,
  startFaultChild,
  stopChild,
  until,
} from './fault-world.js'

const JOB_KINDS = ['reminder', 'escalation', 'warning', 'notice']
const config = loadConfig({})

/** An event starting in 30 minutes (its one-hour reminder is due), a due scheduled notice. */
async function dueFixtures(): Promise<{ eventId: string; noticeId: string; signedUp: number }> {
  const community = await CommunityModel.findOne({ code: 'KH' }).lean()
  const staff = await ResidentModel.find({ roles: 'community_staff' }).lean()
  if (!community || staff.length === 0) throw new Error('the demo community is not seeded')
  const actor = {
    personId: String(staff[0]?._id),
    roles: ['community_staff' as const],
    communityIds: [String(community._id)],
    gridIds: [],
  }
  const clock = systemClock
  const outbox = createOutbox({ clock })
  const events = createEventService({
    clock,
    outbox,
    settings: { timezone: config.timezone, reminderOffsetsMinutes: config.events.reminderOffsetsMinutes },
  })
  const now = Date.now()
  const event = await events.create(
    {
      communityId: String(community._id),
      title: '消防演练',
      place: '社区广场',
      startsAt: new Date(now + 30 * 60_000),
      endsAt: new Date(now + 90 * 60_000),
    },
    actor,
  )
  const workers = await ResidentModel.find({ roles: 'grid_worker', 'wechat.contactId': { $exists: true } })
    .limit(4)
    .lean()
  for (const w of workers) await events.signUp(event.id, String(w._id))
  const notices = createNoticeService({
    clock,
    outbox,
    settings: {
      timezone: config.timezone,
      confirmAboveRooms: config.notices.confirmAboveRooms,
      confirmAbovePersons: config.notices.confirmAbovePersons,
    },
  })
  const notice = await notices.create(
    { communityId: String(community._id), title: '停水通知', body: '明天上午9点到12点停水，请提前储水。' },
    actor,
  )
  await notices.send(notice.id, { at: new Date(now + 1000) }, actor)
  return { eventId: event.id, noticeId: notice.id, signedUp: workers.length }
}

describe('two service processes with the jobs on, sharing one database', () => {
  void [EventModel, EventSignupModel, JobRunModel, JobSentModel, NoticeModel, CaseModel, ChatMessageModel]
  const db = useTestDatabase()
  const children: FaultChild[] = []
  afterEach(async () => {
    for (const c of children) await stopChild(c)
  })

  it('sends each reminder, escalation and notice once, whichever process runs the job', async () => {
    const t0 = Date.now()
    const a = await startFaultChild(db.uri(), { jobs: { enabled: true } })
    children.push(a)
    const b = await startFaultChild(db.uri(), { jobs: { enabled: true } })
    children.push(b)
    // Three cases reported in the group, then made overdue (their response deadline passed an hour ago).
    const reports = residentReports(3, 'sla')
    await request(`${a.control}/burst`, {
      body: { roomId: a.rooms[0], from: ['sla-1', 'sla-2', 'sla-3'], texts: reports, perSecond: 10 },
    })
    await until(async () => (await CaseModel.countDocuments({})) >= 3, 120_000, 'three cases opened')
    await until(
      async () => (await ChatMessageModel.countDocuments({ direction: 'in', status: 'processed' })) === 3,
      120_000,
      'the reports handled',
    )
    const past = Date.now() - 5 * 3600_000
    for (const c of await CaseModel.find({}).lean()) {
      await CaseModel.updateOne(
        { _id: c._id },
        {
          $set: {
            createdAt: new Date(past),
            'deadlines.respondBy': new Date(Date.now() - 3600_000),
            'deadlines.resolveBy': new Date(Date.now() + 24 * 3600_000),
          },
          $unset: { respondedAt: 1 },
        },
      )
    }
    const fixtures = await dueFixtures()
    await new Promise((r) => setTimeout(r, 1500)) // the scheduled notice falls due

    // Both processes run every job at the same moments, several times (as two crons would).
    for (let round = 0; round < 4; round += 1) {
      const ticks = await Promise.all([
        request(`${a.control}/tick`, { method: 'POST' }),
        request(`${b.control}/tick`, { method: 'POST' }),
      ])
      for (const t of ticks) expect(t.status, JSON.stringify(t.body)).toBe(200)
    }
    await until(
      async () => {
        const o = await outboxStates()
        return !o.queued && !o.sending
      },
      180_000,
      'the job messages to be sent',
      outboxStates,
    )
    const runs = await JobRunModel.find({}).lean()
    console.info(
      `[two-processes] ${Date.now() - t0} ms; job runs ${runs.length} (skipped ${runs.filter((r) => r.outcome === 'skipped').length}); outbox ${JSON.stringify(await outboxStates())}`,
    )

    const jobRows = await OutboxModel.find({ kind: { $in: JOB_KINDS } }).lean()
    const byKind = (kind: string) => jobRows.filter((r) => r.kind === kind)
    // Each exists: the event's reminders (signed-up people and groups), escalations, the notice.
    expect(
      byKind('reminder').filter((r) => r.refs?.eventId === fixtures.eventId).length,
    ).toBeGreaterThanOrEqual(fixtures.signedUp)
    const escalated = new Set(byKind('escalation').map((r) => r.refs?.caseId))
    expect(escalated.size).toBe(3)
    expect(jobRows.filter((r) => r.refs?.noticeId === fixtures.noticeId).length).toBeGreaterThan(0)
    // … and once: no two queued messages say the same thing to the same recipient.
    const logical = jobRows.map((r) => `${r.to?.type}:${r.to?.id}:${r.text}`)
    expect(logical.length - new Set(logical).size).toBe(0)
    // Delivered once, by one of the two processes: the two mock worlds together saw each sent text
    // exactly once per recipient.
    const delivered = [
      ...((await request(`${a.control}/delivered`)).body as Array<{ to: string; text: string }>),
      ...((await request(`${b.control}/delivered`)).body as Array<{ to: string; text: string }>),
    ]
    const sentRows = jobRows.filter((r) => r.status === 'sent')
    expect(sentRows.length).toBeGreaterThan(0)
    for (const r of sentRows) {
      const seen = delivered.filter((d) => d.text === r.text && (r.to?.type !== 'room' || d.to === r.to.id))
      const sameText = sentRows.filter(
        (s) => s.text === r.text && (r.to?.type !== 'room' || s.to?.id === r.to?.id),
      )
      expect(seen.length, r.key).toBe(sameText.length)
    }
  }, 600_000)
})
