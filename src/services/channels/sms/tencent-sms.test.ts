import { afterEach, describe, expect, it } from 'vitest'
import { channelFailure } from '../../../../test/standins/channel-errors.js'
import { startTencentSmsStandIn, type TencentSmsStandIn } from '../../../../test/standins/tencent-cloud.js'
import type { ChannelMessage } from '../channel.js'
import { SmsChannel, type SmsSettings, toE164 } from './tencent-sms.js'

const CREDS = {
  secretId: 'AKIDlinlitest',
  secretKey: 'linli-test-secret-key',
  sdkAppId: '1400006666',
  signName: '邻里社区',
}
let clock = Date.UTC(2026, 11, 7, 2, 0, 0)
const now = () => clock
let standIn: TencentSmsStandIn | undefined
afterEach(async () => {
  await standIn?.close()
  standIn = undefined
})

async function channel(over: Partial<SmsSettings> = {}, dailyLimit = 10) {
  standIn = await startTencentSmsStandIn({ ...CREDS, templates: { '2001': 2, '2002': 1 }, dailyLimit, now })
  const settings: SmsSettings = {
    ...CREDS,
    region: 'ap-guangzhou',
    endpoint: standIn.endpoint,
    timeoutMs: 3000,
    templates: {
      update: { id: '2001', params: ['caseNumber', 'status'] },
      alert: { id: '2002', params: ['title'] },
    },
    ...over,
  }
  const lines: string[] = []
  return { sms: new SmsChannel(settings, { now, log: (l) => lines.push(l) }), lines, standIn }
}

const update = (key: string): ChannelMessage => ({
  key,
  purpose: 'update',
  text: '您反映的问题已处理',
  template: { name: 'update', params: { caseNumber: '261207-0001', status: '已办结' } },
})

describe('SmsChannel against the Tencent Cloud stand-in', () => {
  it('sends an approved template with its parameters in order, signed as the service checks', async () => {
    const { sms, lines, standIn } = await channel()
    const r = await sms.send({ channel: 'sms', id: '138 1234 5678' }, update('k1'))
    expect(r.providerMessageId).toBeTruthy()
    expect(standIn.sent).toEqual([
      {
        phone: '+8613812345678',
        templateId: '2001',
        params: ['261207-0001', '已办结'],
        sessionContext: 'k1',
      },
    ])
    expect(sms.health().state).toBe('up')
    expect(lines.join('\n')).not.toContain('13812345678')
    expect(lines.join('\n')).toContain('138****5678')
  })

  it('a wrong secret key is refused as a bad signature: auth, channel down', async () => {
    const { sms, standIn } = await channel({ secretKey: 'not-the-key' })
    const e = await channelFailure(sms.send({ channel: 'sms', id: '13812345678' }, update('k2')))
    expect([e.kind, e.providerCode]).toEqual(['auth', 'AuthFailure.SignatureFailure'])
    expect(standIn.sent).toHaveLength(0)
    expect(sms.health()).toMatchObject({ state: 'down', detail: '短信密钥或签名被拒绝' })
  })

  it('an unknown SecretId is auth too', async () => {
    const { sms } = await channel({ secretId: 'AKIDother' })
    const e = await channelFailure(sms.send({ channel: 'sms', id: '13812345678' }, update('k3')))
    expect([e.kind, e.providerCode]).toEqual(['auth', 'AuthFailure.SecretIdNotFound'])
  })

  it('a second message to the same number within 30 s is rate limited; after 30 s it goes', async () => {
    const { sms, standIn } = await channel()
    await sms.send({ channel: 'sms', id: '13812345678' }, update('k4'))
    const e = await channelFailure(sms.send({ channel: 'sms', id: '13812345678' }, update('k5')))
    expect([e.kind, e.providerCode]).toEqual(['rate_limited', 'LimitExceeded.PhoneNumberThirtySecondLimit'])
    clock += 31_000
    await sms.send({ channel: 'sms', id: '13812345678' }, update('k5'))
    expect(standIn.sent).toHaveLength(2)
  })

  it("a number's daily limit is quota_exhausted for that number only", async () => {
    const { sms } = await channel({}, 1)
    await sms.send({ channel: 'sms', id: '13900001111' }, update('k6'))
    clock += 60_000
    const e = await channelFailure(sms.send({ channel: 'sms', id: '13900001111' }, update('k7')))
    expect([e.kind, e.providerCode]).toEqual(['quota_exhausted', 'LimitExceeded.PhoneNumberDailyLimit'])
    expect(sms.health().state).toBe('up')
    await sms.send({ channel: 'sms', id: '13900002222' }, update('k8'))
  })

  it('a bad phone number is a recipient error; the service is not asked when the format is wrong', async () => {
    const { sms, standIn } = await channel()
    const e = await channelFailure(sms.send({ channel: 'sms', id: '1234' }, update('k9')))
    expect(e.kind).toBe('recipient')
    expect(standIn.errors).toEqual([])
    // A number that looks international but the service cannot reach: its SendStatusSet code decides.
    const refused = await channelFailure(sms.send({ channel: 'sms', id: '+447700900123' }, update('k9b')))
    expect([refused.kind, refused.providerCode]).toEqual([
      'recipient',
      'InvalidParameterValue.IncorrectPhoneNumber',
    ])
    expect(toE164('+8613812345678')).toBe('+8613812345678')
    expect(toE164('+8612345678901')).toBeUndefined()
  })

  it('no configured template for the purpose: rejected with a clear reason, nothing sent', async () => {
    const { sms, standIn } = await channel()
    const e = await channelFailure(
      sms.send({ channel: 'sms', id: '13812345678' }, { key: 'k10', purpose: 'reminder', text: '明天活动' }),
    )
    expect(e.kind).toBe('rejected')
    expect(e.message).toContain('没有配置「reminder」模板')
    const missing = await channelFailure(
      sms.send(
        { channel: 'sms', id: '13812345678' },
        { ...update('k11'), template: { name: 'update', params: { caseNumber: 'x' } } },
      ),
    )
    expect(missing.message).toContain('缺少参数：status')
    expect(standIn.sent).toHaveLength(0)
  })

  it('a template the service does not know, or with the wrong parameter count, is rejected', async () => {
    const { sms } = await channel({
      templates: {
        update: { id: '9999', params: ['caseNumber'] },
        alert: { id: '2002', params: ['title', 'extra'] },
      },
    })
    const unknown = await channelFailure(sms.send({ channel: 'sms', id: '13812345678' }, update('k12')))
    expect([unknown.kind, unknown.providerCode]).toEqual([
      'rejected',
      'FailedOperation.TemplateIncorrectOrUnapproved',
    ])
    const count = await channelFailure(
      sms.send(
        { channel: 'sms', id: '13812345678' },
        {
          key: 'k13',
          purpose: 'alert',
          text: '',
          template: { name: 'alert', params: { title: '停水', extra: '今天' } },
        },
      ),
    )
    expect([count.kind, count.providerCode]).toEqual([
      'rejected',
      'FailedOperation.TemplateParamSetNotMatchApprovedTemplate',
    ])
  })

  it('purposes outside SMS (chat replies) are rejected; an unreachable service is unavailable', async () => {
    const { sms } = await channel({ endpoint: 'http://127.0.0.1:1' })
    const reply = await channelFailure(
      sms.send({ channel: 'sms', id: '13812345678' }, { key: 'k14', purpose: 'reply', text: 'hi' }),
    )
    expect(reply.kind).toBe('rejected')
    const down = await channelFailure(sms.send({ channel: 'sms', id: '13812345678' }, update('k15')))
    expect(down.kind).toBe('unavailable')
  })
})
