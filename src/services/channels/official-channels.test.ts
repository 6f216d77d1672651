import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { systemClock } from '../../lib/clock.js'
import { loadConfig } from '../../lib/config.js'
import { silentLogger } from '../../lib/logger.js'
import { createMpSubscriptions } from './mp/subscriptions.js'
import { officialChannels } from './official-channels.js'
import { createWeCom } from './wecom/wecom-setup.js'

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

  it('offers 微信客服 with the app, once enabled with an open_kfid; its own secret when given', () => {
    const app = { WECOM_CORP_ID: 'wwcorp', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'app-secret' }
    const deps = { services: () => ({}) as never, logger: silentLogger, clock: systemClock }
    const names = (env: Record<string, string>) => {
      const config = loadConfig(env, { configDir })
      const wecom = createWeCom(config, deps)
      return officialChannels(config, { wecomApp: wecom.app, wecomKf: wecom.kf?.channel, subscriptions }).map(
        (c) => c.name,
      )
    }
    expect(names(app)).toEqual(['wecom_app'])
    expect(names({ ...app, WECOM_KF_OPEN_KFID: 'wkKF' })).toEqual(['wecom_app'])
    expect(names({ ...app, WECOM_KF_ENABLED: 'true', WECOM_KF_OPEN_KFID: 'wkKF' })).toEqual([
      'wecom_app',
      'wecom_kf',
    ])
    const own = loadConfig(
      { ...app, WECOM_KF_ENABLED: 'true', WECOM_KF_OPEN_KFID: 'wkKF', WECOM_KF_SECRET: 'kf-secret' },
      { configDir },
    )
    const parts = createWeCom(own, deps)
    expect(parts.kf?.channel.openKfId).toBe('wkKF')
    expect(parts.kf?.channel.client).not.toBe(parts.app?.client)
    const shared = createWeCom(
      loadConfig({ ...app, WECOM_KF_ENABLED: 'true', WECOM_KF_OPEN_KFID: 'wkKF' }, { configDir }),
      deps,
    )
    expect(shared.kf?.channel.client).toBe(shared.app?.client)
    // The default order offers it for the purposes it carries.
    expect(own.channels.order.update).toContain('wecom_kf')
    expect(own.channels.order.task).not.toContain('wecom_kf')
  })
})
