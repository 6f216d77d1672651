import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256Hex, tc3Canonical, tc3Sign } from './tc3.js'

// The worked example of 「签名方法 v3」 (CVM DescribeInstances, POST JSON, timestamp 1551113065). The
// document publishes the payload hash, the canonical request's hash, the derived key SecretSigning and the
// signature; its keys are masked, and the older revision's example (signing only content-type;host) is
// reproduced by the official SDKs' tests with the masked strings taken literally.
const PAYLOAD = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  Host: 'cvm.tencentcloudapi.com',
  'X-TC-Action': 'DescribeInstances',
}

describe('TC3-HMAC-SHA256 signer', () => {
  it('hashes the payload and the canonical request like the document', () => {
    expect(sha256Hex(PAYLOAD)).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064')
    const c = tc3Canonical({ service: 'cvm', headers: HEADERS, payload: PAYLOAD, timestamp: 1551113065 })
    expect(c.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
    )
    expect(c.stringToSign).toBe(
      'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84',
    )
    // The published SecretSigning fed to the last step gives the published signature.
    const key = Buffer.from('b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af', 'hex')
    expect(createHmac('sha256', key).update(c.stringToSign).digest('hex')).toBe(
      '10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f',
    )
  })

  it('reproduces the whole signature of the example that signs content-type;host', () => {
    const { 'X-TC-Action': _, ...two } = HEADERS
    const parts = tc3Sign({
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
      service: 'cvm',
      headers: two,
      payload: PAYLOAD,
      timestamp: 1551113065,
    })
    expect(parts.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
    )
  })
})
