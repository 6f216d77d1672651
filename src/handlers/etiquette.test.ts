import { describe, expect, it } from 'vitest'
import { isAck, isAnswerShaped, readRating, splitTrigger, stripMentions } from './etiquette.js'

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

  it('reads a rating as residents write it, and not an address or a time', () => {
    expect(readRating('5')).toEqual({ score: 5, comment: '' })
    expect(readRating('5分')).toEqual({ score: 5, comment: '' })
    expect(readRating('五星')).toEqual({ score: 5, comment: '' })
    expect(readRating('5 很快，谢谢')).toEqual({ score: 5, comment: '很快，谢谢' })
    expect(readRating('2，拖了三天才来')).toEqual({ score: 2, comment: '拖了三天才来' })
    expect(readRating('满意')).toEqual({ score: 5, comment: '' })
    expect(readRating('不满意，还是漏水')).toEqual({ score: 1, comment: '还是漏水' })
    expect(readRating('10')?.score).toBe(10) // out of range: the handler asks again
    for (const t of ['5号楼漏水', '3-2-301 厨房堵了', '8点停水', '楼道灯坏了'])
      expect(readRating(t), t).toBeUndefined()
  })

  it('reads 收到 and 1 as an acknowledgement, nothing longer', () => {
    for (const t of ['收到', '1', '好的', '收到了，谢谢', '已阅', 'OK']) expect(isAck(t), t).toBe(true)
    for (const t of ['收到通知了吗', '12', '好的我明天去社区问问']) expect(isAck(t), t).toBe(false)
    expect(isAnswerShaped('ack', '收到', { attachments: [] })).toBe(true)
    expect(isAnswerShaped('ack', '今天天气不错', { attachments: [] })).toBe(false)
  })
})
