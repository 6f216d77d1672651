import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../../test/db.js'
import { startWeComStandin, type WeComStandin } from '../../../../test/standins/wecom-standin.js'
import { systemClock } from '../../../lib/clock.js'
import { createFieldCrypto } from '../../../lib/crypto.js'
import { silentLogger } from '../../../lib/logger.js'
import { OutboxModel } from '../../../models/outbox.model.js'
import { ResidentModel } from '../../../models/registry.model.js'
import { createMemoryTransport } from '../../outbox/memory-transport.js'
import { createOutboxSender } from '../../outbox/outbox.sender.js'
import { createOutbox } from '../../outbox/outbox.service.js'
import { testLimits } from '../../outbox/outbox.test-helper.js'
import { createChannelRegistry } from '../channels.registry.js'
import { createScriptedChannel } from '../scripted-channel.js'
import { WeComKfChannel } from './kf-channel.js'
import { syncKfMessages } from './kf-sync.js'
import { WeComClient } from './wecom-client.js'

useTestDatabase()

const KF = 'wkLinliKF01'
const crypto = createFieldCrypto({ env: 'test' })
let standin: WeComStandin
beforeEach(async () => {
  standin = await startWeComStandin({
    corpId: 'wwlinli',
    secret: 's',
    agentId: 1,
    users: [],
    kf: { openKfIds: [KF] },
  })
})
afterEach(() => standin.close())

/** The outbox with 微信客服 first and SMS (scripted) after it, for updates to a person. */
async function world() {
  const client = new WeComClient({ corpId: 'wwlinli', secret: 's', agentId: 0, apiBase: standin.apiBase })
  const kf = new WeComKfChannel(client, KF, systemClock)
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
    const { client, sms, update, drain } = await world()
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
