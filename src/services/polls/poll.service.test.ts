import { beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { makePollWorld, type PollWorld } from '../../../test/poll-fixtures.js'
import { pollDeadlinesJob } from '../../jobs/polls.job.js'
import { fixedClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { ChatAskModel } from '../../models/conversation-ask.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import { PollVoteModel } from '../../models/poll.model.js'
import { createAsks } from '../conversations/asks.service.js'
import { createOutbox } from '../outbox/outbox.service.js'
import { createDeliberationService } from './deliberation.service.js'
import { createPollService } from './poll.service.js'

const NOW = new Date('2026-12-07T02:00:00Z')
const config = loadConfig({ LINLI_ENV: 'test' })

describe('polls and 议事', () => {
  useTestDatabase()
  let w: PollWorld
  let clock: ReturnType<typeof fixedClock>
  let polls: ReturnType<typeof createPollService>
  let topics: ReturnType<typeof createDeliberationService>

  beforeEach(async () => {
    w = await makePollWorld()
    clock = fixedClock(NOW)
    const outbox = createOutbox({ clock, asks: createAsks({ clock }) })
    polls = createPollService({ clock, outbox, timezone: 'Asia/Shanghai' })
    topics = createDeliberationService({ clock, outbox, timezone: 'Asia/Shanghai' })
  })

  const gridPoll = (extra: Record<string, unknown> = {}) =>
    polls.create(
      {
        audience: { communityId: String(w.community._id), gridIds: [String(w.g1._id)] },
        question: '3号楼是否加装电梯？',
        options: ['同意', '不同意', '弃权'],
        deadline: '2026-12-10 18:00',
        ...extra,
      },
      w.as.staff,
    )

  it('announces a grid poll to that grid group only, with numbered options, and records the question there', async () => {
    const poll = await gridPoll()
    expect(poll.announced).toBe(1)
    const msgs = await OutboxModel.find({ key: /^poll:/ }).lean()
    expect(msgs.map((m) => m.to?.id)).toEqual([w.room1.roomId])
    expect(msgs[0]?.text).toContain('1. 同意\n2. 不同意\n3. 弃权')
    expect(msgs[0]?.text).toContain('回复「投票 序号」')
    expect(msgs[0]?.text).toContain('12月10日 18:00截止')
    const asked = await ChatAskModel.find({ subject: `room:${w.room1.roomId}` }).lean()
    expect(asked.map((a) => [a.kind, a.pollId])).toEqual([['poll', poll.id]])
  })

  it('counts one vote when two members of one household vote ten times at once', async () => {
    const poll = await gridPoll()
    const tries = Array.from({ length: 10 }, (_v, i) =>
      polls.vote(poll.id, String(i % 2 ? w.zhang._id : w.zhangWife._id), { choices: [(i % 3) + 1] }),
    )
    const settled = await Promise.allSettled(tries)
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1)
    const refused = settled.filter((s) => s.status === 'rejected').map((s) => (s.reason as Error).message)
    expect(refused).toHaveLength(9)
    expect(refused[0]).toMatch(/^您家已经投过票了（选的是「\d\. .+」），每户一票，投出后不能更改$/)
    expect(await PollVoteModel.countDocuments({ pollId: poll.id })).toBe(1)
    const r = await polls.results(poll.id)
    expect(r.voted).toBe(1)
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('refuses politely: no household, outside the audience, a wrong number, too many choices, after the deadline', async () => {
    const poll = await gridPoll()
    const vote = (p: { _id: unknown }, choices: number[]) => polls.vote(poll.id, String(p._id), { choices })
    await expect(vote(w.tenant, [1])).rejects.toThrow('这次投票按户进行，您还没有登记住户')
    await expect(vote(w.sun, [1])).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(vote(w.outsider, [1])).rejects.toThrow('您不在投票范围内')
    await expect(vote(w.zhang, [4])).rejects.toThrow('请回复选项前面的数字，1 到 3 之间')
    await expect(vote(w.zhang, [1, 2])).rejects.toThrow('这次投票只能选一项')
    clock.set(new Date('2026-12-10T10:01:00Z'))
    await expect(vote(w.zhang, [1])).rejects.toThrow('已经结束了')
    expect(await PollVoteModel.countDocuments()).toBe(0)
  })

  it('gives turnout per grid against the households there; a per-person poll counts people', async () => {
    const poll = await gridPoll({ audience: { communityId: String(w.community._id) } })
    await polls.vote(poll.id, String(w.zhang._id), { choices: [1] })
    await polls.vote(poll.id, String(w.sun._id), { choices: [2] })
    const r = await polls.results(poll.id)
    expect(r.counts).toEqual([1, 1, 0])
    expect(r.grids.map((g) => [g.gridName, g.voted, g.eligible, g.turnout])).toEqual([
      ['第1网格', 1, 2, 0.5],
      ['第2网格', 1, 1, 1],
    ])
    const perPerson = await gridPoll({ voteUnit: 'person', maxChoices: 2 })
    await polls.vote(perPerson.id, String(w.zhang._id), { choices: [1, 3] })
    await polls.vote(perPerson.id, String(w.zhangWife._id), { choices: [2] })
    await polls.vote(perPerson.id, String(w.tenant._id), { choices: [1] })
    const p = await polls.results(perPerson.id)
    expect(p.counts).toEqual([2, 1, 1])
    expect(p.grids).toEqual([expect.objectContaining({ gridName: '第1网格', voted: 3, eligible: 4 })])
  })

  it('shows residents results only after close when so set, and announces them on close', async () => {
    const poll = await gridPoll()
    await polls.vote(poll.id, String(w.qian._id), { choices: [2] })
    const before = await polls.viewFor(poll.id, w.as.resident(w.zhangWife))
    expect(before.results).toBeUndefined()
    expect(before.myVote).toBeUndefined()
    const mine = await polls.viewFor(poll.id, w.as.resident(w.qian))
    expect(mine.myVote?.choices).toEqual([2])
    await expect(polls.viewFor(poll.id, w.as.resident(w.sun))).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(polls.close(poll.id, w.as.worker2)).rejects.toMatchObject({ code: 'FORBIDDEN' })
    const closed = await polls.close(poll.id, w.as.staff)
    expect(closed.announced).toBe(1)
    const text = (await OutboxModel.findOne({ key: /^poll:.*:results/ }).lean())?.text
    expect(text).toContain('2. 不同意：1 票')
    expect(text).toContain('共 1 户参与，参与率 50%')
    expect((await polls.viewFor(poll.id, w.as.resident(w.zhangWife))).results?.counts).toEqual([0, 1, 0])
    await expect(polls.close(poll.id, w.as.staff)).rejects.toThrow('这次投票已经结束了')
    await expect(polls.vote(poll.id, String(w.zhang._id), { choices: [1] })).rejects.toThrow('已经结束了')
  })

  it('keeps staff-only results out of the chats; a grid worker opens polls for their grid only', async () => {
    const poll = await gridPoll({ resultsVisibleTo: 'staff' })
    expect((await polls.close(poll.id, w.as.staff)).announced).toBe(0)
    const base = { question: '是否更换门禁？', options: ['是', '否'], deadline: '2026-12-09 12:00' }
    const community = { communityId: String(w.community._id) }
    await expect(polls.create({ ...base, audience: community }, w.as.worker2)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    const own = await polls.create(
      { ...base, audience: { ...community, gridIds: [String(w.g2._id)] } },
      w.as.worker2,
    )
    expect(own.announced).toBe(1)
    expect((await polls.list(w.as.worker2)).map((p) => p.id)).toEqual([own.id])
    expect((await polls.list(w.as.staff)).map((p) => p.id)).toEqual([own.id, poll.id])
    await expect(
      polls.create({ ...base, audience: community, deadline: '2026-12-01 12:00' }, w.as.staff),
    ).rejects.toThrow('截止时间必须晚于现在')
  })

  it('the deadline job closes a due poll once and announces its results', async () => {
    const poll = await gridPoll({ deadline: '2026-12-07 12:00' })
    await polls.vote(poll.id, String(w.zhang._id), { choices: [1] })
    const job = await pollDeadlinesJob({ config, outbox: createOutbox({ clock }), polls }, NOW)
    expect(job.counts).toMatchObject({ closed: 0 })
    const later = new Date('2026-12-07T04:00:00Z')
    clock.set(later)
    expect(
      (await pollDeadlinesJob({ config, outbox: createOutbox({ clock }), polls }, later)).counts,
    ).toMatchObject({
      closed: 1,
    })
    expect((await polls.get(poll.id)).status).toBe('closed')
    expect((await OutboxModel.findOne({ key: /^poll:.*:results/ }).lean())?.text).toContain('1. 同意：1 票')
    expect(await polls.closeDue(later)).toBe(0)
  })

  it('tells a household list one by one and lets only those households vote', async () => {
    const poll = await gridPoll({
      audience: { communityId: String(w.community._id), householdIds: [String(w.h1._id), String(w.h3._id)] },
    })
    const to = (await OutboxModel.find({ key: /^poll:/ }).lean()).map((m) => m.to?.id).sort()
    expect(to).toEqual([String(w.zhang._id), String(w.zhangWife._id), String(w.sun._id)].sort())
    await expect(polls.vote(poll.id, String(w.qian._id), { choices: [1] })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    await polls.vote(poll.id, String(w.sun._id), { choices: [1] })
    expect((await polls.results(poll.id)).eligible).toBe(2)
  })

  it('collects opinions on a 议事 topic, masks names for residents, records one decision and announces it', async () => {
    const topic = await topics.create(
      {
        audience: { communityId: String(w.community._id) },
        title: '小区停车位怎么分配',
        background: '新增 20 个车位。',
        closesAt: '2026-12-12 18:00',
      },
      w.as.staff,
    )
    expect(topic.announced).toBe(2)
    await topics.addOpinion(topic.id, String(w.zhang._id), { text: '按住户抽签，电话13812345678' })
    await topics.addOpinion(topic.id, String(w.sun._id), { text: '优先照顾老人' })
    await expect(
      topics.addOpinion(topic.id, String(w.outsider._id), { text: '我也说' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    })
    const forStaff = await topics.opinions(topic.id, w.as.staff)
    expect(forStaff.map((o) => [o.name, o.text])).toEqual([
      ['张大爷', '按住户抽签，电话138****5678'],
      ['孙老师', '优先照顾老人'],
    ])
    const forSun = await topics.opinions(topic.id, w.as.resident(w.sun))
    expect(forSun.map((o) => o.name)).toEqual(['张**', '孙老师'])
    const decided = await topics.decide(
      topic.id,
      { text: '按住户抽签分配，老人优先', basis: '居民议事会 12 月 12 日表决通过' },
      w.as.staff,
    )
    expect(decided.status).toBe('decided')
    expect(decided.announced).toBe(2)
    const text = (await OutboxModel.findOne({ key: /^topic:.*:decision/ }).lean())?.text
    expect(text).toContain('决定：按住户抽签分配，老人优先')
    await expect(topics.decide(topic.id, { text: '再议', basis: '无' }, w.as.staff)).rejects.toThrow(
      '已经记录过决定了',
    )
    await expect(topics.addOpinion(topic.id, String(w.qian._id), { text: '晚了吗' })).rejects.toThrow(
      '已经结束',
    )
  })
})
