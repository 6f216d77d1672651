import { createServer, type Server } from 'node:http'

export interface WechatStandIn {
  /** The code2session URL to configure (WECHAT_CODE2SESSION_URL). */
  url: string
  /** code → openid the stand-in knows; other codes get errcode 40029 (invalid code). */
  codes: Map<string, string>
  calls: URLSearchParams[]
  close(): Promise<void>
}

/** A loopback stand-in for WeChat's jscode2session endpoint. */
export async function startWechatStandIn(appId: string, appSecret: string): Promise<WechatStandIn> {
  const codes = new Map<string, string>()
  const calls: URLSearchParams[] = []
  const server: Server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams
    calls.push(q)
    res.writeHead(200, { 'content-type': 'application/json' })
    if (q.get('appid') !== appId || q.get('secret') !== appSecret) {
      res.end(JSON.stringify({ errcode: 40125, errmsg: 'invalid appsecret' }))
      return
    }
    const openid = codes.get(q.get('js_code') ?? '')
    if (!openid) {
      res.end(JSON.stringify({ errcode: 40029, errmsg: 'invalid code' }))
      return
    }
    codes.delete(q.get('js_code') ?? '')
    res.end(JSON.stringify({ openid, session_key: 'SESSION-KEY-MUST-NOT-LEAK', unionid: `u-${openid}` }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}/sns/jscode2session`,
    codes,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
