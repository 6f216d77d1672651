import { describe, expect, it } from 'vitest'
import {
  checkIdNumber,
  chineseToDigits,
  formatAddress,
  idCheckChar,
  isIdNumber,
  isMobilePhone,
  normalizeBuilding,
  normalizeRoom,
  normalizeUnit,
  parseAddress,
} from './registry.validation.js'

describe('phone and ID validation', () => {
  it('accepts mainland mobile numbers as people write them and rejects others', () => {
    expect(isMobilePhone('13812345678')).toBe(true)
    expect(isMobilePhone('138 1234 5678')).toBe(true)
    expect(isMobilePhone('+86 138-1234-5678')).toBe(true)
    expect(isMobilePhone('1381234567')).toBe(false)
    expect(isMobilePhone('12812345678')).toBe(false)
    expect(isMobilePhone('0477-8581234')).toBe(false)
  })

  it('checks the GB 11643 check digit and the birth date', () => {
    expect(isIdNumber('11010519491231002X')).toBe(true)
    expect(isIdNumber('11010519491231002x')).toBe(true)
    expect(checkIdNumber('110105194912310021')).toMatch(/校验位/)
    expect(checkIdNumber('1101051949123100')).toMatch(/18位/)
    const feb30 = `15020219900230123`
    expect(checkIdNumber(feb30 + idCheckChar(feb30))).toMatch(/出生日期/)
    const future = `15020220990101123`
    expect(checkIdNumber(future + idCheckChar(future), new Date('2026-01-01'))).toMatch(/出生日期/)
    const ok = `15020219900101123`
    expect(isIdNumber(ok + idCheckChar(ok))).toBe(true)
  })
})

describe('address normalisation', () => {
  it('reads Chinese numerals', () => {
    expect(chineseToDigits('十')).toBe('10')
    expect(chineseToDigits('二十三')).toBe('23')
    expect(chineseToDigits('一百零一')).toBe('101')
    expect(chineseToDigits('三零一')).toBe('301')
    expect(chineseToDigits('１２')).toBe('12')
  })

  it('turns building, unit and room spellings into one canonical form', () => {
    for (const b of ['10号楼', '10栋', '10幢', '10楼', '十号楼', '010', ' 10 '])
      expect(normalizeBuilding(b)).toBe('10')
    for (const u of ['3单元', '三单元', '3', '03']) expect(normalizeUnit(u)).toBe('3')
    for (const r of ['301室', '301房', '301号', '三零一', '301']) expect(normalizeRoom(r)).toBe('301')
    expect(normalizeBuilding('A座')).toBe('A')
  })

  it('parses whole addresses in the forms offices and residents use', () => {
    const want = { building: '10', unit: '3', room: '301' }
    expect(parseAddress('10号楼3单元301室')).toEqual(want)
    expect(parseAddress('十号楼三单元301')).toEqual(want)
    expect(parseAddress('10-3-301')).toEqual(want)
    expect(parseAddress('10栋3单元301')).toEqual(want)
    expect(parseAddress('1-2-301')).toEqual({ building: '1', unit: '2', room: '301' })
    expect(parseAddress('10栋301')).toEqual({ building: '10', unit: '', room: '301' })
    expect(parseAddress('楼下那个')).toBeUndefined()
    expect(formatAddress(want)).toBe('10号楼3单元301室')
  })
})
