import Router from '@koa/router'
import type { Context } from 'koa'
import { DomainError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import type { KfInbox } from '../../services/channels/wecom/kf-inbox.js'
import { type WeComCrypto, WeComCryptoError } from '../../services/channels/wecom/wecom-crypto.js'
import { inboundOf, type WeComInbox } from '../../services/channels/wecom/wecom-inbox.js'
import { parseFlatXml, WeComXmlError } from '../../services/channels/wecom/wecom-xml.js'
import { readRawBody } from '../raw-body.js'

export interface WeComRoutesDeps {
  crypto: WeComCrypto
  inbox: WeComInbox
  logger: Logger
  /** 微信客服's inbox, when enabled: its callback event says new messages wait at kf/sync_msg. */
  kf?: KfInbox
}

/** WeCom posts small XML envelopes; anything larger is not from it. */
const MAX_BODY = 64 * 1024

function query(ctx: Context, name: string): string {
  const v = ctx.query[name]
  if (typeof v !== 'string' || v === '' || v.length > 4096) {
    throw new DomainError('INVALID_INPUT', `缺少参数 ${name}`)
  }
  return v
}

/** A refused signature or ciphertext: 401 with a code, never 500. */
function refused(err: unknown): never {
  if (err instanceof WeComCryptoError) {
    throw new DomainError('UNAUTHENTICATED', '企业微信回调签名校验失败', { reason: err.code })
  }
  if (err instanceof WeComXmlError) throw new DomainError('INVALID_INPUT', '企业微信回调内容格式不正确')
  throw err
}

/**
 * The WeCom self-built app's callback (企业微信 › 接收消息与事件: document path/90930 回调配置,
 * path/90968 加解密方案, path/90239 消息格式):
 * - `GET /wecom/callback?msg_signature&timestamp&nonce&echostr`: the URL check — answer the decrypted
 *   echostr as plain text within 1 s.
 * - `POST /wecom/callback?msg_signature&timestamp&nonce` with `<xml><Encrypt>…</Encrypt></xml>`: verify,
 *   decrypt, store (idempotent on MsgId), answer 200 with an empty body at once (WeCom waits 5 s and
 *   retries 3 times), then handle in the background; replies go out through the app's message/send.
 *   The 微信客服 event `kf_msg_or_event` (path/94670) starts a kf/sync_msg read instead (kf-inbox.ts).
 */
export function wecomRoutes(deps: WeComRoutesDeps): Router {
  const router = new Router({ prefix: '/wecom' })

  router.get('/callback', (ctx) => {
    const sig = query(ctx, 'msg_signature')
    const ts = query(ctx, 'timestamp')
    const nonce = query(ctx, 'nonce')
    const echostr = query(ctx, 'echostr')
    try {
      ctx.body = deps.crypto.open(sig, ts, nonce, echostr)
    } catch (err) {
      refused(err)
    }
    ctx.type = 'text/plain'
  })

  router.post('/callback', async (ctx) => {
    const sig = query(ctx, 'msg_signature')
    const ts = query(ctx, 'timestamp')
    const nonce = query(ctx, 'nonce')
    const raw = (await readRawBody(ctx, MAX_BODY, '回调内容')).toString('utf8')
    let fields: Record<string, string>
    try {
      const envelope = parseFlatXml(raw)
      if (!envelope.Encrypt) throw new WeComXmlError('no Encrypt field')
      fields = parseFlatXml(deps.crypto.open(sig, ts, nonce, envelope.Encrypt))
    } catch (err) {
      refused(err)
    }
    if (fields.MsgType === 'event' && fields.Event === 'kf_msg_or_event') {
      // 微信客服 (path/94670): no message in the event, only the account and a Token for kf/sync_msg.
      if (deps.kf && fields.OpenKfId && fields.Token) deps.kf.notify(fields.OpenKfId, fields.Token)
      else deps.logger.info('微信客服 event while 微信客服 is not enabled; ignored')
      ctx.status = 200
      ctx.type = 'text/plain'
      ctx.body = ''
      return
    }
    const msg = inboundOf(fields)
    if (!msg) throw new DomainError('INVALID_INPUT', '企业微信回调缺少发送人或消息类型')
    if (await deps.inbox.store(msg)) deps.inbox.schedule(msg)
    else deps.logger.info({ id: msg.id }, 'WeCom callback repeated; already stored')
    ctx.status = 200
    ctx.type = 'text/plain'
    ctx.body = ''
  })

  return router
}
