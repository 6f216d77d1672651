import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The WeCom callback encryption scheme (企业微信开发者中心 › 回调和回复的加解密方案,
 * https://developer.work.weixin.qq.com/document/path/90968; reference implementation: the official
 * WXBizMsgCrypt samples).
 *
 * - msg_signature = sha1(sort([token, timestamp, nonce, encrypt]).join(''))
 * - AES-256-CBC, key = base64(EncodingAESKey + '='), IV = key[0..16], PKCS#7 padding to 32-byte blocks
 * - plaintext = 16 random bytes ‖ 4-byte big-endian length ‖ message ‖ receiveid (the corpid)
 */

/** Why a callback was refused; never carries the secret material. */
export class WeComCryptoError extends Error {
  constructor(
    readonly code: 'BAD_SIGNATURE' | 'BAD_CIPHERTEXT' | 'BAD_RECEIVER' | 'BAD_KEY',
    message: string,
  ) {
    super(message)
    this.name = 'WeComCryptoError'
  }
}

export interface WeComCryptoOptions {
  token: string
  /** The 43-character EncodingAESKey from the app's callback settings. */
  encodingAesKey: string
  /** The receiveid checked on decrypt: the corpid for a self-built app. */
  receiveId: string
}

const BLOCK = 32

export function signatureOf(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex')
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase())
  const y = Buffer.from(b.toLowerCase())
  return x.length === y.length && timingSafeEqual(x, y)
}

export class WeComCrypto {
  private readonly key: Buffer
  private readonly iv: Buffer

  constructor(private readonly options: WeComCryptoOptions) {
    if (options.encodingAesKey.length !== 43)
      throw new WeComCryptoError('BAD_KEY', 'EncodingAESKey must be 43 characters')
    this.key = Buffer.from(`${options.encodingAesKey}=`, 'base64')
    if (this.key.length !== 32)
      throw new WeComCryptoError('BAD_KEY', 'EncodingAESKey does not decode to 32 bytes')
    this.iv = this.key.subarray(0, 16)
  }

  signature(timestamp: string, nonce: string, encrypt: string): string {
    return signatureOf(this.options.token, timestamp, nonce, encrypt)
  }

  /** Checks msg_signature over the ciphertext; throws BAD_SIGNATURE. */
  verify(msgSignature: string, timestamp: string, nonce: string, encrypt: string): void {
    if (!msgSignature || !sameHex(this.signature(timestamp, nonce, encrypt), msgSignature)) {
      throw new WeComCryptoError('BAD_SIGNATURE', 'msg_signature does not match')
    }
  }

  /** Verifies then decrypts (the GET echostr or the POST <Encrypt> field). */
  open(msgSignature: string, timestamp: string, nonce: string, encrypt: string): string {
    this.verify(msgSignature, timestamp, nonce, encrypt)
    return this.decrypt(encrypt)
  }

  decrypt(encrypt: string): string {
    let plain: Buffer
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv)
      decipher.setAutoPadding(false)
      plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()])
    } catch {
      throw new WeComCryptoError('BAD_CIPHERTEXT', 'ciphertext cannot be decrypted')
    }
    const pad = plain.at(-1) ?? 0
    if (
      pad < 1 ||
      pad > BLOCK ||
      pad > plain.length ||
      plain.subarray(plain.length - pad).some((b) => b !== pad)
    ) {
      throw new WeComCryptoError('BAD_CIPHERTEXT', 'bad padding')
    }
    const body = plain.subarray(0, plain.length - pad)
    if (body.length < 20) throw new WeComCryptoError('BAD_CIPHERTEXT', 'plaintext too short')
    const len = body.readUInt32BE(16)
    if (20 + len > body.length) throw new WeComCryptoError('BAD_CIPHERTEXT', 'bad message length')
    const message = body.subarray(20, 20 + len).toString('utf8')
    const receiveId = body.subarray(20 + len).toString('utf8')
    if (receiveId !== this.options.receiveId)
      throw new WeComCryptoError('BAD_RECEIVER', 'receiveid does not match')
    return message
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const msg = Buffer.from(message, 'utf8')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(msg.length)
    const body = Buffer.concat([random, len, msg, Buffer.from(this.options.receiveId, 'utf8')])
    const pad = BLOCK - (body.length % BLOCK)
    const padded = Buffer.concat([body, Buffer.alloc(pad, pad)])
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv)
    cipher.setAutoPadding(false)
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
  }

  /** The encrypted passive-reply envelope (also what a test sends as a callback body). */
  seal(
    message: string,
    timestamp: string,
    nonce: string,
  ): { encrypt: string; msgSignature: string; xml: string } {
    const encrypt = this.encrypt(message)
    const msgSignature = this.signature(timestamp, nonce, encrypt)
    const xml =
      `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${msgSignature}]]></MsgSignature>` +
      `<TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`
    return { encrypt, msgSignature, xml }
  }
}
