import { createHash, createHmac } from 'node:crypto'

/**
 * Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256, as the official document 「签名方法 v3」
 * describes it (https://cloud.tencent.com/document/api/382/52072, the SMS copy of the common page;
 * same text at https://www.tencentcloud.com/document/api/1021/34193):
 *   CanonicalRequest = Method\nURI\nQuery\nCanonicalHeaders\nSignedHeaders\nhex(sha256(payload))
 *   StringToSign     = "TC3-HMAC-SHA256"\nTimestamp\n<UTC date>/<service>/tc3_request\nhex(sha256(CanonicalRequest))
 *   SecretSigning    = HMAC(HMAC(HMAC("TC3"+SecretKey, date), service), "tc3_request")
 *   Signature        = hex(HMAC(SecretSigning, StringToSign))
 * Canonical header names are lower case, values trimmed and (for x-tc-action) lower case, sorted by name.
 * Verified against the document's worked example in tc3.test.ts.
 */
export const TC3_ALGORITHM = 'TC3-HMAC-SHA256'

export interface Tc3Input {
  secretId: string
  secretKey: string
  service: string
  /** Headers to sign, by name (any case). The doc signs content-type, host and x-tc-action. */
  headers: Record<string, string>
  payload: string
  /** Unix seconds. */
  timestamp: number
  method?: string
  path?: string
  query?: string
}

export interface Tc3Parts {
  canonicalRequest: string
  stringToSign: string
  signedHeaders: string
  credentialScope: string
  signature: string
  authorization: string
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

/** The UTC date of a Unix timestamp, `YYYY-MM-DD` (the credential scope's date). */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10)
}

/** The derived key (SecretSigning) for a day and service. */
export function tc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  return hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request')
}

/** The canonical request, string to sign and scope: everything that does not need the key. */
export function tc3Canonical(input: Omit<Tc3Input, 'secretId' | 'secretKey'>) {
  const entries = Object.entries(input.headers)
    .map(([k, v]) => {
      const name = k.toLowerCase()
      const value = v.trim()
      return [name, name === 'x-tc-action' ? value.toLowerCase() : value] as const
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const canonicalHeaders = entries.map(([k, v]) => `${k}:${v}\n`).join('')
  const signedHeaders = entries.map(([k]) => k).join(';')
  const canonicalRequest = [
    input.method ?? 'POST',
    input.path ?? '/',
    input.query ?? '',
    canonicalHeaders,
    signedHeaders,
    sha256Hex(input.payload),
  ].join('\n')
  const date = tc3Date(input.timestamp)
  const credentialScope = `${date}/${input.service}/tc3_request`
  const stringToSign = [
    TC3_ALGORITHM,
    String(input.timestamp),
    credentialScope,
    sha256Hex(canonicalRequest),
  ].join('\n')
  return { canonicalRequest, stringToSign, signedHeaders, credentialScope, date }
}

/** Signs one request; `authorization` is the Authorization header's value. */
export function tc3Sign(input: Tc3Input): Tc3Parts {
  const c = tc3Canonical(input)
  const signature = createHmac('sha256', tc3SigningKey(input.secretKey, c.date, input.service))
    .update(c.stringToSign, 'utf8')
    .digest('hex')
  return {
    canonicalRequest: c.canonicalRequest,
    stringToSign: c.stringToSign,
    signedHeaders: c.signedHeaders,
    credentialScope: c.credentialScope,
    signature,
    authorization: `${TC3_ALGORITHM} Credential=${input.secretId}/${c.credentialScope}, SignedHeaders=${c.signedHeaders}, Signature=${signature}`,
  }
}
