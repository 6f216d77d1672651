import { describe, expect, it } from 'vitest'
import { signatureOf, WeComCrypto, WeComCryptoError } from './wecom-crypto.js'

// The official published vectors (WXBizMsgCrypt samples in the WeCom SDKs; document path/90968).
const OFFICIAL = {
  token: 'QDG6eK',
  receiveId: 'wx5823bf96d3bd56c7',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
}
const VERIFY_URL = {
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
}
export const OFFICIAL_MESSAGE = {
  msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
}

const official = () => new WeComCrypto(OFFICIAL)
const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return err instanceof WeComCryptoError ? err.code : 'other'
  }
  return 'accepted'
}

describe('WeCom callback crypto (official vectors)', () => {
  it('verifies the URL check vector and decrypts its echostr', () => {
    const v = VERIFY_URL
    expect(signatureOf(OFFICIAL.token, v.timestamp, v.nonce, v.echostr)).toBe(v.msgSignature)
    expect(official().open(v.msgSignature, v.timestamp, v.nonce, v.echostr)).toBe(v.plain)
  })

  it('decrypts the official message vector to the documented text message', () => {
    const m = OFFICIAL_MESSAGE
    const xml = official().open(m.msgSignature, m.timestamp, m.nonce, m.encrypt)
    expect(xml).toContain('<Content><![CDATA[hello]]></Content>')
    expect(xml).toContain('<MsgId>4561255354251345929</MsgId>')
    expect(xml).toContain('<FromUserName><![CDATA[mycreate]]></FromUserName>')
  })

  it('rejects a bad signature, a wrong corpid and a tampered ciphertext', () => {
    const m = OFFICIAL_MESSAGE
    const badSig = `${m.msgSignature.slice(0, -1)}0`
    expect(code(() => official().open(badSig, m.timestamp, m.nonce, m.encrypt))).toBe('BAD_SIGNATURE')
    expect(code(() => official().open(m.msgSignature, '1409659814', m.nonce, m.encrypt))).toBe(
      'BAD_SIGNATURE',
    )
    const otherCorp = new WeComCrypto({ ...OFFICIAL, receiveId: 'wwotherCorp000000' })
    expect(code(() => otherCorp.open(m.msgSignature, m.timestamp, m.nonce, m.encrypt))).toBe('BAD_RECEIVER')
    // Flip a byte in the last block: the padding no longer checks out.
    const raw = Buffer.from(m.encrypt, 'base64')
    raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 0x5a
    const tampered = raw.toString('base64')
    expect(code(() => official().decrypt(tampered))).not.toBe('accepted')
    // Re-signed tampering (someone who knows the token but not the key) is still refused.
    const sig = signatureOf(OFFICIAL.token, m.timestamp, m.nonce, tampered)
    expect(code(() => official().open(sig, m.timestamp, m.nonce, tampered))).not.toBe('accepted')
  })

  it('round-trips its own encryption with Chinese text, padding to 32-byte blocks', () => {
    const c = official()
    for (const text of ['接单 261207-0001', 'x'.repeat(12), '中'.repeat(100)]) {
      const sealed = c.seal(text, '1700000000', '42')
      expect(Buffer.from(sealed.encrypt, 'base64').length % 32).toBe(0)
      expect(c.open(sealed.msgSignature, '1700000000', '42', sealed.encrypt)).toBe(text)
    }
  })

  it('refuses an EncodingAESKey of the wrong length', () => {
    expect(code(() => new WeComCrypto({ ...OFFICIAL, encodingAesKey: 'short' }))).toBe('BAD_KEY')
  })
})
