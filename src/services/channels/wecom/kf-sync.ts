import type { Clock } from '../../../lib/clock.js'
import { KfCursorModel, KfMessageModel } from '../../../models/wecom-kf.model.js'
import type { WeComClient } from './wecom-client.js'

/** kf/sync_msg origin 3: a message the WeChat customer sent (4: a system event, 5: a servicer's). */
const ORIGIN_CUSTOMER = 3
/** Pages read per sync at most (1000 messages a page), so a broken cursor cannot loop forever. */
const MAX_PAGES = 100

interface SyncedMessage {
  msgid?: string
  open_kfid?: string
  external_userid?: string
  send_time?: number
  origin?: number
  msgtype?: string
  text?: { content?: string }
}

export interface StoredKfMessage {
  id: string
  externalUserId: string
}

/**
 * Reads the account's new messages (读取消息, document path/94670: POST /cgi-bin/kf/sync_msg {cursor,
 * token, limit ≤ 1000, open_kfid} → msg_list, next_cursor, has_more; `token` is the callback's, valid
 * 10 minutes). Each customer message is stored (idempotent on msgid), then the page's next_cursor is
 * saved, so after a restart reading resumes where it stopped and nothing is handled twice.
 * Returns the newly stored messages.
 */
export async function syncKfMessages(
  client: WeComClient,
  openKfId: string,
  token: string,
  clock: Clock,
): Promise<StoredKfMessage[]> {
  const stored: StoredKfMessage[] = []
  for (let page = 0; page < MAX_PAGES; page++) {
    const cursor = (await KfCursorModel.findById(openKfId).lean())?.cursor
    const reply = await client.post('/cgi-bin/kf/sync_msg', {
      ...(cursor ? { cursor } : {}),
      token,
      open_kfid: openKfId,
      limit: 1000,
    })
    for (const m of (reply.msg_list ?? []) as SyncedMessage[]) {
      const one = await storeKfMessage(openKfId, m, clock.now())
      if (one) stored.push(one)
    }
    const next = typeof reply.next_cursor === 'string' ? reply.next_cursor : undefined
    if (next) {
      await KfCursorModel.updateOne(
        { _id: openKfId },
        { $set: { cursor: next, updatedAt: clock.now() } },
        { upsert: true },
      )
    }
    if (Number(reply.has_more) !== 1 || !next) break
  }
  return stored
}

/** Stores a customer's message; undefined when it is not one or was stored before. */
async function storeKfMessage(
  openKfId: string,
  m: SyncedMessage,
  now: Date,
): Promise<StoredKfMessage | undefined> {
  if (m.origin !== ORIGIN_CUSTOMER || !m.msgid || !m.external_userid) return undefined
  const id = `kf:${m.msgid}`
  try {
    await KfMessageModel.create({
      _id: id,
      openKfId: m.open_kfid ?? openKfId,
      externalUserId: m.external_userid,
      msgType: m.msgtype ?? 'unknown',
      text: m.msgtype === 'text' ? (m.text?.content ?? '') : undefined,
      sendTime: new Date(Number(m.send_time) * 1000),
      receivedAt: now,
    })
    return { id, externalUserId: m.external_userid }
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return undefined
    throw err
  }
}
