import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createFieldCrypto, normalizeIdNumber, normalizePhone } from './crypto.js'
import { createLogger } from './logger.js'

const key = () => randomBytes(32).toString('hex')

describe('field crypto', () => {
  it('round-trips a phone number and never stores it in the clear', () => {
    const c = createFieldCrypto({ encryptionKey: key(), env: 'test' })
    const sealed = c.encrypt('13812345678')
    expect(sealed).not.toContain('13812345678')
    expect(sealed.startsWith(`v1.${c.keyId}.`)).toBe(true)
    expect(c.decrypt(sealed)).toBe('13812345678')
    expect(c.encrypt('13812345678')).not.toBe(sealed) // fresh IV each time
  })

  it('accepts base64 keys and rejects keys of the wrong length', () => {
    expect(() =>
      createFieldCrypto({ encryptionKey: randomBytes(32).toString('base64'), env: 'test' }),
    ).not.toThrow()
    expect(() => createFieldCrypto({ encryptionKey: 'abcd', env: 'test' })).toThrow(/32 bytes/)
  })

  it('decrypts values of a previous key after rotation and flags them for re-encryption', () => {
    const oldKey = key()
    const before = createFieldCrypto({ encryptionKey: oldKey, env: 'test' })
    const sealed = before.encrypt('150202199001011234')
    const after = createFieldCrypto({ encryptionKey: key(), previousEncryptionKeys: oldKey, env: 'test' })
    expect(after.decrypt(sealed)).toBe('150202199001011234')
    expect(after.needsReencrypt(sealed)).toBe(true)
    expect(after.needsReencrypt(after.encrypt('x'))).toBe(false)
    const forgotten = createFieldCrypto({ encryptionKey: key(), env: 'test' })
    expect(() => forgotten.decrypt(sealed)).toThrow(/LINLI_PREVIOUS_ENCRYPTION_KEYS/)
  })

  it('detects tampering', () => {
    const c = createFieldCrypto({ encryptionKey: key(), env: 'test' })
    const parts = c.encrypt('13812345678').split('.')
    parts[4] = Buffer.from('13900000000').toString('base64url')
    expect(() => c.decrypt(parts.join('.'))).toThrow()
  })

  it('hashes normalised numbers with a key, so the same number always finds the same resident', () => {
    const c = createFieldCrypto({ encryptionKey: key(), hashSecret: 's1', env: 'test' })
    expect(c.lookupHash('phone', '138 1234 5678')).toBe(c.lookupHash('phone', '+8613812345678'))
    expect(c.lookupHash('idNumber', '15020219900101123x')).toBe(
      c.lookupHash('idNumber', '15020219900101123X'),
    )
    const other = createFieldCrypto({ encryptionKey: key(), hashSecret: 's2', env: 'test' })
    expect(other.lookupHash('phone', '13812345678')).not.toBe(c.lookupHash('phone', '13812345678'))
    expect(normalizePhone('138-1234-5678')).toBe('13812345678')
    expect(normalizeIdNumber(' 15020219900101123x ')).toBe('15020219900101123X')
  })

  it('uses a fixed development key without configuration, warns once, and refuses that in production', () => {
    const lines: string[] = []
    const sink = new Writable({
      write: (chunk, _e, cb) => {
        lines.push(String(chunk))
        cb()
      },
    })
    const logger = createLogger({ level: 'warn', destination: sink })
    const a = createFieldCrypto({ env: 'development', logger })
    const b = createFieldCrypto({ env: 'development', logger })
    expect(b.decrypt(a.encrypt('hello'))).toBe('hello')
    expect(lines.filter((l) => l.includes('LINLI_ENCRYPTION_KEY'))).toHaveLength(1)
    expect(() => createFieldCrypto({ env: 'production' })).toThrow(/required in production/)
  })
})
