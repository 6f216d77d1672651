import type { Config } from '../../lib/config.js'
import { startOfLocalDay } from '../../lib/time.js'
import { ChannelFailureModel } from '../../models/channel-failure.model.js'
import { OutboxModel } from '../../models/outbox.model.js'
import type { OutboxSender } from '../outbox/outbox.sender.js'
import { countQueued } from '../outbox/outbox.service.js'
import type { ChannelErrorKind, ChannelHealth, ChannelName } from './channel.js'

/** The last self-test of a channel or account (a test message it sent to itself), if it ran one. */
export interface SelfTest {
  at: Date
  ok: boolean
  detail?: string
}

/** One channel (of one bot account) whose health the console shows. */
export interface ChannelStatusSource {
  channel: ChannelName
  /** The bot account it sends for (`default` for the outbox sender's channels). */
  account?: string
  health(): ChannelHealth & { lastSelfTest?: SelfTest }
  /** A self-test verdict kept beside the health (a pool account's probe); `ok`/`failed` with a time show. */
  selfTest?(): { state: 'ok' | 'failed' | 'pending' | 'off'; at?: Date; detail?: string }
}

/** The last finished self-test of a source, from its health or its own verdict. */
function lastSelfTestOf(s: ChannelStatusSource, health: ReturnType<ChannelStatusSource['health']>) {
  if (health.lastSelfTest) return health.lastSelfTest
  const v = s.selfTest?.()
  if (!v?.at || (v.state !== 'ok' && v.state !== 'failed')) return undefined
  return { at: v.at, ok: v.state === 'ok', ...(v.detail ? { detail: v.detail } : {}) }
}

export type ChannelState = ChannelHealth['state'] | 'unconfigured'

/** A row of the console's 渠道状态 page. */
export interface ChannelStatusRow {
  channel: ChannelName
  account?: string
  /** The channel's Chinese name: 群机器人（主账号）, 企业微信应用, 短信, 小程序订阅消息. */
  label: string
  state: ChannelState
  detail?: string
  since: Date
  lastSelfTest?: SelfTest
  /** Delivered through this channel today (local day), for this account. */
  sentToday: number
  /** Failed sends through this channel today (every ChannelError, retried or not). */
  failedToday: number
  /** Messages queued for this account's sender (its channels share one queue). */
  waiting: number
}

const CHANNEL_LABELS: Record<ChannelName, string> = {
  wechaty: '群机器人',
  wecom_app: '企业微信应用',
  wecom_robot: '企业微信群机器人',
  wecom_kf: '微信客服',
  mp_subscribe: '小程序订阅消息',
  sms: '短信',
}

/** 群机器人（主账号）, 群机器人（社区二号）; the official channels by their name alone. */
export function channelLabel(channel: ChannelName, account?: string): string {
  if (channel !== 'wechaty') return CHANNEL_LABELS[channel]
  return `${CHANNEL_LABELS.wechaty}（${!account || account === 'default' ? '主账号' : account}）`
}

/** What each official channel still lacks in `config` (environment names, never values). */
function missingSettings(config: Config): Partial<Record<ChannelName, string[]>> {
  const unset = (pairs: Array<[unknown, string]>) => pairs.filter(([v]) => !v).map(([, name]) => name)
  return {
    wecom_app: unset([
      [config.wecom.corpId, 'WECOM_CORP_ID'],
      [config.wecom.agentId, 'WECOM_AGENT_ID'],
      [config.wecom.secret, 'WECOM_SECRET'],
    ]),
    sms: unset([
      [config.sms.secretId, 'TENCENTCLOUD_SECRET_ID'],
      [config.sms.secretKey, 'TENCENTCLOUD_SECRET_KEY'],
      [config.sms.sdkAppId, 'LINLI_SMS_SDK_APP_ID'],
      [config.sms.signName, 'LINLI_SMS_SIGN_NAME'],
    ]),
    mp_subscribe: unset([
      [config.wechat.appId, 'WECHAT_APP_ID'],
      [config.wechat.appSecret, 'WECHAT_APP_SECRET'],
      [
        Object.keys(config.miniprogram.templates).length,
        '配置文件中的 miniprogram.templates（订阅消息模板）',
      ],
    ]),
    wecom_robot: unset([
      [Object.keys(config.wecom.robots).length, '配置文件中的 wecom.robots（群机器人 Webhook 地址）'],
    ]),
    wecom_kf: unset([
      [config.wecom.corpId, 'WECOM_CORP_ID'],
      [config.wecom.kf.enabled, 'WECOM_KF_ENABLED'],
      [config.wecom.kf.openKfId, 'WECOM_KF_OPEN_KFID'],
      [config.wecom.kf.secret || config.wecom.secret, 'WECOM_KF_SECRET'],
    ]),
  }
}

/** The official channels not set up in `config` and not among `present`, each with the missing settings. */
export function unconfiguredChannels(
  config: Config,
  present: readonly ChannelName[],
): Array<{ channel: ChannelName; detail: string }> {
  return Object.entries(missingSettings(config))
    .filter(([name, missing]) => !present.includes(name as ChannelName) && (missing?.length ?? 0) > 0)
    .map(([name, missing]) => ({
      channel: name as ChannelName,
      detail: `未配置：需要 ${(missing ?? []).join('、')}`,
    }))
}

/** Channel sources that join while the service runs (a pool's bot accounts), read at each request. */
export interface ChannelStatusBoard {
  add(...sources: ChannelStatusSource[]): void
  sources(): ChannelStatusSource[]
}

export function createChannelStatusBoard(
  initial: () => ChannelStatusSource[] = () => [],
): ChannelStatusBoard {
  const added: ChannelStatusSource[] = []
  return {
    add: (...sources) => void added.push(...sources),
    sources: () => [...initial(), ...added],
  }
}

/**
 * Notes one failed send through a channel for today's count: an insert (no counter), so concurrent
 * senders never lose one on FerretDB.
 */
export async function recordChannelFailure(
  failure: { channel: ChannelName; account?: string; kind?: ChannelErrorKind },
  now: Date,
  timezone: string,
): Promise<void> {
  await ChannelFailureModel.create({
    day: startOfLocalDay(now, timezone),
    channel: failure.channel,
    account: failure.account ?? 'default',
    kind: failure.kind ?? 'unavailable',
    at: now,
  })
}

/** Failure records are kept this long (the page shows today's; a month helps when asked about one). */
export const CHANNEL_FAILURE_DAYS = 31

/** Deletes failure records of days before `now` minus CHANNEL_FAILURE_DAYS; returns how many. */
export async function purgeChannelFailures(now: Date): Promise<number> {
  const before = new Date(now.getTime() - CHANNEL_FAILURE_DAYS * 86_400_000)
  return (await ChannelFailureModel.deleteMany({ day: { $lt: before } })).deletedCount
}

/**
 * Counts every failed send of `sender` (one bot account) for the console: each failure is inserted
 * as it happens; a write that fails goes to `onError` (an undercount, never a lost message).
 */
export function countChannelFailures(
  sender: Pick<OutboxSender, 'onChannelAttempt'>,
  options: { account: string; now: () => Date; timezone: string; onError(err: unknown): void },
): void {
  sender.onChannelAttempt(({ channel, outcome, kind }) => {
    if (outcome !== 'failed') return
    recordChannelFailure({ channel, account: options.account, kind }, options.now(), options.timezone).catch(
      options.onError,
    )
  })
}

/**
 * The console's rows: each source's health with today's sends and failures and its account's queue,
 * then the official channels this deployment has not set up (`unconfigured`, with what is missing).
 * `since` of an unconfigured channel is when this process read its configuration.
 */
export async function channelStatusRows(input: {
  sources: readonly ChannelStatusSource[]
  config: Config
  now: Date
  startedAt: Date
}): Promise<ChannelStatusRow[]> {
  const day = startOfLocalDay(input.now, input.config.timezone)
  const queues = new Map<string, Promise<number>>()
  const waitingOf = (account: string) => {
    if (!queues.has(account)) queues.set(account, countQueued(account))
    return queues.get(account) as Promise<number>
  }
  const rows = await Promise.all(
    input.sources.map(async (s): Promise<ChannelStatusRow> => {
      const account = s.account ?? 'default'
      const health = s.health()
      const lastSelfTest = lastSelfTestOf(s, health)
      const [sentToday, failedToday, waiting] = await Promise.all([
        OutboxModel.countDocuments({
          'deliveredVia.channel': s.channel,
          'deliveredVia.at': { $gte: day },
          account,
        }),
        ChannelFailureModel.countDocuments({ day, channel: s.channel, account }),
        waitingOf(account),
      ])
      return {
        channel: s.channel,
        account,
        label: channelLabel(s.channel, account),
        state: health.state,
        ...(health.detail ? { detail: health.detail } : {}),
        since: health.since,
        ...(lastSelfTest ? { lastSelfTest } : {}),
        sentToday,
        failedToday,
        waiting,
      }
    }),
  )
  const present = input.sources.map((s) => s.channel)
  for (const u of unconfiguredChannels(input.config, present)) {
    rows.push({
      channel: u.channel,
      label: channelLabel(u.channel),
      state: 'unconfigured',
      detail: u.detail,
      since: input.startedAt,
      sentToday: 0,
      failedToday: 0,
      waiting: 0,
    })
  }
  return rows
}
