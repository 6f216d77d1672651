import { type ChatServices, createChatHandler } from '../../../handlers/chat-handler.js'
import type { ChatInput } from '../../../handlers/chat-input.js'
import type { Logger } from '../../../lib/logger.js'
import { maskText } from '../../../lib/mask.js'
import { ResidentModel } from '../../../models/registry.model.js'
import { KfMessageModel } from '../../../models/wecom-kf.model.js'
import type { Outbox } from '../../outbox/outbox.service.js'
import type { RegistryService } from '../../registry/registry.service.js'
import { KeyedQueue } from './keyed-queue.js'
import type { WeComKfChannel } from './kf-channel.js'
import { syncKfMessages } from './kf-sync.js'

/** The chat's contact id for a 微信客服 customer: its replies go back over wecom_kf, not the bot. */
export const KF_CONTACT_PREFIX = 'wecomkf:'

export interface KfInboxDeps {
  services: ChatServices
  channel: WeComKfChannel
  logger: Logger
  /** The bot's display name, for the chat handler. */
  botName: string
}

/**
 * Residents' messages to the 微信客服 account. The callback only says 「有新消息」 (event
 * kf_msg_or_event with a Token, document path/94670); the messages are read with kf/sync_msg from the
 * stored cursor, stored (idempotent on msgid; the send time opens the reply window), the cursor saved,
 * and each text handled by the chat handler like a direct chat, its replies sent back over wecom_kf.
 */
export class KfInbox {
  /** One read per account at a time; each customer's messages in order. */
  private readonly queue: KeyedQueue
  private readonly handler: ReturnType<typeof createChatHandler>

  constructor(private readonly deps: KfInboxDeps) {
    // Keys carry external_userids: not logged.
    this.queue = new KeyedQueue((err) => deps.logger.error({ err }, '微信客服 message not handled'))
    const { services } = deps
    this.handler = createChatHandler({
      services: {
        ...services,
        registry: this.registryFor(services.registry),
        outbox: this.outboxFor(services.outbox),
      },
      logger: deps.logger,
      botName: deps.botName,
    })
  }

  /**
   * The callback's event: reads what is new (one read at a time), then handles it. Only the configured
   * 客服账号 is read: replies go out from it, so another account's customers could not be answered.
   */
  notify(openKfId: string, token: string): boolean {
    if (openKfId !== this.deps.channel.openKfId) {
      this.deps.logger.info('微信客服 event for another 客服账号; ignored')
      return false
    }
    this.queue.run(`sync:${openKfId}`, async () => {
      const stored = await syncKfMessages(this.deps.channel.client, openKfId, token, this.deps.services.clock)
      for (const m of stored) this.schedule(m)
    })
    return true
  }

  /** Handles a stored message after the same customer's earlier ones; `drain()` waits. */
  schedule(msg: { id: string; externalUserId: string }): void {
    this.queue.run(`user:${msg.externalUserId}`, () =>
      this.handle(msg.id).catch((err: unknown) =>
        this.deps.logger.error({ err, id: msg.id }, '微信客服 message not handled'),
      ),
    )
  }

  drain(): Promise<void> {
    return this.queue.drain()
  }

  /** Messages stored but not handled before a stop: handled now. */
  async resume(): Promise<number> {
    const left = await KfMessageModel.find({ state: 'received' }, { _id: 1, externalUserId: 1 })
      .sort({ receivedAt: 1 })
      .lean()
    for (const m of left) this.schedule({ id: m._id, externalUserId: m.externalUserId })
    return left.length
  }

  /** Claims the message (received → processing) and runs the chat handler on it once. */
  async handle(id: string): Promise<void> {
    const doc = await KfMessageModel.findOneAndUpdate(
      { _id: id, state: 'received' },
      { $set: { state: 'processing' } },
      { returnDocument: 'after' },
    ).lean()
    if (!doc) return
    const input: ChatInput = {
      messageId: id,
      sender: { contactId: `${KF_CONTACT_PREFIX}${doc.externalUserId}`, name: '微信客户' },
      text: doc.text ?? '',
      mentionsBot: false,
      mentionIds: [],
      type: doc.msgType === 'text' ? 'text' : doc.msgType === 'voice' ? 'voice' : 'other',
      attachments: [],
      receivedAt: doc.receivedAt,
    }
    try {
      const result = await this.handler(input)
      await KfMessageModel.updateOne({ _id: id }, { $set: { state: 'handled', outcome: result.outcome } })
    } catch (err) {
      await KfMessageModel.updateOne({ _id: id }, { $set: { state: 'failed', error: (err as Error).name } })
      throw err
    }
  }

  /** The person behind a 微信客服 customer: the one recorded with this external_userid, or a new one. */
  private registryFor(registry: RegistryService): RegistryService {
    return {
      ...registry,
      async personOfContact(contact, home) {
        if (!contact.contactId.startsWith(KF_CONTACT_PREFIX)) return registry.personOfContact(contact, home)
        const externalUserId = contact.contactId.slice(KF_CONTACT_PREFIX.length)
        const known = await ResidentModel.findOne(
          { wecomExternalUserId: externalUserId, erasedAt: null },
          { _id: 1 },
        ).lean()
        if (known) return registry.getResident(String(known._id))
        return registry.createResident({
          name: '微信客户',
          roles: ['resident'],
          wecomExternalUserId: externalUserId,
        })
      },
    }
  }

  /** Replies to a 微信客服 customer go out at once over wecom_kf (keyed by the reply key); others queue. */
  private outboxFor(outbox: Outbox): Outbox {
    const { channel, services } = this.deps
    return {
      ...outbox,
      async enqueue(input) {
        const to = input.to
        if (to.type !== 'contact' || !to.id.startsWith(KF_CONTACT_PREFIX)) return outbox.enqueue(input)
        // A question the reply asks (a menu, 「请回复1」) is recorded as the outbox would record it.
        if (input.expects) await services.asks.record({ type: 'contact', id: to.id }, input.expects)
        const messageId = input.refs?.messageId
        const sent = await channel.send(
          { channel: 'wecom_kf', id: to.id.slice(KF_CONTACT_PREFIX.length) },
          { key: input.key, purpose: 'reply', text: input.text },
        )
        if (messageId) {
          const reply = { key: input.key, text: maskText(input.text), sentAt: services.clock.now(), ...sent }
          await KfMessageModel.updateOne({ _id: messageId }, { $push: { replies: reply } })
        }
        return true
      },
    }
  }
}
