import { afterEach, describe, expect, it } from 'vitest'
import { TEXT } from '../../src/handlers/chat-texts.js'
import { ResidentModel } from '../../src/models/registry.model.js'
import { KfMessageModel } from '../../src/models/wecom-kf.model.js'
import { purgeOldWeComTexts } from '../../src/services/channels/wecom/wecom-inbox.js'
import { useTestDatabase } from '../db.js'
import type { WeComStandin } from '../standins/wecom-standin.js'
import { OFFICIAL } from '../standins/wecom-vectors.js'
import { startWeComApi } from './wecom-world.js'

const KF = 'wkLinliKF01'

/** Residents over 微信客服: the callback event through Koa, kf/sync_msg, the chat, kf/send_msg. */
describe('微信客服 inbound (kf_msg_or_event → sync_msg → chat → send_msg)', () => {
  useTestDatabase()
  let standin: WeComStandin | undefined
  afterEach(() => standin?.close())

  async function setup() {
    const world = await startWeComApi({
      kf: { openKfIds: [KF] },
      env: { WECOM_KF_ENABLED: 'true', WECOM_KF_OPEN_KFID: KF },
    })
    standin = world.standin
    const inbox = world.api.services.wecom.kf?.inbox
    if (!inbox) throw new Error('微信客服 not configured')
    const s = world.standin
    /** The resident writes; WeCom posts the encrypted kf_msg_or_event carrying the sync Token. */
    const residentWrites = (externalUserId: string, text: string) =>
      world.callback(
        `<xml><ToUserName><![CDATA[${OFFICIAL.receiveId}]]></ToUserName><CreateTime>1764205200</CreateTime>` +
          `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>` +
          `<Token><![CDATA[${s.kf.inbound(KF, externalUserId, text)}]]></Token><OpenKfId><![CDATA[${KF}]]></OpenKfId></xml>`,
      )
    return { api: world.api, inbox, residentWrites, standin: s }
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
    // Retention blanks the words (and the replies'), keeps the record.
    expect(await purgeOldWeComTexts(new Date(Date.now() + 86_400_000), '（已清除）')).toBe(1)
    const purged = await KfMessageModel.findOne({ externalUserId: 'wmStranger' }).lean()
    expect(purged?.text).toBe('（已清除）')
    expect(purged?.replies.every((r) => r.text === '（已清除）')).toBe(true)
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
    // An event of another 客服账号 of the corp is not read (its customers cannot be answered from ours).
    expect(inbox.notify('wkOtherAccount', 'ENCtoken')).toBe(false)
    // The menu asked for a digit: the answer is read as the menu choice (the question was recorded).
    await residentWrites('wmWang', '4')
    await inbox.drain()
    expect(standin.kf.deliveries.at(-1)?.content).toBe('您目前没有工单。需要报事请回复 1。')
    expect(await KfMessageModel.countDocuments({ externalUserId: 'wmWang' })).toBe(2)
    expect(standin.kf.deliveries.length).toBeGreaterThan(before)
    expect(standin.kf.deliveries.every((d) => d.touser === 'wmWang')).toBe(true)
    expect((await ResidentModel.findOne({ wecomExternalUserId: 'wmWang' }).lean())?._id.toString()).toBe(
      me.id,
    )
  })
})
