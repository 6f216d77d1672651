import { createHash } from 'node:crypto'
import { type Clock, systemClock } from '../../../lib/clock.js'
import { type ChannelAddress, ChannelError, type ChannelMessage, type MessagePurpose } from '../channel.js'
import { TrackedChannel } from '../health.js'
import { closeKfWindow, recordKfSend, takeKfSlot } from './kf-window.js'
import { TEXT_MAX_BYTES, type WeComClient } from './wecom-client.js'

/**
 * 微信客服 (WeCom customer service) as a Channel: one-to-one chats with residents who wrote to the
 * community's 客服账号, addressed by their external_userid. Documents (developer.work.weixin.qq.com):
 * - 发送消息 path/94677 — POST /cgi-bin/kf/send_msg {touser, open_kfid, msgid, msgtype: text, text:{content}};
 *   msgid ≤ 32 bytes of [0-9a-zA-Z_-], echoed back; at most 5 messages within 48 h of the resident's last
 *   message. The access token is the corp's (微信客服 Secret, or an app granted 微信客服 API rights).
 * - 微信客服 全局错误码 (open.work.weixin.qq.com/kf/doc/92512/93143/93304): 95000 不合法的open_kfid,
 *   95001 发送客服消息次数限制, 95002 发送客服消息时间限制, 95004 open_kfid不存在, 95007 不合法的
 *   msgtoken, 95018 发送消息的会话状态不合法.
 */
export const KF_PURPOSES: readonly MessagePurpose[] = ['reply', 'update', 'rating', 'reminder', 'notice']

/** The provider's kf errcode → what the outbox does about it (others: wecom-client's table). */
export function kfErrorKind(code: number): ChannelError['kind'] | undefined {
  if (code === 95001 || code === 95002 || code === 95018) return 'recipient'
  if (code === 95000 || code === 95004) return 'auth'
  return undefined
}

/** The outbox key as a send_msg msgid: same key, same msgid (32 hex characters). */
export function kfMsgId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32)
}

const HEALTH = {
  auth: '微信客服凭据或客服账号被拒绝，请检查配置',
  rate_limited: '微信客服发送过于频繁',
  unavailable: '企业微信暂时无法连接',
}

export class WeComKfChannel extends TrackedChannel {
  readonly name = 'wecom_kf' as const
  readonly purposes = KF_PURPOSES
  private readonly clock: Clock

  constructor(
    readonly client: WeComClient,
    readonly openKfId: string,
    clock: Clock = systemClock,
  ) {
    super(() => clock.now().getTime())
    this.clock = clock
  }

  async send(to: ChannelAddress, message: ChannelMessage): Promise<{ providerMessageId?: string }> {
    this.admit(to, message, '微信客服')
    if (!to.id) throw new ChannelError('recipient', '没有微信客服的客户ID')
    if (Buffer.byteLength(message.text) > TEXT_MAX_BYTES) {
      throw new ChannelError('rejected', `text over ${TEXT_MAX_BYTES} bytes`, 45002)
    }
    // The window is decided here, before WeChat is called: outside it the outbox fails over.
    const slot = await takeKfSlot({
      openKfId: this.openKfId,
      externalUserId: to.id,
      key: message.key,
      now: this.clock.now(),
    })
    if (slot.providerMessageId) return { providerMessageId: slot.providerMessageId }
    const msgid = kfMsgId(message.key)
    try {
      const reply = await this.client.post('/cgi-bin/kf/send_msg', {
        touser: to.id,
        open_kfid: this.openKfId,
        msgid,
        msgtype: 'text',
        text: { content: message.text },
      })
      const sent = typeof reply.msgid === 'string' ? reply.msgid : msgid
      await recordKfSend(slot.id, sent)
      this.tracker.mark('up')
      return { providerMessageId: sent }
    } catch (err) {
      const e = asKfError(err)
      if (e.providerCode === 95001 || e.providerCode === 95002) {
        await closeKfWindow(slot, { openKfId: this.openKfId, externalUserId: to.id }, this.clock.now())
      }
      this.tracker.failed(e, HEALTH)
      throw e
    }
  }
}

function asKfError(err: unknown): ChannelError {
  if (!(err instanceof ChannelError)) return new ChannelError('unavailable', (err as Error).message)
  const kind = kfErrorKind(Number(err.providerCode))
  return kind ? new ChannelError(kind, err.message, err.providerCode) : err
}
