import type { ChatServices } from '../../../handlers/chat-handler.js'
import type { ChatContext } from '../../../handlers/composer.js'
import { runWorkerCommand } from '../../../handlers/worker-commands.js'
import type { Logger } from '../../../lib/logger.js'
import { maskText } from '../../../lib/mask.js'
import { KfMessageModel } from '../../../models/wecom-kf.model.js'
import { WeComMessageModel } from '../../../models/wecom-message.model.js'
import type { ResidentView } from '../../registry/registry.views.js'
import type { Channel } from '../channel.js'
import { ChannelError } from '../channel.js'
import { KeyedQueue } from './keyed-queue.js'

export const WECOM_TEXT = {
  notBound: '您的企业微信账号还没有关联邻里的工作人员身份，请联系社区管理员在人员信息里填写企业微信账号。',
  help: '可以发送这些指令：\n我的工单\n接单 工单号\n进展 工单号 说明\n办结 工单号 处理结果\n转派 工单号 部门 原因\n代录 楼号-单元-房号 问题描述',
  textOnly: '目前只能处理文字指令，请发送文字，例如「我的工单」。',
} as const

/** One inbound message of the self-built app, as read from the decrypted callback XML. */
export interface WeComInbound {
  /** `wecom:<MsgId>` or the event key. */
  id: string
  fromUserId: string
  msgType: string
  text?: string
  agentId?: number
  createTime?: Date
}

/** Reads the decrypted fields (document path/90239 and path/90240): text messages and events. */
export function inboundOf(fields: Record<string, string>): WeComInbound | undefined {
  const from = fields.FromUserName
  const msgType = fields.MsgType
  if (!from || !msgType) return undefined
  const created = Number(fields.CreateTime)
  const id = fields.MsgId
    ? `wecom:${fields.MsgId}`
    : `wecom-event:${from}:${fields.CreateTime ?? ''}:${fields.Event ?? msgType}`
  return {
    id,
    fromUserId: from,
    msgType,
    ...(msgType === 'text' ? { text: fields.Content ?? '' } : {}),
    ...(fields.AgentID ? { agentId: Number(fields.AgentID) } : {}),
    ...(Number.isFinite(created) && created > 0 ? { createTime: new Date(created * 1000) } : {}),
  }
}

export interface WeComInboxDeps {
  services: ChatServices
  /** The app channel replies go back through. */
  channel: Channel
  logger: Logger
}

/**
 * Staff messages to the WeCom app: stored first (idempotent on MsgId), answered 200 at once, then
 * handled: the same inbox commands as the Wechaty direct chat, the replies sent back through the app.
 */
export class WeComInbox {
  /** Each member's messages are handled in the order they came (接单 before 办结). */
  private readonly queue: KeyedQueue

  constructor(private readonly deps: WeComInboxDeps) {
    this.queue = new KeyedQueue((err) => deps.logger.error({ err }, 'WeCom message not handled'))
  }

  /** Stores the message; false when it was stored before (WeCom retried the callback). */
  async store(msg: WeComInbound): Promise<boolean> {
    try {
      await WeComMessageModel.create({
        _id: msg.id,
        fromUserId: msg.fromUserId,
        msgType: msg.msgType,
        text: msg.text,
        agentId: msg.agentId,
        createTime: msg.createTime,
        receivedAt: this.deps.services.clock.now(),
        state: 'received',
      })
      return true
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false
      throw err
    }
  }

  /** Handles a stored message in the background, after the sender's earlier ones; `drain()` waits. */
  schedule(msg: { id: string; fromUserId: string }): void {
    this.queue.run(msg.fromUserId, () =>
      this.handle(msg.id).catch((err: unknown) =>
        this.deps.logger.error({ err, id: msg.id }, 'WeCom message not handled'),
      ),
    )
  }

  drain(): Promise<void> {
    return this.queue.drain()
  }

  /** Messages stored but never handled (the process stopped in between): handles them now. */
  async resume(): Promise<number> {
    const left = await WeComMessageModel.find({ state: 'received' }, { _id: 1, fromUserId: 1 })
      .sort({ receivedAt: 1 })
      .lean()
    for (const m of left) this.schedule({ id: m._id, fromUserId: m.fromUserId })
    return left.length
  }

  /** Claims the message (received → processing, decided by the update) and handles it once. */
  async handle(id: string): Promise<void> {
    const doc = await WeComMessageModel.findOneAndUpdate(
      { _id: id, state: 'received' },
      { $set: { state: 'processing' } },
      { returnDocument: 'after' },
    ).lean()
    if (!doc) return
    const { services } = this.deps
    const me = await services.registry.findResidentByWeComUser(doc.fromUserId)
    const ctx = this.contextOf(doc._id, doc.fromUserId, doc.text ?? '', me)
    try {
      if (doc.msgType === 'event') {
        await this.finish(id, 'ignored', 'event')
        return
      }
      if (doc.msgType !== 'text') {
        await ctx.reply(WECOM_TEXT.textOnly)
        ctx.outcome = 'wecom:not-text'
      } else if (!me) {
        await ctx.reply(WECOM_TEXT.notBound)
        ctx.outcome = 'wecom:not-bound'
      } else if (!(await runWorkerCommand(ctx, services, me))) {
        await ctx.reply(WECOM_TEXT.help)
        ctx.outcome = 'wecom:help'
      }
      await this.finish(id, 'handled', ctx.outcome)
    } catch (err) {
      const error =
        err instanceof ChannelError ? `${err.kind}:${err.providerCode ?? ''}` : (err as Error).name
      await WeComMessageModel.updateOne(
        { _id: id },
        { $set: { state: 'failed', outcome: ctx.outcome, error } },
      )
      throw err
    }
  }

  private finish(id: string, state: 'handled' | 'ignored', outcome: string) {
    return WeComMessageModel.updateOne({ _id: id }, { $set: { state, outcome } })
  }

  /** A direct-chat context whose replies go to the sender through the WeCom app. */
  private contextOf(id: string, userId: string, text: string, me: ResidentView | undefined): ChatContext {
    const { channel, services } = this.deps
    let n = 0
    const ctx: ChatContext = {
      input: {
        messageId: id,
        sender: { contactId: `wecom:${userId}`, name: me?.name ?? userId },
        text,
        mentionsBot: false,
        mentionIds: [],
        type: 'text',
        attachments: [],
        receivedAt: services.clock.now(),
      },
      isGroup: false,
      chatKey: `wecom:${userId}`,
      text: text.trim(),
      addressed: true,
      asks: [],
      outcome: 'unhandled',
      replies: [],
      async me() {
        if (!me) throw new Error('not bound')
        return me
      },
      async reply(replyText) {
        n += 1
        const key = `wecom-reply:${id}:${n}`
        const sent = await channel.send(
          { channel: 'wecom_app', id: userId },
          { key, purpose: 'reply', text: replyText },
        )
        await WeComMessageModel.updateOne(
          { _id: id },
          {
            $push: {
              replies: {
                key,
                text: maskText(replyText),
                sentAt: services.clock.now(),
                providerMessageId: sent.providerMessageId,
              },
            },
          },
        )
        ctx.replies.push({ key, to: { type: 'contact', id: `wecom:${userId}` }, text: replyText })
      },
    }
    return ctx
  }
}

/**
 * Retention: blanks the words of handled WeCom app and 微信客服 messages (and their replies) received
 * before `cutoff`; who, when and the outcome stay. Per document, since not every backend takes `$[]` updates.
 */
export async function purgeOldWeComTexts(cutoff: Date, purged: string): Promise<number> {
  return (
    (await purgeTexts(WeComMessageModel as unknown as InboxModel, cutoff, purged)) +
    (await purgeTexts(KfMessageModel as unknown as InboxModel, cutoff, purged))
  )
}

/** What both inbox collections (WeCom app, 微信客服) have in common for retention. */
interface InboxModel {
  find(
    filter: object,
    projection: object,
  ): { lean(): Promise<Array<{ _id: string; replies: Array<Record<string, unknown>> }>> }
  updateOne(filter: object, update: object): Promise<unknown>
}

async function purgeTexts(model: InboxModel, cutoff: Date, purged: string): Promise<number> {
  const old = await model
    .find(
      {
        receivedAt: { $lt: cutoff },
        state: { $in: ['handled', 'ignored', 'failed'] },
        text: { $ne: purged },
      },
      { _id: 1, replies: 1 },
    )
    .lean()
  for (const doc of old) {
    const replies = doc.replies.map((r) => ({ ...r, text: purged }))
    await model.updateOne({ _id: doc._id }, { $set: { text: purged, replies } })
  }
  return old.length
}
