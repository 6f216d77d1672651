import { WeComCrypto } from '../../src/services/channels/wecom/wecom-crypto.js'
import type { KfStandinOptions } from '../standins/wecom-kf-standin.js'
import { startWeComStandin } from '../standins/wecom-standin.js'
import { OFFICIAL } from '../standins/wecom-vectors.js'
import { type ApiApp, makeApiApp } from './api-world.js'

/**
 * The API with WeCom set up against the loopback stand-in (the official vectors' corp, Token and
 * EncodingAESKey): `callback(inner)` posts a decrypted callback XML as WeCom would, sealed and signed.
 */
export async function startWeComApi(options: { kf?: KfStandinOptions; env?: Record<string, string> } = {}) {
  const standin = await startWeComStandin({
    corpId: OFFICIAL.receiveId,
    secret: 'corp-secret',
    agentId: 1000002,
    users: ['wangwangge', 'mycreate'],
    ...(options.kf ? { kf: options.kf } : {}),
  })
  const api: ApiApp = makeApiApp(undefined, {
    WECOM_CORP_ID: OFFICIAL.receiveId,
    WECOM_AGENT_ID: '1000002',
    WECOM_SECRET: 'corp-secret',
    WECOM_TOKEN: OFFICIAL.token,
    WECOM_ENCODING_AES_KEY: OFFICIAL.encodingAesKey,
    WECOM_API_BASE: standin.apiBase,
    ...options.env,
  })
  const crypto = new WeComCrypto(OFFICIAL)
  const callback = (inner: string, timestamp = '1764205200', nonce = '5150') => {
    const sealed = crypto.seal(inner, timestamp, nonce)
    return api.http
      .post(`/wecom/callback?msg_signature=${sealed.msgSignature}&timestamp=${timestamp}&nonce=${nonce}`)
      .set('content-type', 'text/xml')
      .send(sealed.xml)
  }
  return { api, standin, crypto, callback }
}
