import { describe, expect, it } from 'vitest'
import { makeCommunity, makePerson } from '../../test/community-fixtures.js'
import { useTestDatabase } from '../../test/db.js'
import { fixedClock } from '../lib/clock.js'
import { loadConfig } from '../lib/config.js'
import { silentLogger } from '../lib/logger.js'
import { SelfTestProbeModel } from '../models/bot-account.model.js'
import { CaseModel } from '../models/case.model.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { JobRunModel, JobSentModel } from '../models/job.model.js'
import { OutboxModel } from '../models/outbox.model.js'
import { CommunityModel, ResidentModel } from '../models/registry.model.js'
import { recordChannelFailure } from '../services/channels/channel-status.js'
import { createOutbox } from '../services/outbox/outbox.service.js'
import { caseFollowUpJob } from './case-follow-up.job.js'
import type { JobDeps } from './deps.js'
import { morningDigestsJob } from './digests.job.js'
import { PURGED_TEXT, retentionJob } from './retention.job.js'
import { startJobs } from './schedule.js'

const config = loadConfig({ LINLI_ENV: 'test' })
const deps = (): JobDeps => ({ config, outbox: createOutbox({ clock: fixedClock(new Date()) }) })
const H = 3600_000
let seq = 0

async function world() {
  const { community, grid } = await makeCommunity()
  const g1 = await grid(1)
  const worker = await makePerson({ name: '网格员', communityId: community._id, roles: ['grid_worker'] })
  const staff = await makePerson({
    name: '社区甲',
    communityId: community._id,
    roles: ['community_staff'],
    staff: { communityIds: [community._id] },
  })
  const reporter = await makePerson({ name: '居民', communityId: community._id, gridId: g1._id })
  const makeCase = (fields: Record<string, unknown>) => {
    seq += 1
    return CaseModel.create({
      number: `261127-${String(seq).padStart(4, '0')}`,
      sourceKey: `t:${seq}`,
      channel: 'group',
      category: 'sanitation',
      description: `楼道堆物 ${seq}`,
      status: 'assigned',
      location: { communityId: community._id, gridId: g1._id },
      ...fields,
    })
  }
  return { community, worker, staff, reporter, makeCase }
}

describe('daily jobs', () => {
  void [CaseModel, ChatMessageModel, JobRunModel, JobSentModel, OutboxModel, CommunityModel, ResidentModel]
  useTestDatabase()

  it('morning digests: open and due-today cases to the grid worker, yesterday to community staff, once', async () => {
    const w = await world()
    // Shanghai: 2026-11-28 08:05 is 00:05Z; yesterday (11-27 local) runs 11-26T16:00Z–11-27T16:00Z
    const now = new Date('2026-11-28T00:05:00Z')
    const y = (iso: string) => new Date(iso)
    await w.makeCase({
      assigneeId: w.worker._id,
      createdAt: y('2026-11-27T02:00:00Z'),
      updatedAt: y('2026-11-27T02:00:00Z'),
      deadlines: { resolveBy: y('2026-11-28T09:00:00Z') },
    })
    await w.makeCase({
      assigneeId: w.worker._id,
      createdAt: y('2026-11-27T03:00:00Z'),
      updatedAt: y('2026-11-27T03:00:00Z'),
      deadlines: { resolveBy: y('2026-11-30T09:00:00Z') },
    })
    await w.makeCase({
      status: 'resolved',
      assigneeId: w.worker._id,
      createdAt: y('2026-11-26T03:00:00Z'),
      updatedAt: y('2026-11-27T05:00:00Z'),
      resolvedAt: y('2026-11-27T05:00:00Z'),
      rating: { score: 5, at: y('2026-11-27T06:00:00Z') },
      deadlines: { resolveBy: y('2026-11-28T03:00:00Z') },
    })
    const early = await morningDigestsJob(deps(), new Date('2026-11-27T23:30:00Z')) // 07:30 local
    expect(early.counts).toEqual({ tooEarly: 1 })
    await morningDigestsJob(deps(), now)
    await morningDigestsJob(deps(), new Date(now.getTime() + 15 * 60_000))
    const digests = await OutboxModel.find({ kind: 'digest' }).lean()
    expect(digests).toHaveLength(2)
    const toWorker = digests.find((d) => d.to?.id === String(w.worker._id))
    expect(toWorker?.text).toContain('【今日待办 2026-11-28】您有 2 件未办结工单，其中今天到期 1 件')
    const toStaff = digests.find((d) => d.to?.id === String(w.staff._id))
    expect(toStaff?.text).toContain('【昨日简报 2026-11-27】KC社区：新增工单 2 件，办结 1 件')
    expect(toStaff?.text).toContain('满意率 100%')
  })

  it("a community staff group's robot feed gets its own community's morning figures, once", async () => {
    const w = await world()
    const withFeeds = loadConfig(
      { LINLI_ENV: 'test' },
      {
        overrides: {
          wecom: {
            robots: {
              'kc-staff': 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a',
              'other-staff': 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b',
            },
            robotFeeds: {
              'kc-staff': { communities: [w.community.code] },
              'other-staff': { communities: ['ZZ'] },
            },
          },
        },
      },
    )
    const now = new Date('2026-11-28T00:05:00Z')
    const run = () =>
      morningDigestsJob({ config: withFeeds, outbox: createOutbox({ clock: fixedClock(now) }) }, now)
    await run()
    await run()
    const toRobots = await OutboxModel.find({ 'to.type': 'robot' }).lean()
    expect(toRobots.map((m) => m.to?.id)).toEqual(['kc-staff'])
    expect(toRobots[0]?.text).toContain('【昨日简报 2026-11-27】KC社区')
    expect(toRobots[0]?.purpose).toBe('digest')
  })

  it('回访: one polite follow-up to the reporter after the delay, only for unrated resolved cases', async () => {
    const w = await world()
    const resolvedAt = new Date('2026-11-25T00:00:00Z')
    const base = { createdAt: resolvedAt, updatedAt: resolvedAt, resolvedAt, status: 'resolved' }
    await w.makeCase({ ...base, reporterId: w.reporter._id })
    await w.makeCase({ ...base, reporter: { contactId: 'wxid_abc' } })
    await w.makeCase({ ...base, reporterId: w.reporter._id, rating: { score: 4, at: resolvedAt } })
    const closed: Date[] = []
    const d: JobDeps = {
      ...deps(),
      cases: {
        closeStale: async (t) => {
          closed.push(t)
          return 0
        },
      },
    }
    await caseFollowUpJob(d, new Date(resolvedAt.getTime() + 47 * H))
    expect(await OutboxModel.countDocuments({})).toBe(0)
    await caseFollowUpJob(d, new Date(resolvedAt.getTime() + 48 * H))
    await caseFollowUpJob(d, new Date(resolvedAt.getTime() + 50 * H))
    const sent = await OutboxModel.find({ kind: 'follow_up' }).lean()
    expect(sent.map((m) => m.to?.type).sort()).toEqual(['contact', 'person'])
    expect(sent[0]?.text).toContain('请问您对处理结果满意吗')
    // closeStale is asked about cases resolved a full delay before the follow-up window closed
    expect(closed.at(-1)?.toISOString()).toBe(new Date(resolvedAt.getTime() + 2 * H).toISOString())
  })

  it('retention blanks old message bodies, keeps the records and reports the counts', async () => {
    const now = new Date('2026-11-28T00:00:00Z')
    const old = new Date(now.getTime() - 181 * 24 * H)
    const recent = new Date(now.getTime() - 10 * 24 * H)
    const msg = (id: string, receivedAt: Date, extra: Record<string, unknown> = {}) =>
      ChatMessageModel.create({
        direction: 'in',
        messageId: id,
        dedupeKey: `id:${id}`,
        dedupeKey2: `id2:${id}`,
        chatKey: 'room:r1',
        senderContactId: 'c1',
        text: `电话13812345678 ${id}`,
        receivedAt,
        ...extra,
      })
    await msg('m1', old, { quoted: { text: '之前的话' } })
    await msg('m2', old, { attachments: [{ kind: 'voice', path: '/v/1.silk', transcript: '我家住三楼' }] })
    await msg('m3', recent)
    await OutboxModel.create({
      key: 'o1',
      to: { type: 'room', id: 'r1' },
      text: '旧回复',
      kind: 'reply',
      status: 'sent',
      notBefore: old,
      createdAt: old,
    })
    await recordChannelFailure({ channel: 'wechaty', kind: 'unavailable' }, old, 'Asia/Shanghai')
    await recordChannelFailure({ channel: 'wechaty', kind: 'unavailable' }, recent, 'Asia/Shanghai')
    for (const [id, sentAt] of [
      ['0000000000000001', old],
      ['0000000000000002', recent],
      ['0000000000000003', now],
    ] as const) {
      await SelfTestProbeModel.create({ _id: id, account: 'default', to: 'c-watch', sentAt })
    }
    const run = await retentionJob(deps(), now)
    expect(run.counts).toMatchObject({
      messageTexts: 2,
      quotedTexts: 1,
      transcripts: 1,
      outboxTexts: 1,
      channelFailures: 1,
      selfTestProbes: 2,
    })
    expect((await SelfTestProbeModel.find().lean()).map((p) => p._id)).toEqual(['0000000000000003'])
    expect(await ChatMessageModel.countDocuments({})).toBe(3)
    const m2 = await ChatMessageModel.findOne({ messageId: 'm2' }).lean()
    expect(m2?.text).toBe('')
    expect(m2?.attachments[0]?.transcript).toBeUndefined()
    expect(m2?.attachments[0]?.path).toBe('/v/1.silk')
    expect((await ChatMessageModel.findOne({ messageId: 'm3' }).lean())?.text).toContain('m3')
    expect((await OutboxModel.findOne({ key: 'o1' }).lean())?.text).toBe(PURGED_TEXT)
    const again = await retentionJob(deps(), new Date(now.getTime() + 24 * H))
    expect(again.counts).toMatchObject({ messageTexts: 0, outboxTexts: 0 })
    const recorded = await JobRunModel.findOne({ name: 'retention' }).sort({ startedAt: 1 }).lean()
    expect(recorded?.counts).toMatchObject({ messageTexts: 2 })
  })

  it('a process started with jobs disabled schedules nothing; enabled, every job is scheduled', async () => {
    const off = loadConfig({ LINLI_ENV: 'test', LINLI_JOBS_ENABLED: 'false' })
    const none = startJobs({ config: off, outbox: createOutbox({ clock: fixedClock(new Date()) }) })
    expect(none.names).toEqual([])
    const all = startJobs({ ...deps(), logger: silentLogger })
    expect(all.names).toEqual(
      expect.arrayContaining([
        'linli:event-reminders',
        'linli:sla-watch-urgent',
        'linli:retention',
        'linli:morning-digests',
        'linli:case-indexes',
        'linli:shop-expiry',
        'linli:points-statements',
        'linli:poll-deadlines',
      ]),
    )
    expect(all.names).toHaveLength(12)
    await all.stop()
  })
})
