import { describe, expect, it } from 'vitest'
import { alignColumns, displayWidth } from './text-width.js'

describe('displayWidth and alignColumns', () => {
  it('counts 汉字 and fullwidth punctuation as two columns, marks as none', () => {
    expect(displayWidth('abc')).toBe(3)
    expect(displayWidth('工单')).toBe(4)
    expect(displayWidth('「工单」（1）：')).toBe(15)
    expect(displayWidth('e\u0301\u200b')).toBe(1)
    expect(displayWidth('𠀀')).toBe(2)
  })

  it('lines up mixed Chinese and Latin cells on screen', () => {
    const lines = alignColumns([
      ['合计', '3', '50.0%'],
      ['KH-01 一网格', '12', '-'],
      ['', '工单数', '响应率'],
    ])
    const at = (l: string, cell: string) => displayWidth(l.slice(0, l.lastIndexOf(cell)))
    expect(
      new Set([at(lines[0] ?? '', '3'), at(lines[1] ?? '', '12'), at(lines[2] ?? '', '工单数')]),
    ).toEqual(new Set([14]))
    expect(
      new Set([at(lines[0] ?? '', '50.0%'), at(lines[1] ?? '', '-'), at(lines[2] ?? '', '响应率')]),
    ).toEqual(new Set([22]))
  })
})
