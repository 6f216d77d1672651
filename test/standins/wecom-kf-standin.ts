import { randomBytes } from 'node:crypto'

/**
 * The 微信客服 and 企业群发 part of the WeCom stand-in (wecom-standin.ts routes /cgi-bin/kf/* and
 * /cgi-bin/externalcontact/* here). It follows the documents and rejects what WeCom rejects:
 * - kf/send_msg (path/94677): an unknown open_kfid (95000), a resident who has not written within 48 h
 *   (95002, 发送客服消息时间限制), a 6th message since their last one (95001, 发送客服消息次数限制).
 *   The window comes from the inbound messages the test told it about (`inbound`).
 * - kf/sync_msg (path/94670): the callback's Token is required (95007 不合法的msgtoken); messages are
 *   returned from the cursor, `pageSize` at a time, with next_cursor and has_more.
 * - externalcontact/add_msg_template (path/92135), get_groupmsg_task and get_groupmsg_send_result
 *   (path/93338): a draft for a sender who is not a member is refused (60111); drafts stay unsent until
 *   the test confirms them (`confirmDraft`), as the staff member would in their WeCom client.
 */
export interface KfStandinOptions {
  openKfIds: string[]
  /** Members (userids) that may send group drafts. */
  senders?: string[]
  /** Customer groups each sender owns (chat ids), for the send results. */
  groups?: Record<string, string[]>
  /** Messages per sync_msg page (the real limit is up to 1000). */
  pageSize?: number
}

export interface KfInboundMessage {
  msgid: string
  open_kfid: string
  external_userid: string
  send_time: number
  origin: number
  msgtype: string
  text?: { content: string }
}

export interface KfDelivery {
  touser: string
  openKfId: string
  msgid: string
  content: string
}

export interface GroupDraft {
  msgid: string
  sender: string
  content: string
  sent: boolean
}

type Reply = Record<string, unknown>

export function createKfStandin(options: KfStandinOptions) {
  const messages: KfInboundMessage[] = []
  const msgTokens = new Set<string>()
  const deliveries: KfDelivery[] = []
  const drafts: GroupDraft[] = []
  /** Per open_kfid + external_userid: when the window opened and how many were sent in it. */
  const windows = new Map<string, { at: number; sent: number }>()
  const windowKey = (kf: string, user: string) => `${kf}\n${user}`
  /** Paths whose next call answers HTTP 502 after doing its work (the answer is lost on the way). */
  const lostAnswers = new Set<string>()

  function sendMsg(body: Reply): Reply {
    const kf = String(body.open_kfid ?? '')
    if (!options.openKfIds.includes(kf)) return { errcode: 95000 }
    const content = String((body.text as { content?: string } | undefined)?.content ?? '')
    if (body.msgtype !== 'text') return { errcode: 40008 }
    if (!content) return { errcode: 44004 }
    const msgid = String(body.msgid ?? '')
    if (msgid && !/^[0-9a-zA-Z_-]{1,32}$/.test(msgid)) return { errcode: 40003 }
    const touser = String(body.touser ?? '')
    const w = windows.get(windowKey(kf, touser))
    if (!w || Date.now() - w.at >= 48 * 3600_000) return { errcode: 95002 }
    if (w.sent >= 5) return { errcode: 95001 }
    w.sent += 1
    const id = msgid || `kfmsg-${deliveries.length + 1}`
    deliveries.push({ touser, openKfId: kf, msgid: id, content })
    return { errcode: 0, msgid: id }
  }

  function syncMsg(body: Reply): Reply {
    const token = String(body.token ?? '')
    if (!msgTokens.has(token)) return { errcode: 95007 }
    const kf = String(body.open_kfid ?? '')
    if (!options.openKfIds.includes(kf)) return { errcode: 95000 }
    const mine = messages.filter((m) => m.open_kfid === kf)
    const from = body.cursor ? Number(String(body.cursor).replace(/^c/, '')) : 0
    if (!Number.isInteger(from) || from < 0) return { errcode: 40003 }
    const size = Math.min(Number(body.limit ?? 1000), options.pageSize ?? 1000)
    const page = mine.slice(from, from + size)
    const next = from + page.length
    return { errcode: 0, next_cursor: `c${next}`, has_more: next < mine.length ? 1 : 0, msg_list: page }
  }

  function addMsgTemplate(body: Reply): Reply {
    if (body.chat_type !== 'group') return { errcode: 40003 }
    const sender = String(body.sender ?? '')
    if (!(options.senders ?? []).includes(sender)) return { errcode: 60111 }
    const content = String((body.text as { content?: string } | undefined)?.content ?? '')
    if (!content) return { errcode: 44004 }
    if (Buffer.byteLength(content) > 4000) return { errcode: 45002 }
    const msgid = `msgGROUP${randomBytes(6).toString('hex')}`
    drafts.push({ msgid, sender, content, sent: false })
    return { errcode: 0, fail_list: [], msgid }
  }

  function draftOf(body: Reply): GroupDraft | undefined {
    return drafts.find((d) => d.msgid === body.msgid)
  }

  function groupmsgTask(body: Reply): Reply {
    const d = draftOf(body)
    if (!d) return { errcode: 41063 }
    // status: 0 未发送, 2 已发送
    return { errcode: 0, task_list: [{ userid: d.sender, status: d.sent ? 2 : 0 }] }
  }

  function groupmsgSendResult(body: Reply): Reply {
    const d = draftOf(body)
    if (!d || body.userid !== d.sender) return { errcode: 41063 }
    // status: 0 未发送, 1 已发送
    const send_list = (options.groups?.[d.sender] ?? []).map((chat_id) => ({
      chat_id,
      userid: d.sender,
      status: d.sent ? 1 : 0,
    }))
    return { errcode: 0, send_list }
  }

  const routes: Record<string, (body: Reply) => Reply> = {
    '/cgi-bin/kf/send_msg': sendMsg,
    '/cgi-bin/kf/sync_msg': syncMsg,
    '/cgi-bin/externalcontact/add_msg_template': addMsgTemplate,
    '/cgi-bin/externalcontact/get_groupmsg_task': groupmsgTask,
    '/cgi-bin/externalcontact/get_groupmsg_send_result': groupmsgSendResult,
  }

  return {
    routes,
    /** True (once) when this call's answer is to be lost: the stand-in acts, the caller sees a 502. */
    loseAnswer(path: string): boolean {
      return lostAnswers.delete(path)
    },
    loseNextAnswer(path: string): void {
      lostAnswers.add(path)
    },
    deliveries,
    drafts,
    /**
     * A resident writes to the 客服账号: queued for sync_msg, and (re)opening their window. Returns the
     * Token the kf_msg_or_event callback carries. `secondsAgo` backdates the message.
     */
    inbound(openKfId: string, externalUserId: string, text: string, secondsAgo = 0): string {
      const at = Date.now() - secondsAgo * 1000
      messages.push({
        msgid: `kfin${messages.length + 1}`,
        open_kfid: openKfId,
        external_userid: externalUserId,
        send_time: Math.floor(at / 1000),
        origin: 3,
        msgtype: 'text',
        text: { content: text },
      })
      windows.set(windowKey(openKfId, externalUserId), { at, sent: 0 })
      const token = `ENC${randomBytes(8).toString('hex')}`
      msgTokens.add(token)
      return token
    },
    /** A 接待人员 sent `n` messages from the 微信客服 client: WeChat counts them in the window too. */
    servicerSent(openKfId: string, externalUserId: string, n: number): void {
      const w = windows.get(windowKey(openKfId, externalUserId))
      if (w) w.sent += n
    },
    confirmDraft(msgid: string): void {
      const d = drafts.find((x) => x.msgid === msgid)
      if (d) d.sent = true
    },
  }
}

export type KfStandin = ReturnType<typeof createKfStandin>
