import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FileBox } from 'file-box'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../test/db.js'
import { type LlmServer, startLlmServer } from '../../test/llm-server.js'
import { createPerson, seedGridWithWorker } from '../handlers/handler-fixtures.test-helper.js'
import { CaseModel } from '../models/case.model.js'
import { ChatMessageModel } from '../models/chat-message.model.js'
import { HouseholdProxyModel } from '../models/household-proxy.model.js'
import { NoticeHouseholdAckModel } from '../models/notice.model.js'
import { PointsEntryModel } from '../models/points.model.js'
import { HouseholdModel } from '../models/registry.model.js'
import { VolunteerProfileModel } from '../models/volunteer.model.js'
import { eventually, startTestBot } from './bot-test-world.test-helper.js'

void [HouseholdProxyModel, VolunteerProfileModel]

describe('volunteers, proxies and voice on the mock puppet', () => {
  useTestDatabase()
  const running: Array<{ stop(): Promise<void> }> = []
  let stt: LlmServer
  beforeAll(async () => {
    stt = await startLlmServer({ apiKey: 'sk-stt' })
  })
  afterAll(async () => {
    await stt.close()
  })
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop()
  })

  async function start(extra: Parameters<typeof startTestBot>[0] = {}) {
    const bot = await startTestBot(extra)
    running.push(bot)
    const seed = await seedGridWithWorker()
    const admin = {
      personId: String(seed.worker._id),
      roles: ['admin' as const],
      communityIds: [],
      gridIds: [],
    }
    const home = await HouseholdModel.create({
      communityId: seed.community._id,
      gridId: seed.grid._id,
      building: '3',
      unit: '2',
      room: '301',
      token: 'hh-3-2-301',
    })
    /** A mock contact who is a person of grid KH-07 (in household `home` when `atHome`). */
    const person = async (name: string, atHome = false) => {
      const contact = bot.world.createContact(name)
      const p = await createPerson(name, contact.id, ['resident'], {
        communityId: seed.community._id,
        gridId: seed.grid._id,
        ...(atHome ? { householdId: home._id } : {}),
      })
      return { contact, person: p }
    }
    const repliesTo = (id: string) => bot.world.delivered.filter((d) => d.to === id).map((d) => d.text)
    const say = async (from: string, text: string, expectReply: (r: string) => boolean) => {
      bot.world.say({ from, text })
      await eventually(() => repliesTo(from).some(expectReply))
      return repliesTo(from).filter(expectReply).at(-1) as string
    }
    return { bot, seed, admin, home, person, repliesTo, say }
  }

  it('registers a volunteer, offers a need, and takes it through accept, check-in and done to points and a rating', async () => {
    const w = await start()
    const zhao = await w.person('小赵')
    const grandma = await w.person('刘奶奶', true)
    expect(await w.say(zhao.contact.id, '我要当志愿者', (r) => r.includes('技能'))).toContain(
      '陪诊、维修、助餐',
    )
    const registered = await w.say(zhao.contact.id, '志愿者 维修 陪诊 工作日 下午', (r) =>
      r.startsWith('已登记'),
    )
    expect(registered).toContain('技能：维修、陪诊，服务时间：工作日 13:00–18:00')
    const profile = await VolunteerProfileModel.findOne({ personId: zhao.person._id }).lean()
    expect(profile?.availability?.days).toEqual([1, 2, 3, 4, 5])

    const need = await w.bot.services.volunteers.postNeed(
      {
        communityId: String(w.seed.community._id),
        skill: '陪诊',
        description: '陪老人去医院复查',
        startsAt: '2030-12-10 14:30', // a Tuesday afternoon
        householdId: String(w.home._id),
        requesterId: String(grandma.person._id),
      },
      w.admin,
    )
    await eventually(() => w.repliesTo(zhao.contact.id).some((r) => r.includes(`接单 ${need.code}`)))
    expect(await w.say(zhao.contact.id, `接单 ${need.code}`, (r) => r.includes('接单成功'))).toContain('陪诊')
    await eventually(() => w.repliesTo(grandma.contact.id).some((r) => r.includes('已经有志愿者接单')))
    await w.say(zhao.contact.id, `签到 ${need.code}`, (r) => r.startsWith('已签到'))
    expect(await w.say(zhao.contact.id, `完成 ${need.code} 2小时`, (r) => r.includes('已完成'))).toContain(
      '获得 10 积分',
    )
    const ledger = await PointsEntryModel.find({ personId: zhao.person._id }).lean()
    expect(ledger.map((e) => [e.reason, e.delta])).toEqual([['volunteer_hours', 10]])
    await eventually(() => w.repliesTo(grandma.contact.id).some((r) => r.includes(`评价 ${need.code} 5`)))
    await w.say(grandma.contact.id, `评价 ${need.code} 5 很耐心`, (r) => r.includes('谢谢您的评价'))
    expect((await w.bot.services.volunteers.getNeed(need.id)).rating?.score).toBe(5)
  })

  it('opens a case for the household a proxy is linked to, and refuses anyone else politely', async () => {
    const w = await start()
    const daughter = await w.person('刘女儿')
    const stranger = await w.person('路人甲')
    await w.bot.services.proxies.link(
      String(w.home._id),
      { personId: String(daughter.person._id), relation: 'family', label: '我妈' },
      w.admin,
    )
    await w.say(daughter.contact.id, '代 3号楼2单元301 报修 厨房水管漏水', (r) => r.includes('工单号'))
    const first = await CaseModel.findOne().lean()
    expect(String(first?.proxyFor?.householdId)).toBe(String(w.home._id))
    expect(String(first?.actedById)).toBe(String(daughter.person._id))
    expect(String(first?.location?.householdId)).toBe(String(w.home._id))
    expect(first?.timeline[0]?.note).toBe('代办人代报')
    await w.say(daughter.contact.id, '帮我妈报修 卫生间灯坏了', (r) => r.includes('工单号'))
    await eventually(
      async () => (await CaseModel.countDocuments({ 'proxyFor.householdId': w.home._id })) === 2,
    )

    const refusal = await w.say(stranger.contact.id, '代 3号楼2单元301 报修 水管漏水', (r) =>
      r.startsWith('抱歉'),
    )
    expect(refusal).toContain('还没有登记为这户的代办人')
    expect(await w.say(stranger.contact.id, '帮我妈报修 灯坏了', (r) => r.includes('哪一户'))).toContain(
      '还没有登记为哪一户的代办人',
    )
    expect(await CaseModel.countDocuments()).toBe(2)
  })

  it('lets a proxy say 收到 for the household, once whoever says it, and refuses anyone else', async () => {
    const w = await start()
    const daughter = await w.person('刘女儿')
    const liaison = await w.person('联户长老王')
    const stranger = await w.person('路人乙')
    await w.person('刘奶奶', true)
    for (const [p, relation, label] of [
      [daughter, 'family', '我妈'],
      [liaison, 'lianhuzhang', ''],
    ] as const)
      await w.bot.services.proxies.link(
        String(w.home._id),
        { personId: String(p.person._id), relation, label },
        w.admin,
      )
    expect(
      await w.say(daughter.contact.id, '代 3号楼2单元301 确认收到', (r) => r.startsWith('最近没有')),
    ).toBe('最近没有需要 3号楼2单元301 确认收到的通知。')
    const notice = await w.bot.services.notices.create(
      {
        communityId: String(w.seed.community._id),
        title: '燃气检修',
        body: '周五上门检修',
        requireAck: true,
        channels: ['persons'],
      },
      w.admin,
    )
    await w.bot.services.notices.send(notice.id, { confirm: true }, w.admin)
    expect(await w.say(daughter.contact.id, '帮我妈确认收到', (r) => r.startsWith('已替'))).toBe(
      '已替 3号楼2单元301 确认收到《燃气检修》，谢谢！',
    )
    expect(await w.say(liaison.contact.id, '代 3号楼2单元301 收到', (r) => r.includes('已经确认过'))).toBe(
      '3号楼2单元301 已经确认过收到《燃气检修》了，不用再确认，谢谢！',
    )
    expect(await w.say(stranger.contact.id, '代 3号楼2单元301 收到', (r) => r.startsWith('抱歉'))).toContain(
      '还没有登记为这户的代办人',
    )
    const acks = await NoticeHouseholdAckModel.find().lean()
    expect(acks.map((a) => [String(a.householdId), String(a.actedById), a.via])).toEqual([
      [String(w.home._id), String(daughter.person._id), 'wechat'],
    ])
  })

  it('transcribes a voice message when speech-to-text is configured and opens the case from the words', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'linli-voice-'))
    try {
      stt.respond(() => ({ content: '7号楼的路灯坏了，晚上看不见' }))
      const speech = { endpoint: stt.baseUrl, apiKey: 'sk-stt', model: 'whisper-1', timeoutMs: 5000 }
      const w = await start({ attachmentsDir: dir, config: { speech } })
      const zhang = await w.person('王大爷')
      zhang.contact
        .say(FileBox.fromBase64(Buffer.from('silk').toString('base64'), 'v.sil'))
        .to(w.bot.world.botUser)
      await eventually(() => w.repliesTo(zhang.contact.id).some((r) => r.includes('工单号')))
      expect(w.repliesTo(zhang.contact.id).join()).not.toContain('语音')
      const c = await CaseModel.findOne().lean()
      expect(c?.description).toBe('7号楼的路灯坏了，晚上看不见')
      expect(c?.attachments.map((a) => a.kind)).toEqual(['voice'])
      const stored = await ChatMessageModel.findOne({ type: 'voice' }).lean()
      expect(stored?.attachments[0]?.transcript).toBe('7号楼的路灯坏了，晚上看不见')
      expect(stt.requests.at(-1)?.path).toBe('/v1/audio/transcriptions')

      // Over quota: the recording goes to the worker instead, and nobody is asked to type.
      stt.respond(() => ({ status: 429, body: JSON.stringify({ error: { code: 'insufficient_quota' } }) }))
      const li = await w.person('李奶奶')
      li.contact
        .say(FileBox.fromBase64(Buffer.from('silk2').toString('base64'), 'v2.sil'))
        .to(w.bot.world.botUser)
      await eventually(() => w.repliesTo(li.contact.id).length > 0)
      expect(w.repliesTo(li.contact.id)[0]).toMatch(/^收到您的语音，已转给网格员，会尽快联系您。工单号/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
