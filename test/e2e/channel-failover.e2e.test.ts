import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { MockWorld } from '../../src/bot/mock-world.js'
import { CaseModel } from '../../src/models/case.model.js'
import { type OutboxDoc, OutboxModel } from '../../src/models/outbox.model.js'
import { testDatabaseUri } from '../db.js'
import { startTencentSmsStandIn, type TencentSmsStandIn } from '../standins/tencent-cloud.js'
import { startWechatApiStandIn, type WechatApiStandIn } from '../standins/wechat-api.js'
import { startWeComStandin, type WeComStandin } from '../standins/wecom-standin.js'
import { type ServiceWorld, startServiceWorld } from './service-world.js'

/**
 * Issue 15, points 5 and 6: the whole service (real FerretDB, Koa, Wechaty mock puppet, the real
 * outbox sender) with the official channels pointed at the loopback stand-ins, while the bot account
 * is logged out mid-run, then the WeCom server dies, then the bot logs back in. Every message is
 * delivered exactly once, by the channel the outbox records, and none is lost.
 */

const WECOM = { corpId: 'wwlinli0000000001', secret: 'wecom-app-secret', agentId: 1000002 }
const SMS = {
  secretId: 'AKIDlinliTest',
  secretKey: 'sms-secret-key',
  sdkAppId: '1400000001',
  signName: '康和社区',
}
const MP = { appId: 'wxlinlitest000001', appSecret: 'mp-app-secret' }
const PHONE = '13812345678'
const OPENID = 'o-linli-li-nainai'
const NUMBER_RE = /\d{6}-\d{4,}/
const WAIT = { timeout: 20_000, interval: 50 }

interface Worker {
  id: string
  name: string
  contactId: string
  wecomUserId: string
}

describe('the whole service with a channel dying mid-run', () => {
  let world: ServiceWorld
  let mock: MockWorld
  let wecom: WeComStandin
  let sms: TencentSmsStandIn
  let wx: WechatApiStandIn
  let roomId: string
  /** The grid's two workers (cases go to the less loaded), each with a WeCom userid and a Wechaty contact. */
  let workers: Worker[]
  let resident: { id: string; contactId: string }
  const numbers: string[] = []
  /** How far the SMS stand-in's clock runs ahead (to pass its per-number 30-second limit). */
  let smsClockSkewMs = 0
  /** Whether the configuration sends an elderly resident's updates by SMS first (`channels.smsFirstTags`). */
  const elderlyGetSmsFirst = () =>
    ((world.service.config.channels as { smsFirstTags?: string[] }).smsFirstTags ?? []).includes('独居老人')
  /** The group reply that was waiting while the bot was logged out. */
  let waitingReplyKey = ''
  /** The task notices queued while WeCom was down. */
  let queuedTaskKeys: string[] = []

  // --- the bot account ------------------------------------------------------------------------
  /** While set, the mock puppet refuses to log in again (the account is kicked out, no one scans). */
  let loginBlocked = false
  /** Set: the next message the bot sends fails because the account is logged out at that moment. */
  let logoutOnNextSend = false

  function holdTheAccount(): void {
    const login = mock.mocker.login.bind(mock.mocker)
    vi.spyOn(mock.mocker, 'login').mockImplementation((user) => {
      if (!loginBlocked) login(user)
    })
    const send = mock.puppet.messageSendText.bind(mock.puppet)
    vi.spyOn(mock.puppet, 'messageSendText').mockImplementation(async (conversationId, text) => {
      if (logoutOnNextSend) {
        logoutOnNextSend = false
        loginBlocked = true
        await mock.puppet.logout()
        throw new Error('the bot account was logged out')
      }
      return send(conversationId, text)
    })
  }

  // --- HTTP as users see it -------------------------------------------------------------------
  async function api(
    personId: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const { accessToken } = await world.service.services.auth.issueSession(personId)
    const res = await fetch(`${world.service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text }
  }

  async function channelStates(): Promise<Record<string, string>> {
    const res = await fetch(`${world.service.url}/readyz`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { channels: Record<string, string> }).channels
  }

  async function wechatyHealthMetric(): Promise<number> {
    const { body, status } = await api(world.seed.admin.id, 'GET', '/metrics')
    expect(status).toBe(200)
    // (with a bot-account pool the series carries an `account` label as well)
    const line = /^linli_channel_health\{(?=[^}]*channel="wechaty")[^}]*\} (\S+)$/m.exec(String(body))
    return Number(line?.[1])
  }

  async function channelSendsMetric(channel: string, outcome: string, kind: string): Promise<number> {
    const { body } = await api(world.seed.admin.id, 'GET', '/metrics')
    const re = new RegExp(
      `^linli_channel_sends_total\\{(?=[^}]*channel="${channel}")(?=[^}]*outcome="${outcome}")(?=[^}]*kind="${kind}")[^}]*\\} (\\S+)$`,
      'm',
    )
    return Number(re.exec(String(body))?.[1] ?? 0)
  }

  // --- what reached whom ----------------------------------------------------------------------
  const toPerson = (personId: string) => ({ 'to.type': 'person' as const, 'to.id': personId })

  async function caseIdOf(number: string): Promise<string> {
    const c = await CaseModel.findOne({ number }).lean()
    if (!c) throw new Error(`no case ${number}`)
    return String(c._id)
  }

  /** The grid worker the case was assigned to. */
  async function assigneeOf(number: string): Promise<Worker> {
    const c = await CaseModel.findOne({ number }).lean()
    const w = workers.find((x) => x.id === String(c?.assigneeId))
    if (!w) throw new Error(`case ${number} is not with a grid worker`)
    return w
  }

  /** The task notice of a case to its grid worker. */
  async function taskOf(number: string): Promise<OutboxDoc> {
    return messageAbout(number, toPerson((await assigneeOf(number)).id), 'task')
  }

  /** The outbox message about a case to a recipient, of a kind (one expected). */
  async function messageAbout(number: string, to: object, kind: string): Promise<OutboxDoc> {
    const doc = await OutboxModel.findOne({
      ...to,
      kind,
      'refs.caseId': await caseIdOf(number),
    }).lean<OutboxDoc>()
    if (!doc) throw new Error(`no ${kind} message about ${number}`)
    return doc
  }

  /** What the mock world saw the bot say to a room or contact containing `text`. */
  const saidTo = (to: string, text: string) =>
    mock.delivered.filter((d) => d.to === to && d.text.includes(text))

  /** A resident reports in the group; resolves with the case number once the case exists. */
  async function reportInGroup(text: string): Promise<string> {
    const before = await CaseModel.countDocuments({})
    const messageId = mock.say({ from: resident.contactId, roomId, text, mentionBot: true })
    let number = ''
    await vi.waitFor(async () => {
      const reply = await OutboxModel.findOne({ 'refs.messageId': messageId, 'to.type': 'room' }).lean()
      number = NUMBER_RE.exec(reply?.text ?? '')?.[0] ?? ''
      expect(number).not.toBe('')
    }, WAIT)
    expect(await CaseModel.countDocuments({})).toBe(before + 1)
    numbers.push(number)
    return number
  }

  beforeAll(async () => {
    wecom = await startWeComStandin({ ...WECOM, users: ['wangwg', 'zhoujz'] })
    sms = await startTencentSmsStandIn({
      ...SMS,
      templates: { '2001': 1 },
      now: () => Date.now() + smsClockSkewMs,
    })
    wx = await startWechatApiStandIn({ ...MP, templates: { TPL_UPDATE: ['thing1'] } })
    world = await startServiceWorld(testDatabaseUri('failover'), {
      wecom: { corpId: WECOM.corpId, agentId: WECOM.agentId, secret: WECOM.secret, apiBase: wecom.apiBase },
      // SMS carries approved templates only: 「您反映的问题（工单{1}）有新进展，请在小程序查看」.
      sms: { ...SMS, endpoint: sms.endpoint, templates: { update: { id: '2001', params: ['caseNumber'] } } },
      wechat: MP,
      miniprogram: {
        apiBase: wx.apiBase,
        templates: {
          update: { id: 'TPL_UPDATE', kind: 'once', page: 'pages/case/detail', fields: { thing1: 'text' } },
        },
      },
      channels: { unavailableTries: 2 },
    })
    const bot = world.service.bot
    if (!bot?.mock) throw new Error('no mock world')
    mock = bot.mock
    holdTheAccount()
    roomId = world.rooms[0]?.id ?? ''
    const grid = world.seed.grids[0]
    if (!grid) throw new Error('no grid')
    const registry = world.service.services.registry
    workers = [
      { ...grid.primaryWorker, wecomUserId: 'wangwg' },
      { ...grid.partTimeWorker, wecomUserId: 'zhoujz' },
    ]
    for (const w of workers) await registry.updateResident(w.id, { wecomUserId: w.wecomUserId })
    const contact = mock.createContact('李奶奶')
    const li = await registry.createResident({
      name: '李奶奶',
      phone: PHONE,
      tags: ['独居老人'],
      communityId: world.seed.community.id,
      gridId: grid.id,
      wechat: { contactId: contact.id, openid: OPENID },
    })
    resident = { id: li.id, contactId: contact.id }
    // She allowed one 进度通知 in the mini-program (wx.requestSubscribeMessage → accept).
    wx.subscribe(OPENID, 'TPL_UPDATE', 1)
    const recorded = await api(li.id, 'POST', '/api/v1/me/subscriptions', {
      templateIds: ['TPL_UPDATE'],
      results: { TPL_UPDATE: 'accept' },
    })
    expect(recorded.status).toBe(200)
  }, 120_000)

  afterAll(async () => {
    vi.restoreAllMocks()
    await world?.stop()
    await Promise.all([wecom?.close(), sms?.close(), wx?.close()])
  })

  it('a. normal run: a report in the group, the task notice reaches the grid worker by Wechaty', async () => {
    expect(await channelStates()).toEqual({ wechaty: 'up', wecom_app: 'up', sms: 'up', mp_subscribe: 'up' })
    const number = await reportInGroup('2号楼1单元电梯按钮坏了按不亮')
    const worker = await assigneeOf(number)
    await vi.waitFor(() => expect(saidTo(worker.contactId, `【新工单】${number}`)).toHaveLength(1), WAIT)
    await vi.waitFor(() => expect(saidTo(roomId, number)).toHaveLength(1), WAIT)
    const task = await taskOf(number)
    expect(task.status).toBe('sent')
    expect(task.deliveredVia?.channel).toBe('wechaty')
    expect(wecom.deliveries).toHaveLength(0)
  })

  it('b. the bot is logged out mid-run: the task notice goes by WeCom, updates by subscribe message and SMS, the group reply waits', async () => {
    logoutOnNextSend = true
    const number = await reportInGroup('3号楼2单元楼道灯不亮了，晚上看不见')
    await vi.waitFor(() => expect(world.service.bot?.bot.status().loggedIn).toBe(false), WAIT)
    expect((await channelStates()).wechaty).toBe('down')
    expect(await wechatyHealthMetric()).toBe(0)

    // The grid worker hears of the new case once, through the WeCom app.
    await vi.waitFor(
      () => expect(wecom.deliveries.filter((d) => d.content.includes(number))).toHaveLength(1),
      WAIT,
    )
    expect(wecom.deliveries).toHaveLength(1)
    const worker = await assigneeOf(number)
    expect(wecom.deliveries[0]?.touser).toBe(worker.wecomUserId)
    const task = await taskOf(number)
    expect(task.status).toBe('sent')
    expect(task.deliveredVia).toMatchObject({ channel: 'wecom_app', address: worker.wecomUserId })

    // The worker works the first case from the mini-program; the resident hears of each step.
    const first = numbers[0] as string
    const firstWorker = await assigneeOf(first)
    const updatesToHer = () =>
      OutboxModel.find({ ...toPerson(resident.id), kind: 'update' })
        .sort({ _id: 1 })
        .lean<OutboxDoc[]>()
    expect((await api(firstWorker.id, 'POST', `/api/v1/cases/${first}/accept`, {})).status).toBe(200)
    await vi.waitFor(async () => expect((await updatesToHer()).map((u) => u.status)).toEqual(['sent']), WAIT)
    smsClockSkewMs += 31_000 // the next SMS to her number is past Tencent Cloud's 30-second limit
    const progress = await api(firstWorker.id, 'POST', `/api/v1/cases/${first}/progress`, {
      note: '已联系电梯维保，明天上午来修',
    })
    expect(progress.status).toBe(200)
    await vi.waitFor(
      async () => expect((await updatesToHer()).map((u) => u.status)).toEqual(['sent', 'sent']),
      WAIT,
    )
    const [accepted, progressed] = await updatesToHer()
    const smsText = { phone: `+86${PHONE}`, templateId: '2001' }
    if (elderlyGetSmsFirst()) {
      // Registry tags that read SMS best (channels.smsFirstTags): both by SMS, none by subscribe message.
      expect(accepted?.deliveredVia).toMatchObject({ channel: 'sms', address: '138****5678' })
      expect(progressed?.deliveredVia).toMatchObject({ channel: 'sms', address: '138****5678' })
      expect(sms.sent).toMatchObject([
        { ...smsText, params: [first] },
        { ...smsText, params: [first] },
      ])
      expect(wx.sent).toHaveLength(0)
    } else {
      // By subscribe message first (opening the case's page)…
      expect(accepted?.deliveredVia).toMatchObject({ channel: 'mp_subscribe', address: OPENID })
      expect(wx.sent).toHaveLength(1)
      expect(wx.sent[0]).toMatchObject({
        touser: OPENID,
        template_id: 'TPL_UPDATE',
        page: `pages/case/detail?number=${first}`,
      })
      expect(wx.sent[0]?.data.thing1?.value).toContain('您反映的问题')
      // …then, her one subscription spent, by SMS (the refusal recorded).
      expect(progressed?.deliveredVia).toMatchObject({ channel: 'sms', address: '138****5678' })
      expect(progressed?.attemptsLog?.map((a) => `${a.channel}:${a.kind}`)).toEqual([
        'mp_subscribe:recipient',
      ])
      expect(sms.sent).toMatchObject([{ ...smsText, params: [first] }])
    }

    // The reply in the group waits for the bot (a group is never failed over to a person's channel).
    const reply = await OutboxModel.findOne({
      'to.type': 'room',
      'to.id': roomId,
      text: { $regex: number },
    }).lean<OutboxDoc>()
    expect(reply?.status).toBe('queued')
    expect(reply?.deliveredVia?.channel).toBeUndefined()
    waitingReplyKey = reply?.key ?? ''
    expect(saidTo(roomId, number)).toHaveLength(0)
  })

  it('c. the WeCom server dies with task notices queued: they wait for the bot, none lost', async () => {
    wecom.goDown()
    const grid = world.seed.grids[0]?.id as string
    for (const text of ['1号楼2单元门口的垃圾桶满了没人清', '2号楼东侧的路灯坏了好几天']) {
      const res = await api(
        resident.id,
        'POST',
        '/api/v1/cases',
        { text, location: { gridId: grid } },
        { 'idempotency-key': `report-${numbers.length}-${Date.now()}` },
      )
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      numbers.push(res.body.case.number)
    }
    const queued = numbers.slice(2)
    // Each notice is tried on WeCom (refused, 503), then waits for the bot: queued, WeCom recorded as failed.
    await vi.waitFor(async () => {
      for (const number of queued) {
        const task = await taskOf(number)
        expect(task.status).toBe('queued')
        expect(task.channelsDone).toEqual(['wecom_app'])
      }
    }, WAIT)
    queuedTaskKeys = []
    for (const number of queued) {
      const task = await taskOf(number)
      expect(task.attemptsLog?.map((a) => `${a.channel}:${a.kind}`)).toEqual([
        'wecom_app:unavailable',
        'wecom_app:unavailable',
      ])
      queuedTaskKeys.push(task.key)
    }
    expect(wecom.refused).toBeGreaterThanOrEqual(4)
    expect(wecom.deliveries).toHaveLength(1)
    expect(await channelSendsMetric('wecom_app', 'failed', 'unavailable')).toBeGreaterThanOrEqual(4)
    expect((await channelStates()).wechaty).toBe('down')
  })

  it('d. the bot logs back in: the waiting group reply and task notices are delivered once', async () => {
    loginBlocked = false
    mock.mocker.login(mock.botUser)
    await vi.waitFor(() => expect(world.service.bot?.bot.status().loggedIn).toBe(true), WAIT)
    await vi.waitFor(async () => expect((await channelStates()).wechaty).toBe('up'), WAIT)
    expect(await wechatyHealthMetric()).toBe(1)

    const second = numbers[1] as string
    await vi.waitFor(() => expect(saidTo(roomId, second)).toHaveLength(1), WAIT)
    for (const number of numbers.slice(2)) {
      const worker = await assigneeOf(number)
      await vi.waitFor(() => expect(saidTo(worker.contactId, `【新工单】${number}`)).toHaveLength(1), WAIT)
    }
    await vi.waitFor(async () => {
      expect(await OutboxModel.countDocuments({ status: { $ne: 'sent' } })).toBe(0)
    }, WAIT)

    const reply = await OutboxModel.findOne({ key: waitingReplyKey }).lean<OutboxDoc>()
    expect(reply?.deliveredVia?.channel).toBe('wechaty')
    expect(reply?.attemptsLog?.map((a) => `${a.channel}:${a.kind}`)).toEqual(['wechaty:unavailable'])
    for (const number of numbers.slice(2)) {
      const task = await taskOf(number)
      expect(queuedTaskKeys).toContain(task.key)
      const worker = await assigneeOf(number)
      expect(task.deliveredVia).toMatchObject({ channel: 'wechaty', address: `contact:${worker.contactId}` })
    }
  })

  it('over the whole run: every message sent exactly once, by the channel recorded, none lost', async () => {
    const all = await OutboxModel.find({}).lean<OutboxDoc[]>()
    expect(all.filter((m) => m.status !== 'sent')).toEqual([])
    const by = (channel: string) => all.filter((m) => m.deliveredVia?.channel === channel)
    expect(all.every((m) => m.deliveredVia?.channel)).toBe(true)

    // Wechaty: each message said once in the mock world, and the bot said nothing else.
    const wechaty = by('wechaty')
    for (const m of wechaty) {
      const to = (m.deliveredVia?.address ?? '').replace(/^(room|contact):/, '')
      expect(
        mock.delivered.filter((d) => d.to === to && d.text === m.text),
        m.key,
      ).toHaveLength(1)
    }
    expect(mock.delivered).toHaveLength(wechaty.length)
    // The stand-ins: one delivery per message recorded as theirs.
    expect(wecom.deliveries.map((d) => d.touser)).toEqual(by('wecom_app').map((m) => m.deliveredVia?.address))
    expect(by('wecom_app')).toHaveLength(1)
    expect(wx.sent).toHaveLength(by('mp_subscribe').length)
    expect(sms.sent).toHaveLength(by('sms').length)
    expect(by('mp_subscribe').length + by('sms').length).toBe(2) // her two updates
    // Each case's task notice reached the grid worker once, whichever way.
    for (const number of numbers) {
      expect((await taskOf(number)).status).toBe('sent')
    }
    expect(numbers).toHaveLength(4)
  })
})
