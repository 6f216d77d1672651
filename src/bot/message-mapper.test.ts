import { describe, expect, it } from 'vitest'
import { messageTypeOf, parseQuote } from './message-mapper.js'

describe('message mapping', () => {
  it('reads a WeChat quote with the quoted part first', () => {
    const q = parseQuote('「邻里小助手：请问是几号楼？」\n- - - - - - - - - - - - - - -\n5号楼2单元')
    expect(q).toEqual({ text: '5号楼2单元', quoted: { senderName: '邻里小助手', text: '请问是几号楼？' } })
  })

  it('reads a WeChat quote with the reply first', () => {
    const q = parseQuote('是的，还没修好\n- - - - - - - - - - - - - - -\n「张阿姨：楼道灯坏了」')
    expect(q.quoted).toEqual({ senderName: '张阿姨', text: '楼道灯坏了' })
    expect(q.text).toBe('是的，还没修好')
  })

  it('leaves an ordinary message alone', () => {
    expect(parseQuote('「通知」明天停水')).toEqual({ text: '「通知」明天停水' })
  })

  it('names the puppet message types the log uses', () => {
    expect([7, 6, 2, 1, 15].map(messageTypeOf)).toEqual(['text', 'image', 'voice', 'file', 'other'])
  })
})
