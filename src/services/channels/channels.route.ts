import type { FieldCrypto } from '../../lib/crypto.js'
import { ResidentModel } from '../../models/registry.model.js'
import type { ChannelAddress, ChannelName, MessagePurpose } from './channel.js'
import type { ChannelRegistry } from './channels.registry.js'

/** An outbox recipient: a Wechaty room or contact, a person (Resident id) resolved here, or a WeCom robot. */
export interface Recipient {
  type: 'room' | 'contact' | 'person' | 'robot'
  id: string
}

export interface Route {
  /** The (channel, address) pairs to try now, in the configured order. */
  usable: ChannelAddress[]
  /** Reachable channels skipped for now: down or over their quota (the message waits for them). */
  waiting: Array<{ address: ChannelAddress; why: 'down' | 'quota' }>
}

/** Not reachable by any configured channel: the message is undeliverable (the reason, in Chinese). */
export interface NoRoute {
  reason: string
}

const NO_WECHAT = '该居民没有绑定微信，请网格员电话或上门告知'

/** Where a person can be reached, by channel (before the configured order), and whether SMS goes first. */
type Reachable = Partial<Record<ChannelName, string>> & { smsFirst?: boolean }

async function personAddresses(
  id: string,
  crypto: FieldCrypto | undefined,
  smsFirstTags: readonly string[],
): Promise<Reachable | string> {
  const person = /^[0-9a-f]{24}$/.test(id) ? await ResidentModel.findById(id).lean() : null
  if (!person || person.erasedAt) return '收件人不存在'
  const out: Reachable = { smsFirst: person.tags.some((t) => smsFirstTags.includes(t)) }
  if (person.wechat?.contactId) out.wechaty = `contact:${person.wechat.contactId}`
  if (person.wecomUserId) out.wecom_app = person.wecomUserId
  // 微信客服 only within the resident's reply window: the channel takes a slot of it or refuses with
  // `recipient` before calling WeChat (kf-window.ts), and the outbox moves on.
  if (person.wecomExternalUserId) out.wecom_kf = person.wecomExternalUserId
  // A subscribe message needs a subscription the person gave in the mini-program: the channel spends
  // one from the recorded grants (mp/subscriptions.ts) or refuses with `recipient` before calling
  // WeChat, and the outbox moves on to the next channel.
  if (person.wechat?.openid) out.mp_subscribe = person.wechat.openid
  if (person.phoneEnc && crypto) {
    try {
      out.sms = crypto.decrypt(person.phoneEnc)
    } catch {
      // A phone sealed with a retired key cannot be used; the other channels still can.
    }
  }
  return out
}

/**
 * The ordered (channel, address) list to try for one message: a room only by Wechaty (a group is
 * never failed over to a person's channel), a contact by Wechaty, a person by each channel they are
 * reachable on, in the order configured for the purpose (`channels.order.<purpose>`). Channels in
 * `done` (already failed over from) are left out; those `down` or over quota wait.
 */
export async function routeMessage(input: {
  to: Recipient | null | undefined
  purpose: MessagePurpose
  registry: ChannelRegistry
  done?: readonly string[]
  now: Date
  crypto?: FieldCrypto
}): Promise<Route | NoRoute> {
  const { to, purpose, registry } = input
  if (!to) return { reason: '没有收件人' }
  let reachable: Partial<Record<ChannelName, string>>
  let order: ChannelName[]
  if (to.type === 'person') {
    const found = await personAddresses(to.id, input.crypto, registry.smsFirstTags ?? [])
    if (typeof found === 'string') return { reason: found }
    const { smsFirst, ...addresses } = found
    reachable = addresses
    order = registry.order(purpose)
    // An elderly resident (by registry tag) reads SMS: it goes first where the purpose allows it.
    if (smsFirst && order.includes('sms')) order = ['sms', ...order.filter((n) => n !== 'sms')]
  } else if (to.type === 'robot') {
    // A staff group's robot feed goes by its webhook only.
    reachable = { wecom_robot: to.id }
    order = registry.get('wecom_robot') ? ['wecom_robot'] : []
  } else {
    reachable = { wechaty: `${to.type}:${to.id}` }
    order = registry.get('wechaty') ? ['wechaty'] : []
  }
  const candidates = order.filter((name) => reachable[name] !== undefined)
  if (candidates.length === 0) return { reason: to.type === 'person' ? NO_WECHAT : '没有可用的发送渠道' }
  const route: Route = { usable: [], waiting: [] }
  for (const name of candidates) {
    if (input.done?.includes(name)) continue
    const address = { channel: name, id: reachable[name] as string }
    if (registry.get(name)?.health().state === 'down') route.waiting.push({ address, why: 'down' })
    else if (await registry.overQuota(name, input.now)) route.waiting.push({ address, why: 'quota' })
    else route.usable.push(address)
  }
  return route
}
