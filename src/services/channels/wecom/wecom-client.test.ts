import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWeComStandin, type WeComStandin } from '../../../../test/standins/wecom-standin.js'
import { fixedClock } from '../../../lib/clock.js'
import { ChannelError } from '../channel.js'
import { splitByBytes, WeComAppChannel, WeComClient, WeComRobotChannel } from './wecom-client.js'

const CORP = { corpId: 'wwlinli0001', secret: 's3cret', agentId: 1000002 }
let standin: WeComStandin

beforeEach(async () => {
  standin = await startWeComStandin({ ...CORP, users: ['zhangwei', 'lina'], robotKeys: ['grid-key'] })
})
afterEach(() => standin.close())

const msg = (text: string, extra: object = {}) => ({
  key: `k-${text.length}`,
  purpose: 'task' as const,
  text,
  ...extra,
})
const to = (id: string) => ({ channel: 'wecom_app' as const, id })
async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'sent'
  } catch (err) {
    return err instanceof ChannelError ? `${err.kind}:${err.providerCode}` : 'other'
  }
}

describe('WeComAppChannel against the stand-in', () => {
  it('sends text to a member, reusing one access token', async () => {
    const channel = new WeComAppChannel(new WeComClient({ ...CORP, apiBase: standin.apiBase }))
    const r = await channel.send(to('zhangwei'), msg('工单 261207-0001 已派给您'))
    await channel.send(to('lina'), msg('第二条'))
    expect(r.providerMessageId).toBe('msg-1')
    expect(standin.deliveries.map((d) => [d.touser, d.content])).toEqual([
      ['zhangwei', '工单 261207-0001 已派给您'],
      ['lina', '第二条'],
    ])
    expect(standin.tokensIssued).toBe(1)
    expect(channel.health().state).toBe('up')
  })

  it('refreshes the token once when it expires mid-run, and again before its expiry', async () => {
    const clock = fixedClock(new Date('2026-12-07T08:00:00Z'))
    const client = new WeComClient({ ...CORP, apiBase: standin.apiBase, clock })
    const channel = new WeComAppChannel(client, clock)
    await channel.send(to('zhangwei'), msg('一'))
    standin.expireTokens() // WeCom revoked or expired it before our own deadline
    await channel.send(to('zhangwei'), msg('二'))
    expect(standin.tokensIssued).toBe(2)
    expect(standin.calls.filter((c) => c === '/cgi-bin/message/send')).toHaveLength(3) // one 42001, two delivered
    clock.advance(7200_000 - 60_000) // inside the safety margin: fetched anew without a failed send
    await channel.send(to('zhangwei'), msg('三'))
    expect(standin.tokensIssued).toBe(3)
    expect(standin.deliveries.map((d) => d.content)).toEqual(['一', '二', '三'])
  })

  it('classifies a wrong secret as auth and marks the channel down', async () => {
    const channel = new WeComAppChannel(
      new WeComClient({ ...CORP, secret: 'wrong', apiBase: standin.apiBase }),
    )
    expect(await kindOf(channel.send(to('zhangwei'), msg('x')))).toBe('auth:40001')
    expect(channel.health()).toMatchObject({ state: 'down', detail: '企业微信凭据被拒绝，请检查配置' })
    expect(standin.deliveries).toHaveLength(0)
  })

  it('an unknown userid is a recipient error; a wrong agentid is auth', async () => {
    const channel = new WeComAppChannel(new WeComClient({ ...CORP, apiBase: standin.apiBase }))
    expect(await kindOf(channel.send(to('nobody'), msg('x')))).toBe('recipient:81013')
    expect(channel.health().state).toBe('up')
    const other = new WeComAppChannel(new WeComClient({ ...CORP, agentId: 7, apiBase: standin.apiBase }))
    expect(await kindOf(other.send(to('zhangwei'), msg('x')))).toBe('auth:301002')
  })

  it('holds back the 31st message to one member in a minute (WeCom would drop it)', async () => {
    const clock = fixedClock(new Date('2026-12-07T08:00:00Z'))
    const channel = new WeComAppChannel(new WeComClient({ ...CORP, apiBase: standin.apiBase, clock }), clock)
    for (let i = 0; i < 30; i++) await channel.send(to('lina'), msg(`第${i}条`))
    expect(await kindOf(channel.send(to('lina'), msg('多一条')))).toBe('rate_limited:45009')
    expect(await kindOf(channel.send(to('zhangwei'), msg('别人不受影响')))).toBe('sent')
    expect(standin.deliveries).toHaveLength(31)
  })

  it('maps the service-side 45009 to rate_limited', async () => {
    await standin.close()
    standin = await startWeComStandin({ ...CORP, users: ['lina'], perUserPerMinute: 1 })
    const channel = new WeComAppChannel(new WeComClient({ ...CORP, apiBase: standin.apiBase }))
    await channel.send(to('lina'), msg('一'))
    expect(await kindOf(channel.send(to('lina'), msg('二')))).toBe('rate_limited:45009')
    expect(channel.health()).toMatchObject({ state: 'degraded', detail: '发送过于频繁' })
  })

  it('sends a case card with a link when the case number is known, and refuses text over 2048 bytes', async () => {
    const client = new WeComClient({
      ...CORP,
      apiBase: standin.apiBase,
      caseLink: (n) => `https://linli.example/console/cases/${n}`,
    })
    const channel = new WeComAppChannel(client)
    await channel.send(
      to('zhangwei'),
      msg('新工单 261207-0002\n3号楼电梯故障', { refs: { caseNumber: '261207-0002' } }),
    )
    expect(standin.deliveries[0]).toMatchObject({ msgtype: 'textcard' })
    expect(standin.deliveries[0]?.body.textcard).toMatchObject({
      title: '新工单 261207-0002',
      description: '3号楼电梯故障',
      url: 'https://linli.example/console/cases/261207-0002',
    })
    expect(await kindOf(channel.send(to('zhangwei'), msg('长'.repeat(700))))).toBe('rejected:45002')
  })

  it('sends a template card (text_notice) with the case link when configured so', async () => {
    const client = new WeComClient({
      ...CORP,
      apiBase: standin.apiBase,
      caseLink: (n) => `https://linli.example/console/cases/${n}`,
      caseCard: 'template_card',
    })
    await new WeComAppChannel(client).send(
      to('lina'),
      msg('工单即将超时\n3号楼电梯故障，请尽快处理', {
        purpose: 'alert',
        refs: { caseNumber: '261207-0003' },
      }),
    )
    expect(standin.deliveries[0]).toMatchObject({
      msgtype: 'template_card',
      content: '工单即将超时\n3号楼电梯故障，请尽快处理\nhttps://linli.example/console/cases/261207-0003',
    })
  })

  it('reports an unreachable service as unavailable', async () => {
    await standin.close()
    const channel = new WeComAppChannel(
      new WeComClient({ ...CORP, apiBase: standin.apiBase, timeoutMs: 500 }),
    )
    expect(await kindOf(channel.send(to('zhangwei'), msg('x')))).toBe('unavailable:undefined')
    expect(channel.health().state).toBe('degraded')
  })
})

describe('WeComRobotChannel against the stand-in', () => {
  const robot = (id: string) => ({ channel: 'wecom_robot' as const, id })

  it('posts text, splitting over 2048 bytes without breaking characters', async () => {
    const channel = new WeComRobotChannel({ robots: { grid: standin.robotUrl('grid-key') } })
    const long = `${'通知内容'.repeat(150)}\n${'第二段'.repeat(100)}`
    await channel.send(robot('grid'), msg(long, { purpose: 'notice' }))
    expect(standin.robotDeliveries.length).toBe(2)
    expect(standin.robotDeliveries.map((d) => d.content).join('\n')).toBe(long)
    expect(splitByBytes(long, 2048).every((p) => Buffer.byteLength(p) <= 2048)).toBe(true)
  })

  it('refuses a wrong key (auth) and the 21st message in a minute (rate_limited)', async () => {
    const bad = new WeComRobotChannel({ robots: { grid: standin.robotUrl('nope') } })
    expect(await kindOf(bad.send(robot('grid'), msg('x')))).toBe('auth:93000')
    const clock = fixedClock(new Date('2026-12-07T08:00:00Z'))
    const ours = new WeComRobotChannel({ robots: { grid: standin.robotUrl('grid-key') }, clock })
    for (let i = 0; i < 20; i++) await ours.send(robot('grid'), msg(`${i}`))
    expect(await kindOf(ours.send(robot('grid'), msg('多')))).toBe('rate_limited:45009')
    // Another process sharing the robot: the service's own 130101 is rate_limited too.
    const other = new WeComRobotChannel({ robots: { grid: standin.robotUrl('grid-key') } })
    expect(await kindOf(other.send(robot('grid'), msg('多')))).toBe('rate_limited:130101')
    expect(standin.robotDeliveries).toHaveLength(20)
  })

  it('markdown over 4096 bytes is rejected; an unknown robot name is a recipient error', async () => {
    const channel = new WeComRobotChannel({
      robots: { grid: standin.robotUrl('grid-key') },
      format: 'markdown',
    })
    expect(await kindOf(channel.send(robot('grid'), msg('字'.repeat(1400))))).toBe('rejected:45002')
    expect(await kindOf(channel.send(robot('other'), msg('x')))).toBe('recipient:undefined')
    await channel.send(robot('grid'), msg('**3号楼** 停水通知'))
    expect(standin.robotDeliveries[0]).toMatchObject({ msgtype: 'markdown', content: '**3号楼** 停水通知' })
  })
})
