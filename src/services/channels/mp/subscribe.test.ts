import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { channelFailure } from '../../../../test/standins/channel-errors.js'
import { startWechatApiStandIn, type WechatApiStandIn } from '../../../../test/standins/wechat-api.js'
import '../../../models/mp-subscription.model.js'
import { useTestDatabase } from '../../../../test/db.js'
import { createPerson } from '../../../../test/factories.js'
import { fixedClock } from '../../../lib/clock.js'
import { ResidentModel } from '../../../models/registry.model.js'
import type { ChannelError, ChannelMessage } from '../channel.js'
import { formatField, type MpSettings, MpSubscribeChannel } from './subscribe.js'
import { createMpSubscriptions } from './subscriptions.js'

useTestDatabase()

const TEMPLATES: MpSettings['templates'] = {
  update: {
    id: 'TPL_UPDATE',
    kind: 'once',
    page: 'pages/case/detail',
    fields: { character_string1: 'caseNumber', thing2: 'title', phrase3: 'status', time4: 'at' },
  },
  reminder: { id: 'TPL_LONG', kind: 'long', fields: { thing1: 'text' } },
}
const APP = { appId: 'wx-linli', appSecret: 'mp-secret' }
let wx: WechatApiStandIn
let personId = ''
beforeEach(async () => {
  wx = await startWechatApiStandIn({
    ...APP,
    templates: { TPL_UPDATE: ['character_string1', 'thing2', 'phrase3', 'time4'], TPL_LONG: ['thing1'] },
  })
  const p = await createPerson('王阿姨')
  await ResidentModel.updateOne({ _id: p._id }, { $set: { 'wechat.openid': 'oOPENID1' } })
  personId = String(p._id)
})
afterEach(() => wx.close())

function setup(over: Partial<MpSettings> = {}) {
  const subs = createMpSubscriptions({
    clock: fixedClock(new Date('2026-12-07T10:00:00+08:00')),
    templates: TEMPLATES,
  })
  const settings: MpSettings = { ...APP, apiBase: wx.apiBase, timeoutMs: 3000, templates: TEMPLATES, ...over }
  return { subs, mp: new MpSubscribeChannel(settings, subs) }
}

const update = (key: string, title = '楼道灯不亮'): ChannelMessage => ({
  key,
  purpose: 'update',
  text: '您反映的问题已办结',
  template: { name: 'update', params: { title, status: '已办结', at: '2026-12-07T06:30:00Z' } },
  refs: { caseNumber: '261207-0001' },
})
const to = { channel: 'mp_subscribe' as const, id: 'oOPENID1' }

describe('MpSubscribeChannel against the WeChat API stand-in', () => {
  it('sends a recorded one-time subscription with the documented field formats, once', async () => {
    const { subs, mp } = setup()
    wx.subscribe('oOPENID1', 'TPL_UPDATE')
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    await mp.send(to, update('k1', '小区东门的路灯已经连续三个晚上不亮了，老人晚上出门很不方便'))
    expect(wx.sent).toHaveLength(1)
    expect(wx.sent[0]).toMatchObject({
      touser: 'oOPENID1',
      template_id: 'TPL_UPDATE',
      page: 'pages/case/detail?number=261207-0001',
      data: {
        character_string1: { value: '261207-0001' },
        phrase3: { value: '已办结' },
        time4: { value: '2026年12月7日 14:30' },
      },
    })
    expect(Array.from(wx.sent[0]?.data.thing2?.value ?? '')).toHaveLength(20)
    expect(await subs.view(personId)).toEqual([
      { templateId: 'TPL_UPDATE', kind: 'once', result: 'accept', available: 0 },
    ])
    const again = await channelFailure(mp.send(to, update('k2')))
    expect([again.kind, again.providerCode]).toEqual(['recipient', 43101])
    expect(wx.sent).toHaveLength(1)
  })

  it('an expired token is refreshed once and the message still goes', async () => {
    const { subs, mp } = setup()
    wx.subscribe('oOPENID1', 'TPL_UPDATE', 2)
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    await mp.send(to, update('k1'))
    expect(wx.tokenCalls).toBe(1)
    wx.expireTokens()
    await mp.send(to, update('k2'))
    expect(wx.tokenCalls).toBe(2)
    expect(wx.sent).toHaveLength(2)
    expect(mp.health().state).toBe('up')
  })

  it('a wrong app secret is auth and marks the channel down; the subscription is given back', async () => {
    const { subs, mp } = setup({ appSecret: 'wrong' })
    wx.subscribe('oOPENID1', 'TPL_UPDATE')
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    const e = await channelFailure(mp.send(to, update('k1')))
    expect([e.kind, e.providerCode]).toEqual(['auth', 40125])
    expect(mp.health().state).toBe('down')
    expect((await subs.view(personId))[0]?.available).toBe(1)
  })

  it('WeChat refusing the data is rejected (47003) and the subscription is not spent', async () => {
    const { subs, mp } = setup({
      templates: {
        ...TEMPLATES,
        update: {
          ...(TEMPLATES.update as NonNullable<MpSettings['templates']['update']>),
          fields: { thing2: 'title', time4: 'title' },
        },
      },
    })
    wx.subscribe('oOPENID1', 'TPL_UPDATE')
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    const e = await channelFailure(mp.send(to, update('k1')))
    expect([e.kind, e.providerCode]).toEqual(['rejected', 47003])
    expect((await subs.view(personId))[0]?.available).toBe(1)
  })

  it('over the daily quota is rate_limited (45009)', async () => {
    await wx.close()
    wx = await startWechatApiStandIn({
      ...APP,
      templates: { TPL_UPDATE: ['character_string1', 'thing2', 'phrase3', 'time4'] },
      dailyQuota: 0,
    })
    const { subs, mp } = setup()
    wx.subscribe('oOPENID1', 'TPL_UPDATE')
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    const e = await channelFailure(mp.send(to, update('k1')))
    expect([e.kind, e.providerCode]).toEqual(['rate_limited', 45009])
  })

  it('without a recorded subscription nothing is sent; a refusal is recorded as data', async () => {
    const { subs, mp } = setup()
    expect((await channelFailure(mp.send(to, update('k1')))).kind).toBe('recipient')
    await subs.record(personId, { TPL_UPDATE: 'reject' })
    expect(await subs.view(personId)).toEqual([
      { templateId: 'TPL_UPDATE', kind: 'once', result: 'reject', available: 0 },
    ])
    expect((await channelFailure(mp.send(to, update('k2')))).kind).toBe('recipient')
    expect(wx.sent).toHaveLength(0)
  })

  it('a long-term subscription is not used up', async () => {
    const { subs, mp } = setup()
    wx.subscribe('oOPENID1', 'TPL_LONG', Number.POSITIVE_INFINITY)
    await subs.record(personId, { TPL_LONG: 'accept' })
    const msg = (key: string): ChannelMessage => ({ key, purpose: 'reminder', text: '明天上午九点社区义诊' })
    await mp.send(to, msg('r1'))
    await mp.send(to, msg('r2'))
    expect(wx.sent).toHaveLength(2)
    expect((await subs.view(personId))[0]).toMatchObject({ kind: 'long', available: 1 })
  })

  it('a one-time subscription is used once even with two concurrent sends', async () => {
    const { subs, mp } = setup()
    wx.subscribe('oOPENID1', 'TPL_UPDATE', 5) // WeChat would allow more: only our record may stop the second
    await subs.record(personId, { TPL_UPDATE: 'accept' })
    const results = await Promise.allSettled([mp.send(to, update('c1')), mp.send(to, update('c2'))])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as ChannelError).kind).toBe('recipient')
    expect(wx.sent).toHaveLength(1)
  })

  it('formats fields per the documented rules', () => {
    expect(formatField('phrase1', '已经办结了')).toBe('已经办结了')
    expect(formatField('phrase1', '处理中 ok')).toBe('处理中')
    expect(formatField('character_string9', '单号 261207-0001')).toBe('261207-0001')
    expect(formatField('date2', '2026-12-07T20:00:00Z')).toBe('2026年12月8日')
    expect(Array.from(formatField('thing1', '一'.repeat(30)))).toHaveLength(20)
  })
})
