import { createHash, createHmac, randomUUID } from 'node:crypto'
import { listenLoopback, sendJson } from './http-standin.js'

/**
 * A loopback stand-in for Tencent Cloud SMS `SendSms` (API 3.0, 2021-01-11) that rejects what the real
 * service rejects: it recomputes the TC3-HMAC-SHA256 signature from the request it received
 * (AuthFailure.SignatureFailure), knows one SecretId (AuthFailure.SecretIdNotFound), refuses stale
 * timestamps (AuthFailure.SignatureExpire, 5 minutes), the wrong SmsSdkAppId or SignName, unknown or
 * unapproved templates and wrong parameter counts, and applies the per-number limits (one message per
 * 30 seconds, `dailyLimit` per day) in SendStatusSet, like the documented codes.
 */
export interface TencentSmsStandIn {
  endpoint: string
  /** Every accepted message: number, template, params, session context. */
  sent: Array<{ phone: string; templateId: string; params: string[]; sessionContext?: string }>
  /** Request-level error codes returned, in order. */
  errors: string[]
  close(): Promise<void>
}

export interface TencentSmsStandInOptions {
  secretId: string
  secretKey: string
  sdkAppId: string
  signName: string
  /** Approved templates: id → number of parameters. */
  templates: Record<string, number>
  dailyLimit?: number
  now?: () => number
}

/**
 * The stand-in's own TC3-HMAC-SHA256 check, written from the document independently of the client's signer
 * (src/services/channels/sms/tc3.ts), so a mistake there cannot be mirrored here.
 */
function expectedSignature(
  secretKey: string,
  names: string[],
  value: (n: string) => string,
  payload: string,
  ts: number,
): string {
  const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')
  const mac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s, 'utf8').digest()
  const sorted = [...names].sort()
  const headers = sorted
    .map((n) => `${n}:${n === 'x-tc-action' ? value(n).trim().toLowerCase() : value(n).trim()}\n`)
    .join('')
  const canonical = `POST\n/\n\n${headers}\n${sorted.join(';')}\n${sha(payload)}`
  const date = new Date(ts * 1000).toISOString().slice(0, 10)
  const toSign = `TC3-HMAC-SHA256\n${ts}\n${date}/sms/tc3_request\n${sha(canonical)}`
  const key = mac(mac(mac(`TC3${secretKey}`, date), 'sms'), 'tc3_request')
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex')
}

const err = (code: string, message: string) => ({
  Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() },
})

export async function startTencentSmsStandIn(o: TencentSmsStandInOptions): Promise<TencentSmsStandIn> {
  const now = o.now ?? Date.now
  const sent: TencentSmsStandIn['sent'] = []
  const errors: string[] = []
  const lastAt = new Map<string, number>()
  const perDay = new Map<string, number>()
  const reply = (res: Parameters<typeof sendJson>[0], code: string, message: string) => {
    errors.push(code)
    sendJson(res, err(code, message))
  }
  const server = await listenLoopback((req, raw, res) => {
    const h = (name: string) => String(req.headers[name] ?? '')
    if (req.method !== 'POST') return reply(res, 'UnsupportedProtocol', 'only POST in this stand-in')
    if (h('x-tc-action') !== 'SendSms') return reply(res, 'InvalidAction', 'unknown action')
    if (h('x-tc-version') !== '2021-01-11') return reply(res, 'NoSuchVersion', 'unknown version')
    const ts = Number(h('x-tc-timestamp'))
    if (!Number.isInteger(ts) || Math.abs(now() / 1000 - ts) > 300) {
      return reply(res, 'AuthFailure.SignatureExpire', 'signature expired')
    }
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        h('authorization'),
      )
    if (!auth) return reply(res, 'AuthFailure.InvalidAuthorization', 'Authorization header malformed')
    const [, secretId, scopeDate, signedHeaders, signature] = auth as unknown as string[]
    if (secretId !== o.secretId) return reply(res, 'AuthFailure.SecretIdNotFound', 'SecretId not found')
    const names = (signedHeaders as string).split(';')
    if (!names.includes('content-type') || !names.includes('host')) {
      return reply(res, 'AuthFailure.SignatureFailure', 'content-type and host must be signed')
    }
    if (scopeDate !== new Date(ts * 1000).toISOString().slice(0, 10)) {
      return reply(
        res,
        'AuthFailure.SignatureFailure',
        'credential scope date is not the UTC date of X-TC-Timestamp',
      )
    }
    const expected = expectedSignature(o.secretKey, names, h, raw, ts)
    if (expected !== signature) return reply(res, 'AuthFailure.SignatureFailure', 'signature mismatch')
    let body: {
      PhoneNumberSet?: string[]
      SmsSdkAppId?: string
      SignName?: string
      TemplateId?: string
      TemplateParamSet?: string[]
      SessionContext?: string
    }
    try {
      body = JSON.parse(raw)
    } catch {
      return reply(res, 'FailedOperation.FailResolvePacket', 'bad JSON')
    }
    if (body.SmsSdkAppId !== o.sdkAppId)
      return reply(res, 'UnauthorizedOperation.SmsSdkAppIdVerifyFail', 'SdkAppId')
    if (body.SignName !== o.signName)
      return reply(res, 'FailedOperation.SignatureIncorrectOrUnapproved', 'sign')
    const count = o.templates[body.TemplateId ?? '']
    if (count === undefined) return reply(res, 'FailedOperation.TemplateIncorrectOrUnapproved', 'template')
    const params = body.TemplateParamSet ?? []
    if (params.length !== count) {
      return reply(
        res,
        'FailedOperation.TemplateParamSetNotMatchApprovedTemplate',
        'params do not match the template',
      )
    }
    const day = new Date(now() + 8 * 3600_000).toISOString().slice(0, 10)
    const SendStatusSet = (body.PhoneNumberSet ?? []).map((phone) => {
      const status = (Code: string, Message: string) => ({
        SerialNo: Code === 'Ok' ? randomUUID() : '',
        PhoneNumber: phone,
        Fee: Code === 'Ok' ? 1 : 0,
        SessionContext: body.SessionContext ?? '',
        Code,
        Message,
        IsoCode: 'CN',
      })
      if (!/^\+861[3-9]\d{9}$/.test(phone))
        return status('InvalidParameterValue.IncorrectPhoneNumber', 'incorrect number')
      const last = lastAt.get(phone)
      if (last !== undefined && now() - last < 30_000) {
        return status('LimitExceeded.PhoneNumberThirtySecondLimit', '30 s limit for a number')
      }
      const key = `${day}:${phone}`
      if ((perDay.get(key) ?? 0) >= (o.dailyLimit ?? 10)) {
        return status('LimitExceeded.PhoneNumberDailyLimit', 'daily limit for a number')
      }
      lastAt.set(phone, now())
      perDay.set(key, (perDay.get(key) ?? 0) + 1)
      sent.push({ phone, templateId: body.TemplateId as string, params, sessionContext: body.SessionContext })
      return status('Ok', 'send success')
    })
    sendJson(res, { Response: { SendStatusSet, RequestId: randomUUID() } })
  })
  return { endpoint: server.base, sent, errors, close: server.close }
}
