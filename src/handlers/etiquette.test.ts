import { describe, expect, it } from 'vitest'
import { guessIntent, splitTrigger, stripMentions } from './etiquette.js'

describe('etiquette rules', () => {
  it('strips @-mentions of the bot wherever they are', () => {
    expect(stripMentions('@邻里小助手\u2005楼道灯坏了', '邻里小助手')).toBe('楼道灯坏了')
    expect(stripMentions('楼道灯坏了 @邻里小助手', '邻里小助手')).toBe('楼道灯坏了')
  })

  it('finds a trigger word only at the start', () => {
    expect(splitTrigger('报修：3号楼电梯停了', '邻里小助手')).toEqual({
      trigger: '报修',
      rest: '3号楼电梯停了',
    })
    expect(splitTrigger('#咨询 低保条件', '邻里小助手')).toEqual({ trigger: '咨询', rest: '低保条件' })
    expect(splitTrigger('#停水了', '邻里小助手')).toEqual({ trigger: '#', rest: '停水了' })
    expect(splitTrigger('我想报修一下', '邻里小助手').trigger).toBeUndefined()
  })

  it('guesses a question, a report or neither', () => {
    expect(guessIntent('低保怎么申请？')).toBe('policy')
    expect(guessIntent('楼下垃圾堆了三天')).toBe('report')
    expect(guessIntent('谢谢')).toBe('other')
    expect(guessIntent('你好')).toBe('other')
  })
})
