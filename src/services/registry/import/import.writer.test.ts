import { describe, expect, it } from 'vitest'
import { DigestTable, keyDigest } from './import.writer.js'

describe('DigestTable (what the import remembers of each row)', () => {
  it('keeps every digest with its value through growth, and knows what it never saw', () => {
    const t = new DigestTable()
    for (let i = 0; i < 50_000; i++) t.set(keyDigest(`row${i}`), i + 2)
    t.set(keyDigest('row7'), 99)
    expect(t.get(keyDigest('row0'))).toBe(2)
    expect(t.get(keyDigest('row49999'))).toBe(50_001)
    expect(t.get(keyDigest('row7'))).toBe(99)
    expect(t.get(keyDigest('row50000'))).toBeUndefined()
    expect(t.get(0)).toBeUndefined()
    t.set(0, 5)
    expect(t.get(0)).toBe(5)
  })
})
