import { afterEach, describe, expect, it } from 'vitest'
import { WeComMessageModel } from '../../src/models/wecom-message.model.js'
import { WeComCrypto } from '../../src/services/channels/wecom/wecom-crypto.js'
import { purgeOldWeComTexts, WECOM_TEXT } from '../../src/services/channels/wecom/wecom-inbox.js'
import { useTestDatabase } from '../db.js'
import type { WeComStandin } from '../standins/wecom-standin.js'
import { OFFICIAL, OFFICIAL_MESSAGE, VERIFY_URL } from '../standins/wecom-vectors.js'
import { makeApiWorld } from './api-world.js'
import { makeTargets } from './case-targets.js'
import { startWeComApi } from './wecom-world.js'

/** Staff over the WeCom self-built app: the callback through Koa, replies through the app's API. */
describe('WeCom callback (企业微信自建应用)', () => {
  useTestDatabase()
  let standin: WeComStandin | undefined
  afterEach(() => standin?.close())

  async function setup() {
    const world = await startWeComApi()
    standin = world.standin
    const { api, callback } = world
    const inbox = api.services.wecom.callback?.inbox
    if (!inbox) throw new Error('WeCom callback not configured')
    /** Posts one text message as WeCom would: encrypted, signed, in the envelope. */
    const say = (from: string, text: string, msgId: string) =>
      callback(
        `<xml><ToUserName><![CDATA[${OFFICIAL.receiveId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
          `<CreateTime>1764205200</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text}]]></Content>` +
          `<MsgId>${msgId}</MsgId><AgentID>1000002</AgentID></xml>`,
      )
    return { api, inbox, say, standin: world.standin }
  }

  it('answers the URL check with the decrypted echostr (official vector); a bad signature is 401', async () => {
    const { api } = await setup()
    const v = VERIFY_URL
    const q = (sig: string) =>
      `/wecom/callback?msg_signature=${sig}&timestamp=${v.timestamp}&nonce=${v.nonce}&echostr=${encodeURIComponent(v.echostr)}`
    const ok = await api.http.get(q(v.msgSignature))
    expect(ok.status).toBe(200)
    expect(ok.text).toBe(v.plain)
    const bad = await api.http.get(q('0'.repeat(40)))
    expect(bad.status).toBe(401)
    expect(bad.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: '企业微信回调签名校验失败' })
    const missing = await api.http.get('/wecom/callback?timestamp=1')
    expect(missing.status).toBe(400)
  })

  it('takes the official encrypted message, stores it once, and replies to an unbound sender through the app', async () => {
    const { api, inbox, standin } = await setup()
    const m = OFFICIAL_MESSAGE
    const post = () =>
      api.http
        .post(`/wecom/callback?msg_signature=${m.msgSignature}&timestamp=${m.timestamp}&nonce=${m.nonce}`)
        .set('content-type', 'text/xml')
        .send(
          `<xml><ToUserName><![CDATA[${OFFICIAL.receiveId}]]></ToUserName><Encrypt><![CDATA[${m.encrypt}]]></Encrypt></xml>`,
        )
    const res = await post()
    expect(res.status).toBe(200)
    expect(res.text).toBe('')
    await inbox.drain()
    const again = await post() // WeCom retries when it did not hear back in time
    expect(again.status).toBe(200)
    await inbox.drain()
    expect(standin.deliveries.map((d) => [d.touser, d.content])).toEqual([['mycreate', WECOM_TEXT.notBound]])
    const stored = await WeComMessageModel.findById('wecom:4561255354251345929').lean()
    expect(stored).toMatchObject({
      fromUserId: 'mycreate',
      text: 'hello',
      state: 'handled',
      outcome: 'wecom:not-bound',
    })
    // Retention blanks the words and keeps the record.
    expect(await purgeOldWeComTexts(new Date(Date.now() + 86_400_000), '（已清除）')).toBe(1)
    const purged = await WeComMessageModel.findById('wecom:4561255354251345929').lean()
    expect(purged).toMatchObject({ text: '（已清除）', replies: [{ text: '（已清除）' }], state: 'handled' })
  })

  it('a grid worker sends 「接单 <number>」 over WeCom: the case is accepted and the reply reaches them', async () => {
    const { api, inbox, say, standin } = await setup()
    const w = await makeApiWorld(api)
    const t = await makeTargets(api, w)
    const n = await t.fresh('assigned')
    await api.services.registry.updateResident(String(w.worker._id), { wecomUserId: 'wangwangge' })
    // One person per WeCom account: a second binding is refused.
    await expect(
      api.services.registry.updateResident(String(w.worker2._id), { wecomUserId: 'wangwangge' }),
    ).rejects.toThrow('该企业微信账号已经关联了其他人员')

    expect((await say('wangwangge', `接单 ${n}`, '900001')).status).toBe(200)
    await inbox.drain()
    const c = await api.services.cases.get(n)
    expect(c.status).toBe('in_progress')
    expect(standin.deliveries).toHaveLength(1)
    expect(standin.deliveries[0]).toMatchObject({ touser: 'wangwangge', msgtype: 'text' })
    expect(standin.deliveries[0]?.content).toContain(`已接单 ${n}`)

    // The token expires mid-run: the next reply still arrives after one refresh.
    standin.expireTokens()
    await say('wangwangge', `进展 ${n} 已联系物业更换灯泡`, '900002')
    await say('wangwangge', '你好', '900003')
    await inbox.drain()
    expect(standin.tokensIssued).toBe(2)
    expect(standin.deliveries.map((d) => d.content).slice(1)).toEqual([
      expect.stringContaining(n),
      WECOM_TEXT.help,
    ])
    const timeline = (await api.services.cases.get(n)).timeline.map((e) => e.action)
    expect(timeline).toContain('progress')
  })

  it('refuses a forged or tampered callback with 401 and a malformed body with 400, never 500', async () => {
    const { api, standin } = await setup()
    const stranger = new WeComCrypto({ ...OFFICIAL, receiveId: 'wwstrangercorp01' })
    const sealed = stranger.seal(
      '<xml><FromUserName>x</FromUserName><MsgType>text</MsgType><Content>接单 1</Content><MsgId>1</MsgId></xml>',
      '1',
      '2',
    )
    const wrongCorp = await api.http
      .post(`/wecom/callback?msg_signature=${sealed.msgSignature}&timestamp=1&nonce=2`)
      .set('content-type', 'text/xml')
      .send(sealed.xml)
    expect(wrongCorp.status).toBe(401)
    const tampered = sealed.xml.replace(sealed.encrypt, `A${sealed.encrypt.slice(1)}`)
    const t2 = await api.http
      .post(`/wecom/callback?msg_signature=${sealed.msgSignature}&timestamp=1&nonce=2`)
      .set('content-type', 'text/xml')
      .send(tampered)
    expect(t2.status).toBe(401)
    for (const body of [
      'not xml',
      '<xml><Encrypt>a</Encrypt><x><y/></x></xml>',
      '<!DOCTYPE x [<!ENTITY e "e">]><xml/>',
    ]) {
      const res = await api.http
        .post('/wecom/callback?msg_signature=a&timestamp=1&nonce=2')
        .set('content-type', 'text/xml')
        .send(body)
      expect(res.status, body).toBe(400)
    }
    expect(standin.deliveries).toHaveLength(0)
    expect(await WeComMessageModel.countDocuments()).toBe(0)
  })
})
