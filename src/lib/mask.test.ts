import { describe, expect, it } from 'vitest'
import { containsPersonalNumber, maskIdNumber, maskPhone, maskText } from './mask.js'

describe('masking personal numbers', () => {
  it('masks phone and ID numbers in the published forms', () => {
    expect(maskPhone('13812345678')).toBe('138****5678')
    expect(maskIdNumber('150202199001011234')).toBe('1502**********1234')
  })

  it('masks every number found in free text and leaves ordinary numbers alone', () => {
    const text = '我是3号楼2单元的，电话13812345678，身份证15020219900101123X，座机0477-8581234，有事打给我'
    const masked = maskText(text)
    expect(masked).not.toMatch(/13812345678|15020219900101123X|8581234/)
    expect(masked).toContain('138****5678')
    expect(masked).toContain('1502**********123X')
    expect(masked).toContain('3号楼2单元')
    expect(containsPersonalNumber(text)).toBe(true)
    expect(containsPersonalNumber('10号楼1单元电梯坏了')).toBe(false)
  })
})
