import type { Config } from '../../../lib/config.js'
import { maskPhone } from '../../../lib/mask.js'
import {
  type Channel,
  type ChannelAddress,
  ChannelError,
  type ChannelErrorKind,
  type ChannelMessage,
  type MessagePurpose,
} from '../channel.js'
import { TrackedChannel } from '../health.js'
import { tc3Sign } from './tc3.js'

/**
 * Tencent Cloud SMS, API 3.0 `SendSms` (version 2021-01-11), plain HTTPS with node's fetch.
 * Docs: 「发送短信」 https://cloud.tencent.com/document/api/382/55981 (request and SendStatusSet),
 * 「公共参数」 https://cloud.tencent.com/document/api/382/52071, 「签名方法 v3」 https://cloud.tencent.com/document/api/382/52072,
 * 「错误码」 https://cloud.tencent.com/document/api/382/52075 and the SMS FAQ on per-number frequency limits
 * (30 s / 1 h / daily per number by default).
 */
export const SMS_SERVICE = 'sms'
export const SMS_VERSION = '2021-01-11'
export const SMS_ACTION = 'SendSms'

export type SmsSettings = Config['sms']

export interface SendSmsRequest {
  phoneNumbers: string[]
  templateId: string
  templateParams: string[]
  /** Echoed back in SendStatusSet; the outbox key. */
  sessionContext?: string
}

export interface SendStatus {
  SerialNo?: string
  PhoneNumber: string
  Fee?: number
  SessionContext?: string
  Code: string
  Message: string
  IsoCode?: string
}

/** The kind of a Tencent Cloud error code (request-level `Error.Code` or a per-number `SendStatusSet` code). */
export function classifySmsCode(code: string): ChannelErrorKind {
  if (
    code === 'LimitExceeded.PhoneNumberThirtySecondLimit' ||
    code === 'LimitExceeded.PhoneNumberOneHourLimit' ||
    code === 'LimitExceeded.DeliveryFrequencyLimit' ||
    code === 'RequestLimitExceeded' ||
    code === 'RequestLimitExceeded.Overload'
  )
    return 'rate_limited'
  if (
    code === 'LimitExceeded.PhoneNumberDailyLimit' ||
    code === 'LimitExceeded.AppDailyLimit' ||
    code === 'LimitExceeded.DailyLimit' ||
    code === 'FailedOperation.InsufficientBalanceInSmsPackage'
  )
    return 'quota_exhausted'
  if (code.startsWith('AuthFailure.') || code === 'UnauthorizedOperation.SmsSdkAppIdVerifyFail') return 'auth'
  if (
    code === 'InvalidParameterValue.IncorrectPhoneNumber' ||
    code === 'FailedOperation.PhoneNumberInBlacklist' ||
    code === 'FailedOperation.PhoneNumberParseFail' ||
    code === 'LimitExceeded.PhoneNumberCountLimit' ||
    code === 'UnsupportedOperation.UnsupportedRegion'
  )
    return 'recipient'
  if (code.startsWith('InternalError') || code === 'FailedOperation.FailResolvePacket') return 'unavailable'
  // FailedOperation.TemplateIncorrectOrUnapproved, FailedOperation.SignatureIncorrectOrUnapproved,
  // InvalidParameterValue.TemplateParameterFormatError / TemplateParameterLengthLimit, InvalidParameter…
  return 'rejected'
}

/** 13812345678, +86 138 1234 5678, 8613812345678 → +8613812345678; anything else is not a CN mobile. */
export function toE164(phone: string): string | undefined {
  const digits = phone.replace(/[\s-]/g, '')
  const m = /^(?:\+?86)?(1[3-9]\d{9})$/.exec(digits)
  if (m) return `+86${m[1]}`
  return /^\+[1-9]\d{6,14}$/.test(digits) && !digits.startsWith('+86') ? digits : undefined
}

/** A client of `SendSms`. Throws ChannelError for request-level errors; returns per-number statuses. */
export function createTencentSmsClient(settings: SmsSettings, now: () => number = Date.now) {
  const url = new URL(settings.endpoint)
  return {
    async sendSms(req: SendSmsRequest): Promise<{ requestId: string; statuses: SendStatus[] }> {
      if (!settings.secretId || !settings.secretKey || !settings.sdkAppId || !settings.signName) {
        throw new ChannelError('auth', '短信通道未配置（缺少密钥、应用或签名）', 'NotConfigured')
      }
      const payload = JSON.stringify({
        PhoneNumberSet: req.phoneNumbers,
        SmsSdkAppId: settings.sdkAppId,
        SignName: settings.signName,
        TemplateId: req.templateId,
        TemplateParamSet: req.templateParams,
        ...(req.sessionContext ? { SessionContext: req.sessionContext.slice(0, 512) } : {}),
      })
      const timestamp = Math.floor(now() / 1000)
      const signed = {
        'Content-Type': 'application/json; charset=utf-8',
        Host: url.host,
        'X-TC-Action': SMS_ACTION,
      }
      const { authorization } = tc3Sign({
        secretId: settings.secretId,
        secretKey: settings.secretKey,
        service: SMS_SERVICE,
        headers: signed,
        payload,
        timestamp,
      })
      let res: Response
      try {
        res = await fetch(new URL('/', url), {
          method: 'POST',
          headers: {
            ...signed,
            Authorization: authorization,
            'X-TC-Timestamp': String(timestamp),
            'X-TC-Version': SMS_VERSION,
            'X-TC-Region': settings.region,
          },
          body: payload,
          signal: AbortSignal.timeout(settings.timeoutMs),
        })
      } catch (err) {
        throw new ChannelError('unavailable', `短信服务连接失败：${(err as Error).message}`)
      }
      if (res.status >= 500) throw new ChannelError('unavailable', `短信服务暂时不可用（HTTP ${res.status}）`)
      const body = (await res.json().catch(() => ({}))) as {
        Response?: {
          Error?: { Code: string; Message: string }
          SendStatusSet?: SendStatus[]
          RequestId?: string
        }
      }
      const r = body.Response
      if (!r) throw new ChannelError('unavailable', `短信服务回复无法识别（HTTP ${res.status}）`)
      if (r.Error) {
        throw new ChannelError(
          classifySmsCode(r.Error.Code),
          `短信发送失败：${r.Error.Message}`,
          r.Error.Code,
        )
      }
      return { requestId: r.RequestId ?? '', statuses: r.SendStatusSet ?? [] }
    },
  }
}

const SMS_PURPOSES = [
  'update',
  'rating',
  'alert',
  'reminder',
  'notice',
] as const satisfies readonly MessagePurpose[]

/**
 * SMS as a Channel. SMS in China carries only approved templates: the message's template name (or, without
 * one, its purpose) must be configured under `sms.templates`, with every parameter it names; otherwise the
 * message is `rejected` without calling the service. One number per send.
 */
export class SmsChannel extends TrackedChannel implements Channel {
  readonly name = 'sms' as const
  readonly purposes: readonly MessagePurpose[] = SMS_PURPOSES
  private readonly client: ReturnType<typeof createTencentSmsClient>

  constructor(
    private readonly settings: SmsSettings,
    private readonly options: { now?: () => number; log?: (line: string) => void } = {},
  ) {
    super(options.now)
    this.client = createTencentSmsClient(settings, options.now)
  }

  async send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }> {
    this.admit(to, message, '短信')
    const phone = toE164(to.id)
    if (!phone)
      throw new ChannelError('recipient', '手机号格式不正确', 'InvalidParameterValue.IncorrectPhoneNumber')
    const name = message.template?.name ?? message.purpose
    const template = this.settings.templates[name]
    if (!template) {
      throw new ChannelError(
        'rejected',
        `短信只能按审核通过的模板发送，没有配置「${name}」模板`,
        'NoTemplate',
      )
    }
    // A parameter comes from the message's template values, else its refs (caseNumber), else `text`.
    const refs = (message.refs ?? {}) as Record<string, string | undefined>
    const paramOf = (p: string) =>
      message.template?.params[p] ?? refs[p] ?? (p === 'text' ? message.text : undefined)
    const values = Object.fromEntries(template.params.map((p) => [p, paramOf(p)]))
    const missing = template.params.filter((p) => values[p] === undefined || values[p] === '')
    if (missing.length > 0) {
      throw new ChannelError(
        'rejected',
        `短信模板「${name}」缺少参数：${missing.join('、')}`,
        'MissingParams',
      )
    }
    try {
      const { statuses, requestId } = await this.client.sendSms({
        phoneNumbers: [phone],
        templateId: template.id,
        templateParams: template.params.map((p) => String(values[p])),
        sessionContext: message.key,
      })
      const status = statuses[0]
      if (!status) throw new ChannelError('unavailable', '短信服务没有返回发送结果')
      if (status.Code !== 'Ok') {
        throw new ChannelError(classifySmsCode(status.Code), `短信发送失败：${status.Message}`, status.Code)
      }
      this.tracker.mark('up')
      this.options.log?.(`sms sent to ${maskPhone(phone.replace(/^\+86/, ''))} (${requestId})`)
      return { providerMessageId: status.SerialNo }
    } catch (err) {
      if (err instanceof ChannelError) {
        this.options.log?.(
          `sms to ${maskPhone(phone.replace(/^\+86/, ''))} failed: ${err.kind} ${err.providerCode ?? ''}`,
        )
        // A number's own daily limit says nothing about the channel; the account's does.
        const perNumber = String(err.providerCode).includes('PhoneNumber')
        this.tracker.failed(err, {
          auth: '短信密钥或签名被拒绝',
          unavailable: '短信服务暂时不可用',
          ...(perNumber ? {} : { quota_exhausted: '短信额度已用完' }),
        })
      }
      throw err
    }
  }
}
