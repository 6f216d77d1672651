import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { MockWorld } from '../../src/bot/mock-world.js'
import { caseFollowUpJob } from '../../src/jobs/case-follow-up.job.js'
import { silentLogger } from '../../src/lib/logger.js'
import { CaseModel, hasOwner } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { NoticeAckModel } from '../../src/models/notice.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { testDatabaseUri } from '../db.js'
import { expectEveryCaseOwned } from '../owner-invariant.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

const NUMBER_RE = /\d{6}-\d{4,}/

/**
 * Whole conversations as residents, grid workers and staff have them, on the mock puppet through the
 * real service: each one a failure seen on the demo, with what the bot must now say and do. After
 * every conversation no case is left without an owner.
 */
describe('conversations a resident can trust', () => {
  let world: ServiceWorld
  let mock: MockWorld
  /** KH-01's group (buildings 1–3, 王网格) and KH-04's (buildings 10–12). */
  let kh01: string
  let kh04: string
  let people = 0

  /** A new resident in the mock world (a fresh contact per conversation keeps them apart). */
  function resident(name = `居民${++people}`): string {
    return mock.createContact(`${name}${people}`).id
  }

  interface Said {
    id: string
    replies: string[]
    /** Replies to the room, for group messages. */
    inRoom: string[]
  }

  /** Says something, waits until it is handled, and returns the bot's replies to it. */
  async function say(from: string, text: string, where: { room?: string; at?: boolean } = {}): Promise<Said> {
    const id = mock.say({ from, text, roomId: where.room, mentionBot: where.at === true })
    const deadline = Date.now() + 20_000
    while (!(await ChatMessageModel.exists({ _id: id, status: { $in: ['processed', 'failed'] } }))) {
      if (Date.now() > deadline) throw new Error(`not handled: ${text.slice(0, 40)}`)
      await new Promise((r) => setTimeout(r, 25))
    }
    const out = await OutboxModel.find({ 'refs.messageId': id }).sort({ key: 1 }).lean()
    return {
      id,
      replies: out.map((r) => r.text),
      inRoom: out.filter((r) => r.to?.type === 'room').map((r) => r.text),
    }
  }

  /**
   * A person repeating themselves does so at a later second of WeChat's time (the same words at the
   * same second are a puppet's re-delivery).
   */
  const secondLater = () => new Promise((r) => setTimeout(r, 1_100))

  const casesOf = async (contactId: string) => {
    const p = await ResidentModel.findOne({ 'wechat.contactId': contactId }).lean()
    return p ? CaseModel.find({ reporterId: p._id }).lean() : []
  }
  const personOf = async (contactId: string) => {
    const p = await ResidentModel.findOne({ 'wechat.contactId': contactId }).lean()
    if (!p) throw new Error(`no person for ${contactId}`)
    return p
  }
  const worker = (grid: number) => {
    const g = world.seed.grids[grid - 1]
    if (!g) throw new Error(`no grid ${grid}`)
    return g.primaryWorker
  }
  /** The demo community's first staff member, as an actor on notices. */
  const staffActor = () => {
    const staff = world.seed.communityStaff[0]
    if (!staff) throw new Error('no staff')
    return {
      personId: staff.id,
      roles: ['community_staff' as const],
      communityIds: [world.seed.community.id],
      gridIds: [],
    }
  }
  /** The messages queued for a person (task notices, updates), newest last. */
  const queuedTo = async (personId: string) =>
    (await OutboxModel.find({ 'to.type': 'person', 'to.id': personId }).sort({ _id: 1 }).lean()).map(
      (m) => m.text,
    )

  /** Reports a problem in KH-01's group and has 王网格 accept and resolve it; returns the case number. */
  async function resolvedCaseOf(me: string, text: string): Promise<string> {
    const opened = await say(me, text, { room: kh01, at: true })
    const number = NUMBER_RE.exec(opened.replies.join('\n'))?.[0] ?? ''
    expect(number, opened.replies.join('\n')).not.toBe('')
    const w = world.seed.grids[0]?.primaryWorker
    const c = await CaseModel.findOne({ number }).lean()
    const holder = world.seed.grids
      .flatMap((g) => [g.primaryWorker, g.partTimeWorker])
      .find((p) => p.id === String(c?.assigneeId))
    const handler = holder ?? w
    if (!handler) throw new Error('no handler')
    await say(handler.contactId, `接单 ${number}`)
    const done = await say(handler.contactId, `办结 ${number} 已经修好了`)
    expect(done.replies[0]).toContain('已办结')
    return number
  }

  beforeAll(async () => {
    world = await startServiceWorld(testDatabaseUri('talks'))
    const bot = world.service.bot
    if (!bot?.mock) throw new Error('no mock world')
    mock = bot.mock
    kh01 = world.rooms[0]?.id ?? ''
    kh04 = world.rooms[1]?.id ?? ''
  }, 180_000)

  afterEach(async () => {
    await expectEveryCaseOwned()
  })

  afterAll(async () => {
    await world?.stop()
  })

  describe('emergencies come first, addressed or not', () => {
    it('fire without an @: safety advice with 119 at once, then an urgent case to the grid of the building', async () => {
      const me = resident()
      const said = await say(me, '着火了！3号楼冒烟了', { room: kh01 })
      expect(said.inRoom[0]).toContain('119')
      const number = NUMBER_RE.exec(said.inRoom.join('\n'))?.[0] ?? ''
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.urgency).toBe('urgent')
      expect(String(c?.assigneeId)).toBe(worker(1).id)
      expect((await queuedTo(worker(1).id)).some((t) => t.includes(number))).toBe(true)
    })

    it('gas in building 5 said in KH-01’s group alerts KH-02’s worker, who holds building 5', async () => {
      const said = await say(resident(), '5栋煤气味很重', { room: kh01 })
      expect(said.inRoom[0]).toMatch(/燃气|煤气/)
      // The community's own emergency line (config/emergency.yaml) is public: readable in the group.
      expect(said.inRoom[0]).toContain('0477-8326119')
      expect(said.inRoom[0]).toMatch(/\d{3,}/)
      const number = NUMBER_RE.exec(said.inRoom.join('\n'))?.[0] ?? ''
      const c = await CaseModel.findOne({ number }).lean()
      expect(String(c?.assigneeId)).toBe(worker(2).id)
      expect((await queuedTo(worker(2).id)).some((t) => t.includes(number))).toBe(true)
      expect(said.inRoom.join('\n')).toContain(worker(2).name)
    })

    it('someone fainted: 120 in the first reply', async () => {
      const said = await say(resident(), '11号楼楼下有人晕倒了', { room: kh04 })
      expect(said.inRoom[0]).toContain('120')
    })

    it('trapped in a lift: the advice comes before the case number', async () => {
      const said = await say(resident(), '2号楼电梯困人了，里面有个老人', { room: kh01 })
      expect(said.inRoom).toHaveLength(2)
      expect(NUMBER_RE.test(said.inRoom[0] ?? '')).toBe(false)
      expect(NUMBER_RE.test(said.inRoom[1] ?? '')).toBe(true)
    })

    it('a question about gas is not an emergency and opens no case', async () => {
      const me = resident()
      const said = await say(me, '燃气泄漏该打什么电话', { room: kh01 })
      expect(said.replies).toEqual([])
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('a past fire is not an emergency', async () => {
      const me = resident()
      expect((await say(me, '昨天3号楼着火的那家怎么样了', { room: kh01 })).replies).toEqual([])
      expect(await casesOf(me)).toHaveLength(0)
    })
  })

  describe('a case opens only for a request', () => {
    for (const text of ['今天天气真好啊', '明天会下雨吗？', '附近哪家火锅店最好吃？', '😀😀👍🙏']) {
      it(`「${text}」 in a direct chat gets a friendly answer and no case`, async () => {
        const me = resident()
        const said = await say(me, text)
        expect(said.replies).toHaveLength(1)
        expect(said.replies[0]).not.toMatch(NUMBER_RE)
        expect(await casesOf(me)).toHaveLength(0)
      })
    }

    it('English gets Chinese with a one-line English hint, and no case', async () => {
      const me = resident()
      const said = await say(me, 'hello, can you help me with something')
      expect(said.replies[0]).toMatch(/[\u4e00-\u9fa5]/)
      expect(said.replies[0]).toMatch(/Please/)
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('chit-chat in a group without an @ passes in silence', async () => {
      const me = resident()
      expect((await say(me, '今天的太阳真好，大家出来晒晒', { room: kh01 })).replies).toEqual([])
      expect((await say(me, '楼道灯坏了', { room: kh01 })).replies).toEqual([])
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('a policy question without 「？」 goes to the knowledge base, not a work order', async () => {
      await world.service.services.kb.importDocument({
        id: 'elderly-allowance-talk',
        title: '高龄津贴发放办法',
        text: '# 高龄津贴发放办法\n\n一、年满80周岁的本市户籍老年人可以申请高龄津贴。\n\n二、申请人持身份证、户口簿到社区服务站办理。',
      })
      const me = resident()
      const said = await say(me, '高龄津贴怎么申请')
      expect(said.replies[0]).toContain('高龄津贴')
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('thanks after a report is not a detail of the report', async () => {
      const me = resident()
      const first = await say(me, '7号楼2单元门禁坏了打不开')
      const number = NUMBER_RE.exec(first.replies[0] ?? '')?.[0] ?? ''
      const thanks = await say(me, '谢谢')
      expect(thanks.replies[0]).not.toContain('已补充')
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.timeline.filter((t) => t.action === 'comment')).toHaveLength(0)
    })

    it('a 20,000-character message is answered once, without a crash', async () => {
      const me = resident()
      const said = await say(me, `8号楼1单元下水道堵了${'很臭'.repeat(9_995)}`)
      expect(said.replies).toHaveLength(1)
      expect((await casesOf(me)).length).toBeLessThanOrEqual(1)
    })

    it('an emoji-only task never reads 「地点：😀」', async () => {
      await say(resident(), '😀😀👍🙏')
      expect(await OutboxModel.exists({ text: /地点：😀/ })).toBeNull()
    })
  })

  describe('policy answers that answer (the demo corpus)', () => {
    beforeAll(async () => {
      await world.service.services.kb.importFolder(path.resolve('demo', 'kb'))
    })

    it('an age question in the group, without 「？」, gets the age and the article, and no case', async () => {
      const me = resident()
      const said = await say(me, '高龄津贴多大年龄可以领', { room: kh04, at: true })
      expect(said.inRoom[0]).toContain('80周岁')
      expect(said.inRoom[0]).toMatch(/依据《[^》]+》第[一二三四五六七八九十]+条/)
      expect(said.inRoom[0]).not.toContain('通知如下')
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('a may-I question gets the rule first: 不可以, with the prohibition', async () => {
      const said = await say(resident(), '电动车推到楼道里充电行不行', { room: kh04, at: true })
      expect(said.inRoom[0]?.startsWith('不可以。'), said.inRoom.join('|')).toBe(true)
      expect(said.inRoom[0]).toContain('严禁')
    })

    it('a how-to question in a direct chat gets the whole list, never ending on 「：」', async () => {
      const said = await say(resident(), '养老金资格认证怎么做')
      const text = said.replies[0] ?? ''
      expect(text).toContain('刷脸')
      expect(text).toContain('上门认证')
      expect(text).not.toMatch(/[：:][。\s]*(（依据|$)/)
    })

    it('an office phone number quoted from a document is not masked in the group', async () => {
      const said = await say(resident(), '暖气不热打哪个电话报修', { room: kh04, at: true })
      expect(said.inRoom[0]).toContain('0477-0000801')
    })

    it('a policy question put to the group without an @ is answered when the documents answer it', async () => {
      const me = resident()
      const said = await say(me, '请问低保需要什么材料', { room: kh04 })
      expect(said.inRoom[0]).toContain('户口簿')
      expect(said.inRoom[0]).toContain('依据《')
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('an overheard question no document answers gets no reply and opens no case', async () => {
      const me = resident()
      const said = await say(me, '独生子女父母奖励怎么领', { room: kh04 })
      expect(said.replies).toEqual([])
      expect(await casesOf(me)).toHaveLength(0)
      expect(await CaseModel.countDocuments({ channel: 'kb', text: /独生子女/ })).toBe(0)
    })

    it('a question no document answers goes to staff as a case with an owner, suggesting nothing unrelated', async () => {
      const me = resident()
      const said = await say(me, '独生子女父母奖励怎么领')
      const text = said.replies[0] ?? ''
      const number = NUMBER_RE.exec(text)?.[0] ?? ''
      expect(number, text).not.toBe('')
      expect(text).not.toContain('可能相关的资料')
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.category).toBe('policy_consult')
      expect(hasOwner(c as NonNullable<typeof c>)).toBe(true)
    })
  })

  describe('ratings go to the case that asked for them', () => {
    it('「5 很快，谢谢」 after the resolution prompt rates that case with the words as comment', async () => {
      const me = resident()
      const number = await resolvedCaseOf(me, '1号楼2单元楼道灯不亮了')
      const said = await say(me, '5 很快，谢谢')
      expect(said.replies[0]).toContain(number)
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.rating?.score).toBe(5)
      expect(c?.rating?.comment).toBe('很快，谢谢')
      expect(await casesOf(me)).toHaveLength(1)
      // The next real report is a new case, not a comment on the rated one.
      const next = await say(me, '1号楼门口的井盖松了')
      expect(NUMBER_RE.exec(next.replies[0] ?? '')?.[0]).not.toBe(number)
      expect(await casesOf(me)).toHaveLength(2)
    })

    it('a bare 「5」 after the 回访 follow-up rates the case', async () => {
      const me = resident()
      const number = await resolvedCaseOf(me, '2号楼1单元楼梯扶手松了')
      const c = await CaseModel.findOne({ number }).lean()
      // The resolution prompt was answered elsewhere: settle it, then the job asks again.
      const person = await personOf(me)
      await world.service.services.asks.settle(
        { type: 'person', id: String(person._id) },
        {
          kind: 'rating',
          caseNumber: number,
        },
      )
      const delayMs = world.service.config.cases.followUpDelayHours * 3600_000
      const at = new Date((c?.resolvedAt?.getTime() ?? Date.now()) + delayMs + 60_000)
      await caseFollowUpJob(
        { config: world.service.config, logger: silentLogger, outbox: world.service.services.outbox },
        at,
      )
      expect((await queuedTo(String(person._id))).some((t) => t.includes('回复 1-5 分'))).toBe(true)
      const said = await say(me, '5')
      expect(said.replies[0]).toContain(number)
      expect((await CaseModel.findOne({ number }).lean())?.rating?.score).toBe(5)
    })

    it('「五星」 and 「满意」 are ratings too', async () => {
      const a = resident()
      const n1 = await resolvedCaseOf(a, '3号楼2单元垃圾桶满了没人清')
      await say(a, '五星')
      expect((await CaseModel.findOne({ number: n1 }).lean())?.rating?.score).toBe(5)
      const b = resident()
      const n2 = await resolvedCaseOf(b, '1号楼1单元楼道有人堆了纸箱')
      await say(b, '满意')
      expect((await CaseModel.findOne({ number: n2 }).lean())?.rating?.score).toBe(5)
    })

    it('a rating of 2 sends the case back for re-work and calls the resident back', async () => {
      const me = resident()
      const number = await resolvedCaseOf(me, '2号楼2单元楼顶漏水')
      const said = await say(me, '2 还是在漏')
      expect(said.replies[0]).toMatch(/重新办理|重办/)
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.rating?.score).toBe(2)
      expect(['assigned', 'in_progress', 'reopened']).toContain(c?.status)
      expect(c?.timeline.some((t) => /rework/.test(t.action))).toBe(true)
    })

    it('a score out of range is asked again, not taken', async () => {
      const me = resident()
      const number = await resolvedCaseOf(me, '3号楼1单元门口路灯坏了')
      const said = await say(me, '9')
      expect(said.replies[0]).toContain('1 到 5')
      expect((await CaseModel.findOne({ number }).lean())?.rating).toBeFalsy()
    })

    it('a digit nobody asked for is a menu choice, not a rating', async () => {
      const me = resident()
      const said = await say(me, '3')
      // 3 is 社区活动 in the menu: the events answer (this resident is placed nowhere: how to register).
      expect(said.replies[0]).toMatch(/社区活动|社区的活动/)
    })

    it('a rating sent while a report’s follow-up is open rates the resolved case, not the new one', async () => {
      const me = resident()
      const number = await resolvedCaseOf(me, '1号楼3单元电子门锁失灵')
      const fresh = await say(me, '1号楼后面的路灯也坏了好几天')
      const freshNumber = NUMBER_RE.exec(fresh.replies[0] ?? '')?.[0]
      // The resolution prompt is older than the new report's follow-up: a rating still rates it.
      const said = await say(me, '4 挺好的')
      expect(said.replies[0]).toContain(number)
      expect((await CaseModel.findOne({ number }).lean())?.rating?.score).toBe(4)
      const other = await CaseModel.findOne({ number: freshNumber }).lean()
      expect(other?.timeline.some((t) => t.action === 'comment')).toBe(false)
    })
  })

  describe('notices are acknowledged where people read them', () => {
    async function sendNotice(title: string, channels: Array<'rooms' | 'persons'>, tags: string[] = []) {
      const seed = world.seed
      const actor = staffActor()
      const notices = world.service.services.notices
      const n = await notices.create(
        { communityId: seed.community.id, tags, channels, title, body: '请大家知悉。', requireAck: true },
        actor,
      )
      await notices.send(n.id, { confirm: true }, actor)
      return n.id
    }

    it('「收到」 in the group, without an @, acknowledges the notice quietly', async () => {
      const noticeId = await sendNotice('停水通知', ['rooms'])
      const me = resident()
      const said = await say(me, '收到', { room: kh01 })
      expect(said.inRoom).toEqual([])
      const person = await personOf(me)
      expect(await NoticeAckModel.exists({ noticeId, personId: person._id })).not.toBeNull()
      // Other chatter under the notice still passes by.
      expect((await say(me, '今天好冷啊', { room: kh01 })).replies).toEqual([])
    })

    it('「1」 in a direct chat acknowledges the notice sent there', async () => {
      const me = resident()
      await say(me, '你好')
      const person = await personOf(me)
      await ResidentModel.updateOne(
        { _id: person._id },
        { $set: { tags: ['楼长'], communityId: world.seed.community.id } },
      )
      const noticeId = await sendNotice('楼长会议', ['persons'], ['楼长'])
      const said = await say(me, '1')
      expect(said.replies[0]).toContain('《楼长会议》')
      expect(await NoticeAckModel.exists({ noticeId, personId: person._id })).not.toBeNull()
    })
  })

  describe('every case has an owner', () => {
    it('a stranger in a direct chat is asked once for the place; the answer sends the case to the grid worker', async () => {
      const me = resident('路人')
      const first = await say(me, '小区门口的路灯坏了好几天了')
      expect(first.replies[0]).toMatch(/哪个社区/)
      const number = NUMBER_RE.exec(first.replies[0] ?? '')?.[0] ?? ''
      const second = await say(me, '还有垃圾也没人收')
      expect(second.replies.join('')).not.toMatch(/哪个社区/)
      const answer = await say(me, '康和社区 5号楼')
      expect(answer.replies[0]).toContain(number)
      const c = await CaseModel.findOne({ number }).lean()
      const kh02 = world.seed.grids[1]
      const holder = [kh02?.primaryWorker, kh02?.partTimeWorker].find((p) => p?.id === String(c?.assigneeId))
      expect(holder, 'one of KH-02’s workers holds building 5').toBeDefined()
      expect(answer.replies[0]).toContain(holder?.name ?? '—')
    })

    it('a report in a group not yet bound gets an owner and no contradiction', async () => {
      const room = mock.createRoom('新建的邻居群').id
      const said = await say(resident(), '楼下的路灯坏了', { room, at: true })
      const all = said.inRoom.join('\n')
      expect(all).not.toContain('暂时不能派单')
      expect(all).toMatch(NUMBER_RE)
    })

    it('a question the knowledge base cannot answer goes to a staff member who is told', async () => {
      const me = resident()
      const said = await say(me, '小区里的流浪猫可以领养吗？怎么申请？')
      const number = NUMBER_RE.exec(said.replies[0] ?? '')?.[0]
      expect(number).toBeTruthy()
      const c = await CaseModel.findOne({ number }).lean()
      expect(c?.assigneeId ?? c?.postedDepartmentIds?.[0]).toBeTruthy()
    })
  })

  describe('repeats are answered; only re-deliveries are dropped', () => {
    it('「菜单」 twice gets the menu twice', async () => {
      const me = resident()
      expect((await say(me, '菜单')).replies).toHaveLength(1)
      await secondLater()
      expect((await say(me, '菜单')).replies).toHaveLength(1)
    })

    it('the same puppet message delivered twice is answered once', async () => {
      const me = resident()
      const first = await say(me, '菜单')
      mock.redeliver(first.id)
      await new Promise((r) => setTimeout(r, 500))
      expect(await OutboxModel.countDocuments({ 'refs.messageId': first.id })).toBe(1)
    })

    it('「接单」 twice: the second is answered too', async () => {
      const me = resident()
      const opened = await say(me, '1号楼1单元楼道窗户玻璃碎了', { room: kh01, at: true })
      const number = NUMBER_RE.exec(opened.inRoom.join('\n'))?.[0] ?? ''
      const w = worker(1)
      expect((await say(w.contactId, `接单 ${number}`)).replies).toHaveLength(1)
      await secondLater()
      expect((await say(w.contactId, `接单 ${number}`)).replies).toHaveLength(1)
    })
  })

  describe('workers and reporters hear each other', () => {
    it('a 进展 note reaches the reporter', async () => {
      const me = resident()
      const opened = await say(me, '2号楼3单元地下室积水了', { room: kh01, at: true })
      const number = NUMBER_RE.exec(opened.inRoom.join('\n'))?.[0] ?? ''
      const c = await CaseModel.findOne({ number }).lean()
      const holder = world.seed.grids
        .flatMap((g) => [g.primaryWorker, g.partTimeWorker])
        .find((p) => p.id === String(c?.assigneeId))
      if (!holder) throw new Error('no holder')
      await say(holder.contactId, `进展 ${number} 已联系物业抽水`)
      const person = await personOf(me)
      expect((await queuedTo(String(person._id))).some((t) => t.includes('已联系物业抽水'))).toBe(true)
    })

    it('a worker who is not the assignee is told who is', async () => {
      const opened = await say(resident(), '3号楼1单元楼道扶手坏了', { room: kh01, at: true })
      const number = NUMBER_RE.exec(opened.inRoom.join('\n'))?.[0] ?? ''
      const outsider = worker(4)
      const said = await say(outsider.contactId, `接单 ${number}`)
      expect(said.replies[0]).toMatch(/网格员|负责/)
      expect(said.replies[0]).toContain(number)
    })
  })

  describe('menus, flows and manners', () => {
    it('menu 1, then the description, then a photo: one case with the photo', async () => {
      const me = resident()
      expect((await say(me, '你好')).replies[0]).toContain('1 报事报修')
      expect((await say(me, '1')).replies[0]).toContain('遇到的问题')
      const report = await say(me, '9号楼2单元楼道灯不亮了')
      expect(report.replies[0]).toMatch(NUMBER_RE)
      expect(await casesOf(me)).toHaveLength(1)
    })

    it('menu 2, then the question', async () => {
      const me = resident()
      expect((await say(me, '2')).replies[0]).toContain('咨询')
      const said = await say(me, '高龄津贴多大年龄可以领')
      expect(said.replies[0]).not.toMatch(/已收到，工单号/)
    })

    it('a request for neighbours’ phone numbers is refused without a case', async () => {
      const me = resident()
      const said = await say(me, '把3号楼所有住户的电话发给我')
      expect(said.replies[0]).toContain('保护居民隐私')
      expect(await casesOf(me)).toHaveLength(0)
    })

    it('a phone number said in the group is never repeated there', async () => {
      const said = await say(resident(), '报修 1号楼漏水 联系我13812345678', { room: kh01 })
      expect(said.inRoom.join('')).not.toContain('13812345678')
    })

    it('a voice message without text is kept and the resident is asked for a few words', async () => {
      const me = resident()
      const id = `voice-${Date.now()}`
      mock.mocker.MessageMock.create({
        id,
        talkerId: me,
        listenerId: mock.botUser.id,
        timestamp: Date.now(),
        type: 2,
        text: '',
      })
      mock.puppet.emit('message', { messageId: id })
      const deadline = Date.now() + 15_000
      while (!(await ChatMessageModel.exists({ _id: id, status: { $in: ['processed', 'failed'] } }))) {
        if (Date.now() > deadline) throw new Error('voice not handled')
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(await OutboxModel.countDocuments({ 'refs.messageId': id })).toBe(1)
    })

    it('a reply to the bot’s own message in a group is heard without an @', async () => {
      const me = resident()
      const opened = await say(me, '2号楼1单元楼道灯坏了', { room: kh01, at: true })
      const bot = opened.inRoom[0] ?? ''
      const quoted = `「邻里小助手：${bot.slice(0, 20)}」\n- - - - - - - - - - - - - - -\n楼道窗户也坏了`
      const said = await say(me, quoted, { room: kh01 })
      expect(said.replies.length).toBeGreaterThan(0)
    })

    it('a greeting gets the menu, the group help when addressed in a group', async () => {
      expect((await say(resident(), '你好', { room: kh01, at: true })).inRoom[0]).toContain('报修')
    })
  })

  describe('replies are never starved by a broadcast', () => {
    it('a resident’s reply goes out while a notice to the whole community is still being sent', async () => {
      const seed = world.seed
      const actor = staffActor()
      const notices = world.service.services.notices
      const n = await notices.create(
        {
          communityId: seed.community.id,
          channels: ['persons'],
          title: '燃气安全检查',
          body: '本周入户检查燃气。',
        },
        actor,
      )
      await notices.send(n.id, { confirm: true }, actor)
      const me = resident()
      const said = await say(me, '菜单')
      const key = `reply:${said.id}:1`
      const deadline = Date.now() + 15_000
      while ((await OutboxModel.findOne({ key }).lean())?.status !== 'sent') {
        if (Date.now() > deadline) throw new Error('the reply waited behind the broadcast')
        await new Promise((r) => setTimeout(r, 50))
      }
      const stillQueued = await OutboxModel.countDocuments({ 'refs.noticeId': n.id, status: 'queued' })
      expect(stillQueued).toBeGreaterThan(0)
    })
  })
})
