import { Types } from 'mongoose'
import { NoticeModel } from '../models/notice.model.js'
import { GridModel, HouseholdModel, ResidentModel } from '../models/registry.model.js'
import type { AckPerson } from '../services/notices/notice.service.js'
import { createNoticeService, type NoticeService } from '../services/notices/notice.service.js'
import { type JobDeps, runnerOptions } from './deps.js'
import { type JobRunResult, runJob } from './runner.js'

/** The notice service as a job sees it: the clock stands at the job's `now`. */
export function noticeServiceFor(deps: JobDeps, now: Date): NoticeService {
  const { timezone, notices } = deps.config
  return createNoticeService({
    clock: { now: () => now },
    outbox: deps.outbox,
    settings: {
      timezone,
      confirmAboveRooms: notices.confirmAboveRooms,
      confirmAbovePersons: notices.confirmAbovePersons,
    },
  })
}

/** Every minute: sends scheduled notices whose time has come, and finishes sends cut short by a crash. */
export function scheduledNoticesJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('scheduled-notices', runnerOptions(deps), now, async (ctx) => {
    const notices = noticeServiceFor(deps, now)
    const count = await notices.sendDue(now, async (_id, deliver) => ctx.count('enqueued', await deliver()))
    ctx.count('notices', count)
  })
}

interface Follower {
  personId: string
  residents: Array<AckPerson & { address: string }>
}

/** Who visits each vulnerable resident: the household's linked party member, else the grid worker. */
async function followersOf(
  pending: AckPerson[],
  householdOf: Map<string, string | undefined>,
): Promise<Map<string, Follower>> {
  const householdIds = [...new Set([...householdOf.values()].filter((h): h is string => Boolean(h)))]
  const households = await HouseholdModel.find({
    _id: { $in: householdIds.map((h) => new Types.ObjectId(h)) },
  }).lean()
  const byHousehold = new Map(households.map((h) => [String(h._id), h]))
  const gridIds = [...new Set(pending.map((p) => p.gridId).filter((g): g is string => Boolean(g)))]
  const grids = await GridModel.find(
    { _id: { $in: gridIds.map((g) => new Types.ObjectId(g)) } },
    { primaryWorkerId: 1 },
  ).lean()
  const workerOf = new Map(
    grids.map((g) => [String(g._id), g.primaryWorkerId ? String(g.primaryWorkerId) : undefined]),
  )
  const out = new Map<string, Follower>()
  for (const p of pending) {
    const h = byHousehold.get(householdOf.get(p.personId) ?? '')
    const followerId = h?.partyMemberId ? String(h.partyMemberId) : workerOf.get(p.gridId ?? '')
    if (!followerId) continue
    const address = h ? `${h.building}号楼${h.unit ? `${h.unit}单元` : ''}${h.room}` : ''
    const entry = out.get(followerId) ?? { personId: followerId, residents: [] }
    entry.residents.push({ ...p, address })
    out.set(followerId, entry)
  }
  return out
}

/**
 * Every 15 minutes: for notices that asked for 收到, vulnerable residents (独居老人 …) who have not
 * replied after `notices.ackFollowUpHours` are named to their linked party member or grid worker,
 * once per notice and follower, for a visit or a call.
 */
export function noticeAckFollowUpJob(deps: JobDeps, now: Date): Promise<JobRunResult> {
  return runJob('notice-ack-follow-up', runnerOptions(deps), now, async (ctx) => {
    const { ackFollowUpHours, vulnerableTags } = deps.config.notices
    const cutoff = new Date(now.getTime() - ackFollowUpHours * 3600_000)
    const oldest = new Date(cutoff.getTime() - 3 * 24 * 3600_000)
    const due = await NoticeModel.find({
      requireAck: true,
      status: 'sent',
      sentAt: { $lte: cutoff, $gte: oldest },
    }).lean()
    const notices = noticeServiceFor(deps, now)
    for (const n of due) {
      const report = await notices.acks(String(n._id))
      const pending = report.pending.filter((p) => p.tags.some((t) => vulnerableTags.includes(t)))
      ctx.count('vulnerablePending', pending.length)
      if (pending.length === 0) continue
      const householdOf = await householdsOf(pending.map((p) => p.personId))
      for (const f of (await followersOf(pending, householdOf)).values()) {
        const key = `notice:${n._id}:ack-follow-up:${f.personId}`
        await ctx.once(key, () =>
          deps.outbox.enqueue({
            key,
            to: { type: 'person', id: f.personId },
            text: followUpText(n.title, f),
            kind: 'follow_up',
            refs: { noticeId: String(n._id) },
          }),
        )
      }
    }
  })
}

async function householdsOf(personIds: string[]): Promise<Map<string, string | undefined>> {
  const docs = await ResidentModel.find(
    { _id: { $in: personIds.map((p) => new Types.ObjectId(p)) } },
    { householdId: 1 },
  ).lean()
  return new Map(docs.map((d) => [String(d._id), d.householdId ? String(d.householdId) : undefined]))
}

function followUpText(title: string, f: Follower): string {
  const lines = f.residents.map((r) => `· ${r.name}（${r.tags.join('、')}）${r.address}`)
  return `【请上门确认】通知“${title}”发出后，以下居民还没有回复收到，请您电话或上门确认他们已知晓、是否需要帮助：\n${lines.join('\n')}`
}
