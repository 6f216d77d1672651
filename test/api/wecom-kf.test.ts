import { afterEach, describe, expect, it } from 'vitest'
import { TEXT } from '../../src/handlers/chat-texts.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { KfMessageModel } from '../../src/models/wecom-kf.model.js'
import { WeComCrypto } from '../../src/services/channels/wecom/wecom-crypto.js'
import { useTestDatabase } from '../db.js'
import { startWeComStandin, type WeComStandin } from '../standins/wecom-standin.js'
import { OFFICIAL } from '../standins/wecom-vectors.js'
import { makeApiApp } from './api-world.js'

const KF = 'wkLinliKF01'

/** Residents over 微信客服: the callback event through Koa, kf/sync_msg, the chat, kf/send_msg. */
describe('微信客服 inbound (kf_msg_or_event → sync_msg → chat → send_msg)', () => {
  useTestDatabase()
  let standin: WeComStandin | undefined
  afterEach(() => standin?.close())

  async function setup() {
    standin = await startWeComStandin({
      corpId: OFFICIAL.receiveId,
      secret: 'corp-secret',
      agentId: 1000002,
      users: [],
      kf: { openKfIds: [KF] },
    })
    const api = makeApiApp(undefined, {
      WECOM_CORP_ID: OFFICIAL.receiveId,
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'corp-secret',
      WECOM_TOKEN: OFFICIAL.token,
      WECOM_ENCODING_AES_KEY: OFFICIAL.encodingAesKey,
      WECOM_API_BASE: standin.apiBase,
      WECOM_KF_ENABLED: 'true',
      WECOM_KF_OPEN_KFID: KF,
    })
    const inbox = api.services.wecom.kf?.inbox
    if (!inbox) throw new Error('微信客服 not configured')
    const crypto = new WeComCrypto(OFFICIAL)
    const s = standin
    /** The resident writes; WeCom posts the encrypted kf_msg_or_event carrying the sync Token. */
    const residentWrites = (externalUserId: string, text: string) => {
      const token = s.kf.inbound(KF, externalUserId, text)
      const inner =
        `<xml><ToUserName><![CDATA[${OFFICIAL.receiveId}]]></ToUserName><CreateTime>1764205200</CreateTime>` +
        `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>` +
        `<Token><![CDATA[${token}]]></Token><OpenKfId><![CDATA[${KF}]]></OpenKfId></xml>`
      const sealed = crypto.seal(inner, '1764205200', '7788')
      return api.http
        .post(`/wecom/callback?msg_signature=${sealed.msgSignature}&timestamp=1764205200&nonce=7788`)
        .set('content-type', 'text/xml')
        .send(sealed.xml)
    }
    return { api, inbox, residentWrites, standin: s }
  }

  it('answers an unknown sender through the chat handler over kf/send_msg and stores the message', async () => {
    const { inbox, residentWrites, standin } = await setup()
    const res = await residentWrites('wmStranger', '你好')
    expect(res.status).toBe(200)
    expect(res.text).toBe('')
    await inbox.drain()
    expect(standin.kf.deliveries.length).toBeGreaterThan(0)
    expect(standin.kf.deliveries[0]).toMatchObject({ touser: 'wmStranger', openKfId: KF })
    expect(standin.kf.deliveries[0]?.content).not.toBe('')
    expect(standin.kf.deliveries.map((d) => d.content).join('\n')).not.toContain(TEXT.apology)
    const stored = await KfMessageModel.findOne({ externalUserId: 'wmStranger' }).lean()
    expect(stored).toMatchObject({ text: '你好', state: 'handled', openKfId: KF })
    expect(stored?.replies.length).toBe(standin.kf.deliveries.length)
    // The sender is now a person reachable over 微信客服.
    expect(await ResidentModel.countDocuments({ wecomExternalUserId: 'wmStranger' })).toBe(1)
  })

  it('a known resident is answered as themselves; a repeated event reads nothing twice', async () => {
    const { api, inbox, residentWrites, standin } = await setup()
    const me = await api.services.registry.createResident({
      name: '王阿姨',
      roles: ['resident'],
      wecomExternalUserId: 'wmWang',
    })
    await residentWrites('wmWang', '你好')
    await inbox.drain()
    const before = standin.kf.deliveries.length
    expect(before).toBeGreaterThan(0)
    expect(await ResidentModel.countDocuments({ wecomExternalUserId: 'wmWang' })).toBe(1)
    await residentWrites('wmWang', '谢谢')
    await inbox.drain()
    expect(await KfMessageModel.countDocuments({ externalUserId: 'wmWang' })).toBe(2)
    expect(standin.kf.deliveries.length).toBeGreaterThan(before)
    expect(standin.kf.deliveries.every((d) => d.touser === 'wmWang')).toBe(true)
    expect((await ResidentModel.findOne({ wecomExternalUserId: 'wmWang' }).lean())?._id.toString()).toBe(
      me.id,
    )
  })
})
