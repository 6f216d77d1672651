import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import type { Config } from './config.js'
import type { Logger } from './logger.js'

/**
 * Field encryption for personal numbers at rest (AES-256-GCM) and keyed hashes for exact lookup.
 *
 * A ciphertext is `v1.<keyId>.<iv>.<tag>.<data>` (base64url parts). The key id is derived from the
 * key itself, so a value encrypted under an older key is decrypted with that key as long as it is
 * listed in `secrets.previousEncryptionKeys`; new values always use the current key.
 */
export interface FieldCrypto {
  /** Id of the key new values are encrypted with. */
  readonly keyId: string
  encrypt(plain: string): string
  /** Throws when the value was encrypted with a key that is no longer configured, or was altered. */
  decrypt(sealed: string): string
  /** True when `sealed` was written with an older key and should be re-encrypted. */
  needsReencrypt(sealed: string): boolean
  /** HMAC-SHA256 (hex) of the normalised value, for exact search by phone or ID number. */
  lookupHash(kind: LookupKind, value: string): string
}

export type LookupKind = 'phone' | 'idNumber'

export interface FieldCryptoOptions {
  /** 32 bytes as 64 hex characters or base64. */
  encryptionKey?: string
  /** Older keys, comma separated, accepted for decryption only. */
  previousEncryptionKeys?: string
  /** Secret the lookup hashes are keyed with (`secrets.tokenSecret`). */
  hashSecret?: string
  env: 'development' | 'test' | 'production'
  logger?: Logger
}

const VERSION = 'v1'
const DEV_KEY_SEED = 'linli development key - never use in production'
const DEV_HASH_SEED = 'linli development lookup secret - never use in production'
let warnedDevKey = false

/** Strips spaces and dashes, drops a +86/86 country prefix: the form phones are hashed in. */
export function normalizePhone(phone: string): string {
  const digits = phone.replace(/[\s\-()（）]/g, '').replace(/^\+/, '')
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits
}

/** Strips spaces and uppercases the check letter X: the form ID numbers are hashed in. */
export function normalizeIdNumber(id: string): string {
  return id.replace(/\s/g, '').toUpperCase()
}

function parseKey(text: string, what: string): Buffer {
  const t = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== 32) throw new Error(`${what}: expected 32 bytes as 64 hex characters or base64`)
  return key
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('linli-key-id').update(key).digest('base64url').slice(0, 8)
}

const b64 = (b: Buffer) => b.toString('base64url')

function resolveKeys(options: FieldCryptoOptions): { current: Buffer; all: Map<string, Buffer> } {
  let current: Buffer
  if (options.encryptionKey) {
    current = parseKey(options.encryptionKey, 'secrets.encryptionKey')
  } else {
    if (options.env === 'production') throw new Error('secrets.encryptionKey is required in production')
    current = createHash('sha256').update(DEV_KEY_SEED).digest()
    if (!warnedDevKey && options.env === 'development') {
      warnedDevKey = true
      options.logger?.warn(
        'LINLI_ENCRYPTION_KEY is not set: using the fixed development key. Never store real data like this.',
      )
    }
  }
  const all = new Map<string, Buffer>([[keyIdOf(current), current]])
  const previous = (options.previousEncryptionKeys ?? '').split(',').filter((k) => k.trim() !== '')
  for (const [i, text] of previous.entries()) {
    const key = parseKey(text, `secrets.previousEncryptionKeys[${i}]`)
    all.set(keyIdOf(key), key)
  }
  return { current, all }
}

function resolveHashKey(options: FieldCryptoOptions): Buffer {
  if (!options.hashSecret && options.env === 'production') {
    throw new Error('secrets.tokenSecret is required in production')
  }
  const secret = options.hashSecret ?? DEV_HASH_SEED
  return Buffer.from(hkdfSync('sha256', secret, 'linli', 'lookup-hash v1', 32))
}

/** Builds the field crypto from explicit keys (tests) or from the configuration. */
export function createFieldCrypto(options: FieldCryptoOptions): FieldCrypto {
  const { current, all } = resolveKeys(options)
  const currentId = keyIdOf(current)
  const hashKey = resolveHashKey(options)
  return {
    keyId: currentId,
    encrypt(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current, iv)
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return [VERSION, currentId, b64(iv), b64(cipher.getAuthTag()), b64(data)].join('.')
    },
    decrypt(sealed) {
      const [version, keyId, iv, tag, data] = sealed.split('.')
      if (version !== VERSION || !keyId || !iv || !tag || data === undefined) {
        throw new Error('not a Linli ciphertext')
      }
      const key = all.get(keyId)
      if (!key)
        throw new Error(`no configured key with id ${keyId} (add it to LINLI_PREVIOUS_ENCRYPTION_KEYS)`)
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      )
    },
    needsReencrypt(sealed) {
      return sealed.split('.')[1] !== currentId
    },
    lookupHash(kind, value) {
      const normal = kind === 'phone' ? normalizePhone(value) : normalizeIdNumber(value)
      return createHmac('sha256', hashKey).update(`${kind}:${normal}`).digest('hex')
    },
  }
}

/** The field crypto of a loaded configuration. */
export function fieldCryptoFromConfig(config: Config, logger?: Logger): FieldCrypto {
  return createFieldCrypto({
    encryptionKey: config.secrets.encryptionKey,
    previousEncryptionKeys: config.secrets.previousEncryptionKeys,
    hashSecret: config.secrets.tokenSecret,
    env: config.env,
    logger,
  })
}
