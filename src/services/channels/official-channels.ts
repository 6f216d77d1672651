import type { Config } from '../../lib/config.js'
import type { Channel } from './channel.js'
import { MpSubscribeChannel } from './mp/subscribe.js'
import type { MpSubscriptions } from './mp/subscriptions.js'
import { SmsChannel } from './sms/tencent-sms.js'
import type { WeComKfChannel } from './wecom/kf-channel.js'
import type { WeComAppChannel, WeComRobotChannel } from './wecom/wecom-client.js'

/**
 * The official channels this deployment has set up, for the outbox's channel registry (beside the
 * Wechaty bot): the WeCom app and group robots when its corp id, agent id and secret are set;
 * 微信客服 when, besides, it is enabled with an open_kfid (wecom.kf); SMS when the Tencent Cloud
 * credentials, app id and signature name are; subscribe messages when the mini-program's app id and
 * secret and at least one template are. A channel not set up is simply not offered.
 */
export function officialChannels(
  config: Config,
  parts: {
    wecomApp?: WeComAppChannel
    wecomRobot?: WeComRobotChannel
    wecomKf?: WeComKfChannel
    subscriptions: MpSubscriptions
  },
): Channel[] {
  const out: Channel[] = []
  if (parts.wecomApp) out.push(parts.wecomApp)
  // Group robots carry only messages addressed to a robot (a staff group's feed, channel alerts).
  if (parts.wecomRobot) out.push(parts.wecomRobot)
  if (parts.wecomKf) out.push(parts.wecomKf)
  const sms = config.sms
  if (sms.secretId && sms.secretKey && sms.sdkAppId && sms.signName) out.push(new SmsChannel(sms))
  const mp = config.miniprogram
  if (config.wechat.appId && config.wechat.appSecret && Object.keys(mp.templates).length > 0)
    out.push(
      new MpSubscribeChannel(
        { appId: config.wechat.appId, appSecret: config.wechat.appSecret, ...mp },
        parts.subscriptions,
      ),
    )
  return out
}
