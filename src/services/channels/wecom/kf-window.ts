import { KfMessageModel, KfSlotModel } from '../../../models/wecom-kf.model.js'
import { ChannelError } from '../channel.js'

/**
 * The 微信客服 reply window, as data (document path/94677 发送消息: "仅当微信客户在主动发送消息给客服后
 * 的48小时内，企业可发送消息给客户，最多可发送5条消息；若用户继续发送消息，企业可再次下发消息"). The
 * window is opened by the resident's latest message (its id is the window id); each send takes slot n
 * (1..5) of it by a unique-key insert, so two concurrent sends can never both take slot 5.
 */
export const KF_WINDOW_MS = 48 * 3600_000
export const KF_WINDOW_SENDS = 5

export interface KfWindowOwner {
  openKfId: string
  externalUserId: string
}

export interface KfSlot {
  id: string
  windowId: string
  slot: number
  /** Set when this outbox key already went out in this window (a retry): do not send again. */
  providerMessageId?: string
  /** True when the slot was taken earlier for the same key (the send may be repeated, same msgid). */
  reused: boolean
}

/**
 * The latest message of this resident to this 客服账号: the window it opened, if still open at `now`.
 * send_time has whole seconds: of two messages in one second, the one read later opens the window.
 */
export async function currentWindow(
  openKfId: string,
  externalUserId: string,
  now: Date,
): Promise<{ id: string; opensAt: Date } | undefined> {
  const last = await KfMessageModel.findOne({ openKfId, externalUserId }, { _id: 1, sendTime: 1 })
    .sort({ sendTime: -1, receivedAt: -1, _id: -1 })
    .lean()
  if (!last || now.getTime() - last.sendTime.getTime() >= KF_WINDOW_MS) return undefined
  return { id: last._id, opensAt: last.sendTime }
}

/**
 * Takes a send slot for `key`, or refuses with `recipient` (outside the window, or all 5 used) so the
 * outbox fails over before anyone calls WeChat.
 */
export async function takeKfSlot(input: {
  openKfId: string
  externalUserId: string
  key: string
  now: Date
}): Promise<KfSlot> {
  const { openKfId, externalUserId, key, now } = input
  const window = await currentWindow(openKfId, externalUserId, now)
  if (!window) {
    throw new ChannelError('recipient', '居民48小时内没有给客服发过消息，微信客服不能主动发送', 95002)
  }
  const earlier = await KfSlotModel.findOne({ windowId: window.id, key }).lean()
  if (earlier) {
    return {
      id: earlier._id,
      windowId: window.id,
      slot: earlier.slot,
      reused: true,
      ...(earlier.providerMessageId ? { providerMessageId: earlier.providerMessageId } : {}),
    }
  }
  for (let slot = 1; slot <= KF_WINDOW_SENDS; slot++) {
    const id = `${window.id}:${slot}`
    try {
      await KfSlotModel.create({
        _id: id,
        windowId: window.id,
        slot,
        key,
        openKfId,
        externalUserId,
        takenAt: now,
      })
      return { id, windowId: window.id, slot, reused: false }
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err
    }
  }
  throw new ChannelError('recipient', '居民上次发消息后的5条客服消息已用完，需等居民再次发消息', 95001)
}

/** Records what WeChat answered for a slot (its msgid), so a retry of the same key is not sent twice. */
export async function recordKfSend(slotId: string, providerMessageId: string): Promise<void> {
  await KfSlotModel.updateOne({ _id: slotId }, { $set: { providerMessageId } })
}

/**
 * WeChat refused a send of this window (95001/95002: it counted more, e.g. a 接待人员's messages from the
 * 微信客服 client, or its clock is ahead): the window's free slots are taken, so the next sends are
 * refused here without calling WeChat.
 */
export async function closeKfWindow(
  slot: Pick<KfSlot, 'windowId'>,
  input: KfWindowOwner,
  now: Date,
): Promise<void> {
  for (let n = 1; n <= KF_WINDOW_SENDS; n++) {
    try {
      await KfSlotModel.create({
        _id: `${slot.windowId}:${n}`,
        windowId: slot.windowId,
        slot: n,
        key: `closed-by-wechat:${n}`,
        ...input,
        takenAt: now,
      })
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err
    }
  }
}
