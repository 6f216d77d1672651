import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { systemClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { createMpSubscriptions } from './mp/subscriptions.js'
import { officialChannels } from './official-channels.js'

const configDir = path.resolve('config')
const subscriptions = createMpSubscriptions({ clock: systemClock, templates: {} })

describe('officialChannels: the channels a deployment has set up', () => {
  it('offers none with the defaults (only the group bot), and SMS once its credentials are all set', () => {
    expect(officialChannels(loadConfig({}, { configDir }), { subscriptions })).toEqual([])
    const half = loadConfig({ TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'k' }, { configDir })
    expect(officialChannels(half, { subscriptions }).map((c) => c.name)).toEqual([])
    const sms = loadConfig(
      {
        TENCENTCLOUD_SECRET_ID: 'AKIDx',
        TENCENTCLOUD_SECRET_KEY: 'k',
        LINLI_SMS_SDK_APP_ID: '1400000000',
        LINLI_SMS_SIGN_NAME: '康和社区',
      },
      { configDir },
    )
    expect(officialChannels(sms, { subscriptions }).map((c) => c.name)).toEqual(['sms'])
  })

  it('offers subscribe messages only with the mini-program credentials and a template', () => {
    const noTemplates = loadConfig({ WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's' }, { configDir })
    expect(officialChannels(noTemplates, { subscriptions }).map((c) => c.name)).toEqual([])
    const withTemplate = {
      ...noTemplates,
      miniprogram: {
        ...noTemplates.miniprogram,
        templates: { update: { id: 'tpl-1', kind: 'once' as const, fields: { thing1: 'title' } } },
      },
    }
    expect(officialChannels(withTemplate, { subscriptions }).map((c) => c.name)).toEqual(['mp_subscribe'])
  })
})
