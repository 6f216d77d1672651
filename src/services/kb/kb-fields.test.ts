import { describe, expect, it } from 'vitest'
import {
  assessText,
  CalendarDate,
  cleanTitle,
  DocumentText,
  DocumentTitle,
  isCalendarDate,
} from './kb-fields.js'

describe('document fields', () => {
  it('takes a policy text and refuses empty, meaningless and garbage ones', () => {
    expect(assessText('第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。')).toBeUndefined()
    expect(assessText('Residents over 80 may apply for the old-age allowance.')).toBeUndefined()
    expect(assessText(' \n\t ')).toBe('EMPTY')
    expect(assessText('0')).toBe('TOO_SHORT')
    expect(assessText('1234567890 1234567890 1234567890')).toBe('TOO_SHORT')
    expect(assessText('测试')).toBe('TOO_SHORT')
    expect(
      assessText(`${'\u0001\u0002'.repeat(5)}第一条 本市城市建成区内个人饲养犬只，每户限养一只犬。`),
    ).toBe('BINARY')
    expect(assessText(`${'\uFFFD'.repeat(10)}第一条 本市城市建成区内个人饲养犬只。`)).toBe('BINARY')
  })

  it('checks the text after its front matter', () => {
    const r = DocumentText.safeParse('---\ntitle: 一份很长很长的政策文件标题写在这里\n---\n0')
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.message).toContain('内容太少')
  })

  it('accepts real calendar dates only', () => {
    expect(isCalendarDate('2026-01-15')).toBe(true)
    expect(isCalendarDate('2024-02-29')).toBe(true)
    expect(isCalendarDate('2025-02-29')).toBe(false)
    expect(isCalendarDate('2026-13-01')).toBe(false)
    expect(isCalendarDate('2026-1-5')).toBe(false)
    expect(isCalendarDate('明天')).toBe(false)
    expect(CalendarDate.safeParse('2026-02-30').error?.issues[0]?.message).toContain('YYYY-MM-DD')
  })

  it('trims titles and refuses control characters and one-character titles', () => {
    expect(DocumentTitle.parse('  养犬管理规定 ')).toBe('养犬管理规定')
    expect(DocumentTitle.safeParse('\u0007').error?.issues.map((i) => i.message)).toEqual([
      '标题不能包含控制字符或不可见字符',
    ])
    expect(DocumentTitle.safeParse('养犬\u202E规定').success).toBe(false)
    expect(DocumentTitle.safeParse('犬').error?.issues[0]?.message).toBe('标题至少要 2 个字')
    expect(DocumentTitle.safeParse('犬'.repeat(201)).success).toBe(false)
    expect(cleanTitle(' 养犬\u0000管理\n规定 ')).toBe('养犬管理 规定')
    expect(cleanTitle('\u0007')).toBeUndefined()
  })
})
