import type { ChatServices } from '../../../handlers/chat-handler.js'
import type { Clock } from '../../../lib/clock.js'
import type { Config } from '../../../lib/config.js'
import type { Logger } from '../../../lib/logger.js'
import { WeComKfChannel } from './kf-channel.js'
import { KfInbox } from './kf-inbox.js'
import { WeComAppChannel, WeComClient, WeComRobotChannel } from './wecom-client.js'
import { WeComCrypto } from './wecom-crypto.js'
import { WeComInbox } from './wecom-inbox.js'

export interface WeComParts {
  /** The self-built app, when corpId, agentId and the secret are set. */
  app?: WeComAppChannel
  /** The group robots, when any is configured. */
  robot?: WeComRobotChannel
  /** The callback's crypto and inbox, when the app and its Token/EncodingAESKey are set. */
  callback?: { crypto: WeComCrypto; inbox: WeComInbox; logger: Logger; kf?: KfInbox }
  /** 微信客服, when enabled with an open_kfid (its inbox needs the callback too). */
  kf?: { channel: WeComKfChannel; inbox?: KfInbox }
  /** The corp's API client (企业群发 drafts and other server calls), when the app is set up. */
  client?: WeComClient
}

/** The WeCom channels from configuration; each part stays off while its settings are unset. */
export function createWeCom(
  config: Config,
  deps: { services: () => ChatServices; logger: Logger; clock: Clock },
): WeComParts {
  const w = config.wecom
  const parts: WeComParts = {}
  if (Object.keys(w.robots).length > 0)
    parts.robot = new WeComRobotChannel({ robots: w.robots, clock: deps.clock })
  if (!w.corpId || !w.secret || !w.agentId) return parts
  const template = w.caseLinkTemplate
  const client = new WeComClient({
    corpId: w.corpId,
    secret: w.secret,
    agentId: w.agentId,
    apiBase: w.apiBase,
    clock: deps.clock,
    caseCard: w.caseCard,
    ...(template ? { caseLink: (n: string) => template.replaceAll('{number}', encodeURIComponent(n)) } : {}),
  })
  parts.app = new WeComAppChannel(client, deps.clock)
  parts.client = client
  const kfChannel = kfChannelOf(config, client, deps.clock)
  if (kfChannel) parts.kf = { channel: kfChannel }
  if (w.token && w.encodingAesKey) {
    const crypto = new WeComCrypto({ token: w.token, encodingAesKey: w.encodingAesKey, receiveId: w.corpId })
    let inbox: WeComInbox | undefined
    let kfInbox: KfInbox | undefined
    const lazyKf = (channel: WeComKfChannel) => {
      kfInbox ??= new KfInbox({
        services: deps.services(),
        channel,
        logger: deps.logger,
        botName: config.wechaty.botName,
      })
      return kfInbox
    }
    const lazy = () => {
      inbox ??= new WeComInbox({
        services: deps.services(),
        channel: parts.app as WeComAppChannel,
        logger: deps.logger,
      })
      return inbox
    }
    parts.callback = {
      crypto,
      logger: deps.logger,
      get inbox() {
        return lazy()
      },
      get kf() {
        return kfChannel ? lazyKf(kfChannel) : undefined
      },
    }
    if (kfChannel) {
      parts.kf = {
        channel: kfChannel,
        get inbox() {
          return lazyKf(kfChannel)
        },
      }
    }
  }
  return parts
}

/** The 微信客服 channel: its own secret's client when WECOM_KF_SECRET is set, else the app's. */
function kfChannelOf(config: Config, appClient: WeComClient, clock: Clock): WeComKfChannel | undefined {
  const w = config.wecom
  if (!w.kf.enabled || !w.kf.openKfId) return undefined
  const client = w.kf.secret
    ? new WeComClient({ corpId: w.corpId, secret: w.kf.secret, agentId: 0, apiBase: w.apiBase, clock })
    : appClient
  return new WeComKfChannel(client, w.kf.openKfId, clock)
}
