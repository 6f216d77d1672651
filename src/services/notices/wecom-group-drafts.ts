import type { Clock } from '../../lib/clock.js'
import { ConflictError, DomainError, ForbiddenError, InvalidInputError } from '../../lib/errors.js'
import { ResidentModel } from '../../models/registry.model.js'
import { WeComGroupDraftModel } from '../../models/wecom-group-draft.model.js'
import { ChannelError } from '../channels/channel.js'
import type { WeComClient } from '../channels/wecom/wecom-client.js'
import { canManage, type StaffActor } from '../events/event.views.js'
import type { NoticeService } from './notice.service.js'

/**
 * 企业群发 drafts of notices for staff members' customer groups (客户群). Documents
 * (developer.work.weixin.qq.com/document/path/…):
 * - 创建企业群发 92135 — POST /cgi-bin/externalcontact/add_msg_template {chat_type: group, sender,
 *   text:{content ≤ 4000 bytes}} → msgid; the member confirms and sends it in their WeCom client.
 * - 获取群发记录 93338 — get_groupmsg_task {msgid} → task_list [{userid, status 0 未发送 / 2 已发送}];
 *   get_groupmsg_send_result {msgid, userid} → send_list [{chat_id, status 0 未发送 / 1 已发送 …}].
 * The corp's secret must have 客户联系 rights (the app's, when it was granted them).
 */
export const GROUP_TEXT_MAX_BYTES = 4000
/** A claim older than this whose WeCom call never recorded a msgid may be taken over. */
const STALE_CLAIM_MS = 2 * 60_000

export interface GroupDraftView {
  sender: string
  state: 'creating' | 'created'
  msgid?: string
  createdAt?: Date
  sendStatus: 'unsent' | 'sent'
  sentGroups: number
  checkedAt?: Date
}

export interface WeComGroupDrafts {
  /** Creates (once per notice and sender) the draft; returns the recorded one on a repeat. */
  create(noticeId: string, sender: string | undefined, actor: StaffActor): Promise<GroupDraftView>
  /** Asks WeCom whether each created draft was sent, and records it. */
  refresh(noticeId: string): Promise<GroupDraftView[]>
  list(noticeId: string): Promise<GroupDraftView[]>
}

const NOT_CONFIGURED = '企业微信尚未配置，不能创建客户群群发'

function viewOf(d: {
  sender: string
  state: 'creating' | 'created'
  msgid?: string | null
  createdAt?: Date | null
  sendStatus?: 'unsent' | 'sent' | null
  sentGroups?: number | null
  checkedAt?: Date | null
}): GroupDraftView {
  return {
    sender: d.sender,
    state: d.state,
    ...(d.msgid ? { msgid: d.msgid } : {}),
    ...(d.createdAt ? { createdAt: d.createdAt } : {}),
    sendStatus: d.sendStatus ?? 'unsent',
    sentGroups: d.sentGroups ?? 0,
    ...(d.checkedAt ? { checkedAt: d.checkedAt } : {}),
  }
}

/** A WeCom refusal in Chinese, as a 4xx: never a 500 for the caller. */
function refusalOf(err: unknown): never {
  if (!(err instanceof ChannelError)) throw err
  if (err.kind === 'unavailable' || err.kind === 'rate_limited') {
    throw new DomainError('UNAVAILABLE', '企业微信暂时无法连接，请两分钟后再试', { code: err.providerCode })
  }
  if (err.kind === 'auth') {
    throw new ConflictError('企业微信拒绝了凭据，请检查客户联系权限配置', { code: err.providerCode })
  }
  throw new DomainError('UNPROCESSABLE', '企业微信拒绝了这条群发，请检查发送人账号和通知内容', {
    code: err.providerCode,
  })
}

export function createWeComGroupDrafts(deps: {
  client?: WeComClient
  notices: Pick<NoticeService, 'get'>
  clock: Clock
}): WeComGroupDrafts {
  const { notices, clock } = deps

  /** The sender: the one asked for, or the caller's own WeCom account; a staff member of the community. */
  async function senderOf(
    asked: string | undefined,
    actor: StaffActor,
    communityId: string,
    gridIds: string[],
  ) {
    const me = await ResidentModel.findById(actor.personId, { wecomUserId: 1 }).lean()
    const sender = asked ?? me?.wecomUserId ?? undefined
    if (!sender)
      throw new InvalidInputError('请填写发送人的企业微信账号，或先在人员信息里关联您的企业微信账号')
    if (sender === me?.wecomUserId) return sender
    const other = await ResidentModel.findOne(
      { wecomUserId: sender, erasedAt: null },
      { roles: 1, staff: 1 },
    ).lean()
    const scope = other && {
      personId: String(other._id),
      roles: other.roles,
      communityIds: (other.staff?.communityIds ?? []).map(String),
      gridIds: (other.staff?.gridIds ?? []).map(String),
    }
    if (!scope || !canManage(scope as StaffActor, communityId, gridIds)) {
      throw new ForbiddenError('发送人必须是本社区关联了企业微信的工作人员')
    }
    return sender
  }

  async function claim(id: string, noticeId: string, sender: string, actor: StaffActor) {
    const now = clock.now()
    try {
      await WeComGroupDraftModel.create({
        _id: id,
        noticeId,
        sender,
        state: 'creating',
        claimedAt: now,
        createdBy: actor.personId,
      })
      return undefined
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err
    }
    const existing = await WeComGroupDraftModel.findById(id).lean()
    if (existing?.state === 'created') return existing
    // Another call is creating it; a claim left by a stopped process may be taken over.
    const taken = await WeComGroupDraftModel.updateOne(
      { _id: id, state: 'creating', claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) } },
      { $set: { claimedAt: now, createdBy: actor.personId } },
    )
    if (taken.modifiedCount === 1) return undefined
    throw new ConflictError('这条群发正在创建，请稍后刷新查看')
  }

  return {
    async create(noticeId, askedSender, actor) {
      const notice = await notices.get(noticeId)
      const staff = actor.roles.some((r) => r === 'community_staff' || r === 'admin')
      if (!staff || !canManage(actor, notice.communityId, [])) {
        throw new ForbiddenError('只有本社区的工作人员可以创建客户群群发')
      }
      const client = deps.client
      if (!client) throw new ConflictError(NOT_CONFIGURED)
      if (notice.status === 'cancelled') throw new ConflictError('通知已取消，不能再群发')
      const content = `【${notice.title}】\n${notice.body}`
      if (Buffer.byteLength(content) > GROUP_TEXT_MAX_BYTES) {
        throw new InvalidInputError('通知内容超过企业微信群发的长度上限（4000字节），请精简后再试')
      }
      const sender = await senderOf(askedSender, actor, notice.communityId, notice.gridIds)
      const id = `${noticeId}:${sender}`
      const recorded = await claim(id, noticeId, sender, actor)
      if (recorded) return viewOf(recorded)
      let msgid: string
      try {
        const reply = await client.post('/cgi-bin/externalcontact/add_msg_template', {
          chat_type: 'group',
          sender,
          text: { content },
        })
        msgid = String(reply.msgid ?? '')
        if (!msgid) throw new ChannelError('unavailable', 'add_msg_template answered without msgid')
      } catch (err) {
        // WeCom refused it (an errcode): nothing was created, the claim is released for another try.
        // No answer (network, timeout): it may exist; the claim stays until it is stale (2 minutes).
        if (err instanceof ChannelError && err.kind !== 'unavailable') {
          await WeComGroupDraftModel.deleteOne({ _id: id, state: 'creating' })
        }
        refusalOf(err)
      }
      const doc = await WeComGroupDraftModel.findOneAndUpdate(
        { _id: id },
        { $set: { state: 'created', msgid, createdAt: clock.now() } },
        { returnDocument: 'after' },
      ).lean()
      if (!doc) throw new ConflictError('群发记录已被删除，请重试')
      return viewOf(doc)
    },

    async refresh(noticeId) {
      const drafts = await WeComGroupDraftModel.find({ noticeId, state: 'created' }).lean()
      const client = deps.client
      if (drafts.length === 0) return this.list(noticeId)
      if (!client) throw new ConflictError(NOT_CONFIGURED)
      for (const d of drafts) {
        try {
          const task = await client.post('/cgi-bin/externalcontact/get_groupmsg_task', {
            msgid: d.msgid,
            limit: 1000,
          })
          const mine = ((task.task_list ?? []) as Array<{ userid?: string; status?: number }>).find(
            (t) => t.userid === d.sender,
          )
          const sent = mine?.status === 2
          let sentGroups = 0
          if (sent) {
            const result = await client.post('/cgi-bin/externalcontact/get_groupmsg_send_result', {
              msgid: d.msgid,
              userid: d.sender,
              limit: 1000,
            })
            sentGroups = ((result.send_list ?? []) as Array<{ status?: number }>).filter(
              (s) => s.status === 1,
            ).length
          }
          await WeComGroupDraftModel.updateOne(
            { _id: d._id },
            { $set: { sendStatus: sent ? 'sent' : 'unsent', sentGroups, checkedAt: clock.now() } },
          )
        } catch (err) {
          refusalOf(err)
        }
      }
      return this.list(noticeId)
    },

    async list(noticeId) {
      const docs = await WeComGroupDraftModel.find({ noticeId }).sort({ claimedAt: 1 }).lean()
      return docs.map(viewOf)
    },
  }
}
