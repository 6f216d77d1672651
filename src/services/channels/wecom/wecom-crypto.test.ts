import { describe, expect, it } from 'vitest'
import { OFFICIAL, OFFICIAL_MESSAGE, VERIFY_URL } from '../../../../test/standins/wecom-vectors.js'
import { signatureOf, WeComCrypto, WeComCryptoError } from './wecom-crypto.js'

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
