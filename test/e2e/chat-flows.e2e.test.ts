import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockWorld } from '../../src/bot/mock-world.js'
import { CaseModel } from '../../src/models/case.model.js'
import { ChatMessageModel } from '../../src/models/chat-message.model.js'
import { OutboxModel } from '../../src/models/outbox.model.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { testDatabaseUri } from '../db.js'
import { checkCaseOwnersAfterEach } from '../owner-invariant.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

const NUMBER_RE = /\d{6}-\d{4,}/

/**
 * Each resident flow and inbox command end to end: the real service (one process, real database,
 * mock puppet), a message said in the mock world, the bot's replies read from the outbox.
 */
describe('chat flows on the mock puppet against the real services', () => {
  checkCaseOwnersAfterEach()
  let world: ServiceWorld
  let mock: MockWorld
  let roomId: string
  const contacts: Record<string, string> = {}

  /** Says something and returns the bot's replies to that message, once it is handled. */
  async function talk(from: string, text: string, inRoom = false): Promise<string[]> {
    const id = mock.say({ from, text, roomId: inRoom ? roomId : undefined, mentionBot: inRoom })
    const deadline = Date.now() + 15_000
    while (!(await ChatMessageModel.exists({ messageId: id, status: 'processed' }))) {
      if (Date.now() > deadline) throw new Error(`not handled: ${text}`)
      await new Promise((r) => setTimeout(r, 30))
    }
    const replies = await OutboxModel.find({ 'refs.messageId': id }).sort({ key: 1 }).lean()
    return replies.map((r) => r.text)
  }

  /** The last message the outbox holds for a person (task notices, updates). */
  async function lastTo(personId: string): Promise<string> {
    const doc = await OutboxModel.findOne({ 'to.type': 'person', 'to.id': personId }).sort({ _id: -1 }).lean()
    return doc?.text ?? ''
  }

  beforeAll(async () => {
    world = await startServiceWorld(testDatabaseUri('flows'))
    const bot = world.service.bot
    if (!bot?.mock) throw new Error('no mock world')
    mock = bot.mock
    roomId = world.rooms[0]?.id ?? ''
    for (const name of ['周阿姨', '吴大哥']) contacts[name] = mock.createContact(name).id
  }, 120_000)

  afterAll(async () => {
    await world?.stop()
  })

  it('a report in the group names the case, the grid worker and the deadline; a second neighbour joins it', async () => {
    const [reply = ''] = await talk(contacts.周阿姨 as string, '2号楼1单元电梯按钮坏了按不亮', true)
    const number = NUMBER_RE.exec(reply)?.[0] ?? ''
    const worker = world.seed.grids[0]?.primaryWorker
    expect(reply).toContain(`由网格员 ${worker?.name}处理`)
    expect(reply).toMatch(/预计(今天 \d\d:\d\d |明天 \d\d:\d\d |\d+月\d+日)前办结/)
    const task = await lastTo(worker?.id ?? '')
    expect(task).toContain(`【新工单】${number}`)
    expect(task).toContain(`回复「接单 ${number}」`)

    const [dup = ''] = await talk(contacts.吴大哥 as string, '2号楼1单元电梯按钮坏了', true)
    expect(dup).toContain(`已有邻居反映过此问题（工单 ${number}），已为您关注进展`)
    expect(await CaseModel.countDocuments({})).toBe(1)
  })

  it('a follow-up detail in the direct chat goes to the case just reported, not a new case', async () => {
    const me = contacts.周阿姨 as string
    const [reply = ''] = await talk(me, '5号楼3单元楼道里堆满了杂物')
    const number = NUMBER_RE.exec(reply)?.[0] ?? ''
    const before = await CaseModel.countDocuments({})
    const [added = ''] = await talk(me, '杂物堵住了消防通道，很危险')
    expect(added).toBe(`已补充到工单 ${number}。`)
    expect(await CaseModel.countDocuments({})).toBe(before)
    const c = await world.service.services.cases.get(number)
    expect(c.timeline.some((t) => t.action === 'comment' && t.note?.includes('消防通道'))).toBe(true)
  })

  it('我的工单 lists a resident’s own cases; a bare digit is the menu when no rating was asked', async () => {
    const [list = ''] = await talk(contacts.周阿姨 as string, '我的工单')
    expect(list).toContain('您的工单：')
    expect(list.split('\n').length).toBeGreaterThanOrEqual(3)
    const [menu = ''] = await talk(contacts.吴大哥 as string, '3')
    expect(menu).toMatch(/近期没有社区活动|近期社区活动/)
  })

  it('the inbox: others are refused politely, the assigned worker accepts, transfers; 代录 files a walk-in', async () => {
    const grid = world.seed.grids[0]
    if (!grid) throw new Error('no grid')
    const number = (await CaseModel.findOne({ assigneeId: grid.primaryWorker.id }).lean())?.number ?? ''
    const outsider = world.seed.grids[3]?.primaryWorker.contactId ?? ''
    const [refusal = ''] = await talk(outsider, `接单 ${number}`)
    expect(refusal).toContain(`工单 ${number} 由网格员 ${grid.primaryWorker.name}负责`)
    const [resident = ''] = await talk(contacts.吴大哥 as string, `办结 ${number} 好了`)
    expect(resident).toContain('只对网格员和社区工作人员开放')
    const [wrong = ''] = await talk(grid.primaryWorker.contactId, '接单 990101-9999')
    expect(wrong).toContain('请核对后再发一次')

    const [inbox = ''] = await talk(grid.primaryWorker.contactId, '我的工单')
    expect(inbox).toContain(number)
    const [accepted = ''] = await talk(grid.primaryWorker.contactId, `接单 ${number}`)
    expect(accepted).toContain(`已接单 ${number}`)
    // A deliberate repeat a second later (the same text within the second is one re-delivered message).
    await new Promise((r) => setTimeout(r, 1100))
    const [twice = ''] = await talk(grid.primaryWorker.contactId, `接单 ${number}`)
    expect(twice).toBe(`您已接单 ${number}，正在处理中。`)
    const [progress = ''] = await talk(grid.primaryWorker.contactId, `进展 ${number} 已联系电梯维保`)
    expect(progress).toContain('已记录')
    const [moved = ''] = await talk(grid.primaryWorker.contactId, `转派 ${number} 物业公司 电梯归物业维保`)
    expect(moved).toBe(`工单 ${number} 已转派给物业公司。`)
    expect((await world.service.services.cases.get(number)).departmentId).toBe(
      world.seed.departments['property-co']?.id,
    )

    const [walkIn = ''] = await talk(grid.primaryWorker.contactId, '代录 1-1-101 卫生间顶上渗水')
    const walkNumber = NUMBER_RE.exec(walkIn)?.[0] ?? ''
    expect(walkIn).toContain('1号楼1单元101室')
    const c = await world.service.services.cases.get(walkNumber)
    expect(c.channel).toBe('walk_in')
    expect(c.location.room).toBe('101')
    expect(c.timeline[0]?.actorId).toBe(grid.primaryWorker.id)
  })

  it('event sign-up, cancel and unsubscribing from reminders by chat', async () => {
    const seed = world.seed
    const staff = seed.communityStaff[0]
    if (!staff) throw new Error('no staff')
    const start = new Date(Date.now() + 3 * 86_400_000)
    const event = await world.service.services.events.create(
      {
        communityId: seed.community.id,
        title: '义诊进社区',
        place: '社区活动室',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 7_200_000).toISOString(),
        capacity: 30,
      },
      { personId: staff.id, roles: ['community_staff'], communityIds: [seed.community.id], gridIds: [] },
    )
    const me = contacts.吴大哥 as string
    const [list = ''] = await talk(me, '活动')
    expect(list).toContain(`义诊进社区（${event.code}）`)
    // Asked in words, the same list; a report that only mentions the 活动室 is not taken for it.
    expect((await talk(me, '社区最近有什么活动？'))[0]).toBe(list)
    expect((await talk(me, '这周有活动吗'))[0]).toBe(list)
    // Someone the registry places in no community is not told there are no events, but how to register.
    const stranger = mock.createContact('过路人').id
    expect((await talk(stranger, '活动'))[0]).toContain('您还没有登记住址')
    expect((await talk(me, `报名 ${event.code}`))[0]).toContain('报名成功：义诊进社区')
    expect((await talk(me, '报名 1'))[0]).toContain('您已经报过名了')
    expect((await talk(me, '取消报名'))[0]).toBe('已取消报名：义诊进社区。')
    expect((await talk(me, '退订提醒'))[0]).toContain('已退订活动提醒')
  })

  it('"1" after a notice that asked 收到请回复1 acknowledges that notice', async () => {
    const me = contacts.吴大哥 as string
    const person = await ResidentModel.findOneAndUpdate(
      { 'wechat.contactId': me },
      { $set: { tags: ['楼长'] } },
      { returnDocument: 'after' },
    ).lean()
    const seed = world.seed
    const staff = seed.communityStaff[0]
    if (!person || !staff) throw new Error('missing people')
    const actor = {
      personId: staff.id,
      roles: ['community_staff' as const],
      communityIds: [seed.community.id],
      gridIds: [],
    }
    const notices = world.service.services.notices
    const notice = await notices.create(
      {
        communityId: seed.community.id,
        tags: ['楼长'],
        channels: ['persons'],
        title: '楼长会议',
        body: '周五下午三点在社区会议室开楼长会。',
        requireAck: true,
      },
      actor,
    )
    await notices.send(notice.id, { confirm: true }, actor)
    const deadline = Date.now() + 15_000
    while (!(await ChatMessageModel.exists({ chatKey: `dm:${me}`, direction: 'out', text: /收到请回复1/ }))) {
      if (Date.now() > deadline) throw new Error('the notice was not delivered')
      await new Promise((r) => setTimeout(r, 50))
    }
    expect((await talk(me, '1'))[0]).toBe('已确认收到《楼长会议》，谢谢！')
    const acks = await notices.acks(notice.id)
    expect(acks.acknowledged.map((a) => a.personId)).toContain(String(person._id))
  })

  it('a policy question is answered with its source, or handed to staff when the bot is not sure', async () => {
    await world.service.services.kb.importDocument({
      id: 'ebike-charging-test',
      title: '电动自行车充电安全管理规定',
      text: '# 电动自行车充电安全管理规定\n\n禁止在楼道、楼梯间、安全出口停放电动自行车或者为其充电。居民应当到小区集中充电点充电。',
    })
    const [answer = ''] = await talk(contacts.周阿姨 as string, '电动车可以在楼道里充电吗？')
    expect(answer).toContain('《电动自行车充电安全管理规定》')
    const [unsure = ''] = await talk(contacts.周阿姨 as string, '小区里的流浪猫可以领养吗？怎么申请？')
    expect(unsure).toMatch(/不确定.*已转给社区工作人员（工单 \d{6}-\d{4,}）/)
  })
})
