import { describe, expect, it } from 'vitest'
import { makeCommunity, makePerson } from '../../test/community-fixtures.js'
import { useTestDatabase } from '../../test/db.js'
import { fixedClock } from '../lib/clock.js'
import { loadConfig } from '../lib/config.js'
import { CaseModel } from '../models/case.model.js'
import { JobRunModel, JobSentModel } from '../models/job.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { DepartmentModel, GridModel, ResidentModel } from '../models/registry.model.js'
import { createOutbox } from '../services/outbox/outbox.service.js'
import type { JobDeps } from './deps.js'
import { slaWatchJob, slaWatchUrgentJob } from './sla-watch.job.js'

const config = loadConfig({ LINLI_ENV: 'test' })
const T0 = new Date('2026-11-28T00:00:00Z')
const H = 3600_000
const at = (ms: number) => new Date(T0.getTime() + ms)
const deps = (): JobDeps => ({ config, outbox: createOutbox({ clock: fixedClock(T0) }) })

async function world() {
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const worker = await makePerson({
    name: '网格员',
    communityId: community._id,
    roles: ['grid_worker'],
    staff: { gridIds: [g1._id] },
  })
  await GridModel.updateOne({ _id: g1._id }, { $set: { primaryWorkerId: worker._id } })
  const staffA = await makePerson({
    name: '社区甲',
    communityId: community._id,
    roles: ['community_staff'],
    staff: { communityIds: [community._id] },
  })
  const staffB = await makePerson({
    name: '社区乙',
    communityId: community._id,
    roles: ['community_staff'],
    staff: { communityIds: [community._id] },
  })
  const street = await makePerson({
    name: '街道丙',
    communityId: community._id,
    roles: ['street_staff'],
    staff: { communityIds: [community._id] },
  })
  const handler = await makePerson({
    name: '物业丁',
    communityId: community._id,
    roles: ['department_staff'],
  })
  const dept = await DepartmentModel.create({ code: 'wy', name: '物业公司', contactIds: [handler._id] })
  let seq = 0
  const makeCase = (fields: Record<string, unknown>) =>
    CaseModel.create({
      number: `261128-${String(++seq).padStart(4, '0')}`,
      sourceKey: `test:${seq}`,
      channel: 'group',
      category: 'facility_repair',
      description: '3号楼楼道灯坏了，联系电话13812345678',
      status: 'assigned',
      location: { communityId: community._id, gridId: g1._id },
      createdAt: T0,
      updatedAt: T0,
      ...fields,
    })
  return { community, worker, staffA, staffB, street, handler, dept, makeCase }
}

const recipients = async (filter: Record<string, unknown>) =>
  (await OutboxModel.find(filter).sort({ _id: 1 }).lean()).map((m) => m.to?.id)

describe('SLA watch job', () => {
  void [CaseModel, JobRunModel, JobSentModel, OutboxModel, DepartmentModel, GridModel, ResidentModel]
  useTestDatabase()

  it('warns the assignee at 75% once, then escalates grid worker → community staff → street staff', async () => {
    const w = await world()
    await w.makeCase({
      assigneeId: w.handler._id,
      departmentId: w.dept._id,
      status: 'in_progress',
      respondedAt: at(H),
      deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) },
    })
    await slaWatchJob(deps(), at(30 * H))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    await slaWatchJob(deps(), at(36 * H))
    await slaWatchJob(deps(), at(37 * H))
    const warnings = await OutboxModel.find({ kind: 'warning' }).lean()
    expect(warnings.map((m) => m.to?.id)).toEqual([String(w.handler._id)])
    expect(warnings[0]?.text).toContain('距办结时限还有12小时')
    expect(warnings[0]?.text).toContain('138****5678')

    await slaWatchJob(deps(), at(48 * H + 60_000))
    expect(await recipients({ kind: 'escalation' })).toEqual([String(w.worker._id)])
    await slaWatchJob(deps(), at(52 * H + 60_000))
    expect(await recipients({ kind: 'escalation' })).toEqual([
      String(w.worker._id),
      String(w.staffA._id),
      String(w.staffB._id),
    ])
    await slaWatchJob(deps(), at(56 * H + 60_000))
    await slaWatchJob(deps(), at(60 * H + 60_000))
    expect(await recipients({ kind: 'escalation' })).toEqual([
      String(w.worker._id),
      String(w.staffA._id),
      String(w.staffB._id),
      String(w.street._id),
    ])
  })

  it('a case held by the grid worker escalates to community staff first', async () => {
    const w = await world()
    await w.makeCase({ assigneeId: w.worker._id, deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) } })
    await slaWatchJob(deps(), at(2 * H + 60_000))
    const first = await OutboxModel.find({ kind: 'escalation' }).lean()
    expect(first.map((m) => m.to?.id).sort()).toEqual([String(w.staffA._id), String(w.staffB._id)].sort())
    expect(first[0]?.text).toContain('已超过响应时限1分钟，仍未响应')
  })

  it("posts an overdue case once per deadline to its community staff group's robot feed", async () => {
    const w = await world()
    const withFeed = loadConfig(
      { LINLI_ENV: 'test' },
      {
        overrides: {
          wecom: {
            robots: { 'kc-staff': 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a' },
            robotFeeds: { 'kc-staff': { communities: [] } },
          },
        },
      },
    )
    await w.makeCase({ assigneeId: w.worker._id, deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) } })
    const run = (t: Date) =>
      slaWatchJob({ config: withFeed, outbox: createOutbox({ clock: fixedClock(t) }) }, t)
    await run(at(2 * H + 60_000))
    await run(at(6 * H + 60_000)) // the next tier is reached: the feed is not posted again
    const feed = await OutboxModel.find({ 'to.type': 'robot' }).lean()
    expect(feed.map((m) => m.to?.id)).toEqual(['kc-staff'])
    expect(feed[0]?.text).toMatch(
      /^【超时督办】工单 261128-0001（3号楼楼道灯坏了，联系电话138\*{4}5678）已超过响应时限/,
    )
    expect(feed[0]?.purpose).toBe('alert')
  })

  it('urgent cases are watched by the every-minute job, others by the ten-minute job', async () => {
    const w = await world()
    await w.makeCase({
      urgency: 'urgent',
      assigneeId: w.worker._id,
      deadlines: { respondBy: at(15 * 60_000), resolveBy: at(4 * H) },
    })
    await slaWatchJob(deps(), at(12 * 60_000))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    const run = await slaWatchUrgentJob(deps(), at(12 * 60_000))
    expect(run.counts).toMatchObject({ cases: 1, done: 1 })
    expect(await recipients({ kind: 'warning' })).toEqual([String(w.worker._id)])
    // urgent escalation steps are 30 minutes: community at the deadline, street 30 minutes later
    await slaWatchUrgentJob(deps(), at(15 * 60_000))
    await slaWatchUrgentJob(deps(), at(46 * 60_000))
    expect(await OutboxModel.countDocuments({ kind: 'escalation', 'to.id': String(w.street._id) })).toBe(1)
  })

  it('two processes watching at once send each warning once', async () => {
    const w = await world()
    for (let i = 0; i < 4; i++) {
      await w.makeCase({
        assigneeId: w.worker._id,
        deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) },
      })
    }
    const runs = await Promise.all([
      slaWatchJob(deps(), at(H + 40 * 60_000)),
      slaWatchJob(deps(), at(H + 40 * 60_000)),
    ])
    // Whether the two overlap depends on the server's speed: the second is skipped, or runs after
    // the first and finds every warning already sent. Either way each warning goes out once.
    expect(runs.map((r) => r.outcome)).toContain('ok')
    for (const r of runs) expect(['ok', 'skipped']).toContain(r.outcome)
    await slaWatchJob(deps(), at(H + 50 * 60_000))
    expect(await OutboxModel.countDocuments({ kind: 'warning' })).toBe(4)
  })

  it('reminds posted departments halfway through the claim window and hands expired ones to the case service', async () => {
    const w = await world()
    const deadline = at(30 * 60_000)
    await w.makeCase({
      status: 'posted',
      postedDepartmentIds: [w.dept._id],
      claimDeadline: deadline,
      deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) },
    })
    const calls: Date[] = []
    const withCases: JobDeps = {
      ...deps(),
      cases: {
        dispatchUnclaimed: async (now) => {
          calls.push(now)
          return 0
        },
      },
    }
    await slaWatchJob(withCases, at(10 * 60_000))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    await slaWatchJob(withCases, at(16 * 60_000))
    await slaWatchJob(withCases, at(20 * 60_000))
    const reminders = await OutboxModel.find({ key: /:unclaimed:/ }).lean()
    expect(reminders.map((m) => m.to?.id)).toEqual([String(w.handler._id)])
    expect(reminders[0]?.text).toContain('还没有部门认领')
    expect(calls).toHaveLength(3)
  })

  it('closed and resolved cases are left alone', async () => {
    const w = await world()
    await w.makeCase({
      status: 'resolved',
      assigneeId: w.worker._id,
      deadlines: { respondBy: at(2 * H), resolveBy: at(48 * H) },
    })
    await slaWatchJob(deps(), at(100 * H))
    expect(await OutboxModel.countDocuments({})).toBe(0)
  })
})
