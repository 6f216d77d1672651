import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../../test/db.js'
import { createPerson } from '../../../../test/factories.js'
import { startWeComStandin, type WeComStandin } from '../../../../test/standins/wecom-standin.js'
import { systemClock } from '../../../lib/clock.js'
import { createFieldCrypto } from '../../../lib/crypto.js'
import { silentLogger } from '../../../lib/logger.js'
import { OutboxModel } from '../../../models/outbox.model.js'
import { ResidentModel } from '../../../models/registry.model.js'
import { KfCursorModel, KfMessageModel, KfSlotModel } from '../../../models/wecom-kf.model.js'
import { createMemoryTransport } from '../../outbox/memory-transport.js'
import { createOutboxSender } from '../../outbox/outbox.sender.js'
import { createOutbox } from '../../outbox/outbox.service.js'
import { testLimits } from '../../outbox/outbox.test-helper.js'
import { ChannelError, type ChannelMessage } from '../channel.js'
import { createChannelRegistry } from '../channels.registry.js'
import { routeMessage } from '../channels.route.js'
import { createScriptedChannel } from '../scripted-channel.js'
import { kfMsgId, WeComKfChannel } from './kf-channel.js'
import { syncKfMessages } from './kf-sync.js'
import { WeComClient } from './wecom-client.js'

useTestDatabase()

const KF = 'wkLinliKF01'
const crypto = createFieldCrypto({ env: 'test' })
const RESIDENT = 'wmResidentWang'
let standin: WeComStandin
beforeEach(async () => {
  standin = await startWeComStandin({
    corpId: 'wwlinli',
    secret: 'kf-secret',
    agentId: 1,
    users: [],
    kf: { openKfIds: [KF], pageSize: 2 },
  })
})
afterEach(() => standin.close())

function setup(openKfId = KF) {
  const client = new WeComClient({
    corpId: 'wwlinli',
    secret: 'kf-secret',
    agentId: 0,
    apiBase: standin.apiBase,
  })
  return { client, channel: new WeComKfChannel(client, openKfId, systemClock) }
}

/** The resident writes to the 客服账号 and Linli reads it (the callback's Token, kf/sync_msg). */
async function residentWrites(client: WeComClient, text: string, secondsAgo = 0) {
  const token = standin.kf.inbound(KF, RESIDENT, text, secondsAgo)
  return syncKfMessages(client, KF, token, systemClock)
}

const msg = (key: string, text = '您反映的路灯已修好'): ChannelMessage => ({ key, purpose: 'update', text })
const to = { channel: 'wecom_kf' as const, id: RESIDENT }
const sendCalls = () => standin.calls.filter((c) => c === '/cgi-bin/kf/send_msg').length

async function refusal(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ChannelError)
  return err as ChannelError
}

describe('微信客服 channel (kf/send_msg within the window)', () => {
  it('sends within the window with the outbox key as msgid; an expired token is refreshed once', async () => {
    const { client, channel } = setup()
    await residentWrites(client, '路灯坏了')
    const sent = await channel.send(to, msg('update:case-1:1'))
    expect(sent.providerMessageId).toBe(kfMsgId('update:case-1:1'))
    standin.expireTokens()
    await channel.send(to, msg('update:case-1:2', '师傅明天上午到'))
    expect(standin.tokensIssued).toBe(2)
    expect(standin.kf.deliveries.map((d) => [d.touser, d.openKfId, d.content])).toEqual([
      [RESIDENT, KF, '您反映的路灯已修好'],
      [RESIDENT, KF, '师傅明天上午到'],
    ])
    // The same outbox key again (a retry) is not sent twice.
    expect(await channel.send(to, msg('update:case-1:1'))).toEqual(sent)
    expect(standin.kf.deliveries).toHaveLength(2)
    expect(channel.health().state).toBe('up')
  })

  it('refuses the 6th message of a window as `recipient` without calling WeChat; a new message reopens it', async () => {
    const { client, channel } = setup()
    await residentWrites(client, '你好')
    for (let i = 1; i <= 5; i++) await channel.send(to, msg(`k${i}`))
    const e = await refusal(channel.send(to, msg('k6')))
    expect(e.kind).toBe('recipient')
    expect(e.providerCode).toBe(95001)
    expect(sendCalls()).toBe(5)
    expect(standin.kf.deliveries).toHaveLength(5)
    // The resident writes again: five more may go.
    await residentWrites(client, '还有一个问题')
    await channel.send(to, msg('k6'))
    expect(standin.kf.deliveries).toHaveLength(6)
    expect(channel.health().state).toBe('up')
  })

  it('refuses after 48 hours, and to a resident who never wrote, before calling WeChat', async () => {
    const { client, channel } = setup()
    expect((await refusal(channel.send(to, msg('a')))).kind).toBe('recipient')
    await residentWrites(client, '在吗', 49 * 3600)
    const e = await refusal(channel.send(to, msg('b')))
    expect(e).toMatchObject({ kind: 'recipient', providerCode: 95002 })
    expect(sendCalls()).toBe(0)
  })

  it('when WeChat counts more than Linli (a servicer wrote too), its 95001 closes the window here', async () => {
    const { client, channel } = setup()
    await residentWrites(client, '你好')
    standin.kf.servicerSent(KF, RESIDENT, 4)
    await channel.send(to, msg('k1'))
    const e = await refusal(channel.send(to, msg('k2')))
    expect(e).toMatchObject({ kind: 'recipient', providerCode: 95001 })
    expect(sendCalls()).toBe(2)
    // The next send is refused before calling WeChat.
    expect((await refusal(channel.send(to, msg('k3')))).kind).toBe('recipient')
    expect(sendCalls()).toBe(2)
    expect(channel.health().state).toBe('up')
  })

  it('two concurrent sends for slot 5: exactly one goes out', async () => {
    const { client, channel } = setup()
    await residentWrites(client, '你好')
    for (let i = 1; i <= 4; i++) await channel.send(to, msg(`k${i}`))
    const results = await Promise.allSettled([channel.send(to, msg('a5')), channel.send(to, msg('b5'))])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as ChannelError).kind).toBe('recipient')
    expect(standin.kf.deliveries).toHaveLength(5)
    expect(await KfSlotModel.countDocuments({})).toBe(5)
  })

  it('the stand-in refuses what WeChat refuses: an unknown open_kfid makes the channel down', async () => {
    const { channel } = setup('wkUnknown')
    // A window recorded for that account (as if read from it), so the refusal comes from WeChat.
    await KfMessageModel.create({
      _id: 'kf:x1',
      openKfId: 'wkUnknown',
      externalUserId: RESIDENT,
      msgType: 'text',
      sendTime: new Date(),
      receivedAt: new Date(),
    })
    const e = await refusal(channel.send(to, msg('z')))
    expect(e).toMatchObject({ kind: 'auth', providerCode: 95000 })
    expect(channel.health().state).toBe('down')
  })
})

describe('微信客服 inbound (kf/sync_msg)', () => {
  it('reads from the stored cursor page by page; nothing is read twice; a wrong token is refused', async () => {
    const { client } = setup()
    standin.kf.inbound(KF, RESIDENT, '一')
    standin.kf.inbound(KF, 'wmOther', '二')
    const token = standin.kf.inbound(KF, RESIDENT, '三')
    const first = await syncKfMessages(client, KF, token, systemClock)
    expect(first.map((m) => m.externalUserId)).toEqual([RESIDENT, 'wmOther', RESIDENT])
    expect((await KfCursorModel.findById(KF).lean())?.cursor).toBe('c3')
    // As after a restart: the next sync starts at the stored cursor.
    const token2 = standin.kf.inbound(KF, 'wmOther', '四')
    const second = await syncKfMessages(client, KF, token2, systemClock)
    expect(second).toHaveLength(1)
    expect(await KfMessageModel.countDocuments({})).toBe(4)
    const bad = await refusal(syncKfMessages(client, KF, 'forged-token', systemClock))
    expect(bad.providerCode).toBe(95007)
  })
})

describe('routing to 微信客服', () => {
  it('a person with an external_userid is reachable by wecom_kf when the channel is set up', async () => {
    const { channel } = setup()
    const p = await createPerson('王阿姨')
    await ResidentModel.updateOne({ _id: p._id }, { $set: { wecomExternalUserId: RESIDENT } })
    const registry = createChannelRegistry({
      channels: [channel],
      config: { order: { update: ['wechaty', 'wecom_kf'] } },
      timezone: 'Asia/Shanghai',
    })
    const route = await routeMessage({
      to: { type: 'person', id: String(p._id) },
      purpose: 'update',
      registry,
      now: new Date(),
    })
    expect(route).toEqual({ usable: [{ channel: 'wecom_kf', id: RESIDENT }], waiting: [] })
  })
})

/** The outbox with 微信客服 first and SMS (scripted) after it, for updates to a person. */
async function outboxWorld() {
  const { client, channel: kf } = setup()
  const sms = createScriptedChannel('sms', ['update'])
  const outbox = createOutbox({ clock: systemClock })
  const sender = createOutboxSender({
    limits: testLimits({ perMinute: 60_000, jitterMs: 0, maxAttempts: 6 }),
    timezone: 'Asia/Shanghai',
    logger: silentLogger,
    transport: createMemoryTransport(),
    channels: createChannelRegistry({
      channels: [kf, sms],
      config: { order: { update: ['wecom_kf', 'sms'] }, limits: {}, unavailableTries: 2 },
      timezone: 'Asia/Shanghai',
    }),
    crypto,
    outbox,
    retryBaseMs: 20,
    idleMs: 10,
  })
  const person = await ResidentModel.create({
    name: '王阿姨',
    token: 't-wang',
    wecomExternalUserId: 'wmWang',
    phoneEnc: crypto.encrypt('13800138000'),
  })
  const update = (key: string) =>
    outbox.enqueue({
      key,
      to: { type: 'person', id: String(person._id) },
      text: '您反映的路灯已修好',
      kind: 'update',
    })
  const drain = async () => {
    for (let i = 0; i < 50; i++) {
      const r = await sender.sendNext()
      if (r === 'idle' || r === 'budget' || r === 'offline') break
    }
  }
  return { client, sms, update, drain }
}

describe('微信客服 in the outbox', () => {
  it('delivers over 微信客服 within the window, and fails over to the next channel outside it', async () => {
    const { client, sms, update, drain } = await outboxWorld()
    // No message from the resident yet: 微信客服 refuses before calling WeChat, SMS carries it.
    await update('u-1')
    await drain()
    expect(standin.calls).not.toContain('/cgi-bin/kf/send_msg')
    expect(sms.delivered.map((d) => d.message.key)).toEqual(['u-1'])
    // She writes to the 客服账号: the next update goes over 微信客服.
    await syncKfMessages(client, KF, standin.kf.inbound(KF, 'wmWang', '路灯修了吗'), systemClock)
    await update('u-2')
    await drain()
    expect(standin.kf.deliveries.map((d) => [d.touser, d.content])).toEqual([
      ['wmWang', '您反映的路灯已修好'],
    ])
    const docs = await OutboxModel.find().sort({ key: 1 }).lean()
    expect(docs.map((d) => [d.key, d.status, d.deliveredVia?.channel])).toEqual([
      ['u-1', 'sent', 'sms'],
      ['u-2', 'sent', 'wecom_kf'],
    ])
  })
})
