import { z } from 'zod'
import { NoticeInput } from '../../services/notices/notice.service.js'
import { CreateRequestInput, RequestsQuery } from '../../services/open311/open311.service.js'
import type { RouteDoc } from '../openapi.js'
import { ApiKeyInput, DevLoginInput, InviteInput, RefreshInput, WxLoginInput } from './auth.routes.js'
import { EmptyInput } from './cases.schemas.js'
import {
  CancelBody,
  CheckInBody,
  EventBody,
  ListQuery as EventListQuery,
  EventPatchBody,
} from './events.routes.js'
import {
  AskBody,
  ConflictsQuery,
  DocumentBody,
  DocumentChangeBody,
  DocumentQuery,
  FeedbackBody,
  FileQuery,
  QuestionsQuery,
  ReviewBody,
  UnansweredQuery,
} from './kb.routes.js'
import { FollowUpBody, GroupDraftBody, SendBody } from './notices.routes.js'
import {
  ApiKeyQuery,
  FORMATS,
  Open311CreatedBody,
  Open311DiscoveryBody,
  Open311RequestBody,
  Open311ServiceBody,
  Open311ServiceDefinitionBody,
} from './open311.routes.js'
import { BindInput, ImportQuery } from './registry.routes.js'
import { ContactInput, DirectMessageInput, RoomInput, RoomMessageInput } from './sim.routes.js'

const token = 'token' as const
const STAFF = ['community_staff', 'admin', 'grid_worker']
const EventRoster = z.object({
  counts: z.object({ confirmed: z.number(), waiting: z.number(), checkedIn: z.number() }),
  items: z.array(
    z.object({
      personId: z.string(),
      name: z.string(),
      building: z.string(),
      unit: z.string(),
      room: z.string(),
      status: z.enum(['confirmed', 'waiting']),
      position: z.number().optional(),
      channel: z.string(),
      signedUpAt: z.string(),
      checkedInAt: z.string().optional(),
    }),
  ),
})
const Session = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  user: z.object({ id: z.string(), roles: z.array(z.string()) }),
})

const TicketStatus = z.enum(['pending', 'approved', 'refused', 'expired', 'used'])

/** 扫码登录: the console's ticket, its poll, and the mini-program's approve / refuse. */
function consoleTicketDocs(): RouteDoc[] {
  const decided = z.object({ status: TicketStatus })
  const decide = (path: string, summary: string): RouteDoc => ({
    method: 'post',
    path: `/api/v1/auth/console-tickets/:ticket/${path}`,
    summary,
    tags: ['auth'],
    auth: 'token',
    roles: ['grid_worker', 'community_staff', 'department_staff', 'street_staff', 'intake_desk', 'admin'],
    response: decided,
  })
  return [
    {
      method: 'post',
      path: '/api/v1/auth/console-tickets',
      summary: '工作台扫码登录：生成登录二维码（3 分钟有效；按来源地址限流）',
      tags: ['auth'],
      auth: 'none',
      response: z.object({
        ticket: z.string(),
        qr: z.string().describe('SVG 二维码（data URL），内容为 linli:c:<ticket>，供小程序扫描'),
        expiresAt: z.string(),
        expiresIn: z.number(),
      }),
    },
    {
      method: 'get',
      path: '/api/v1/auth/console-tickets/:ticket',
      summary: '工作台轮询扫码结果：等待、已确认（只有第一次读取会拿到登录令牌）、已拒绝、已过期、已使用',
      tags: ['auth'],
      auth: 'none',
      response: z.object({ status: TicketStatus, expiresAt: z.string(), session: Session.optional() }),
    },
    decide('approve', '在小程序中确认登录工作台（工作人员；居民不能登录工作台）'),
    decide('refuse', '在小程序中拒绝这次工作台登录（工作人员）'),
  ]
}

const WeComCallbackQuery = z.object({
  msg_signature: z.string().describe('sha1(sort(token, timestamp, nonce, 密文))'),
  timestamp: z.string(),
  nonce: z.string(),
})

/** Health, metrics, docs, login and the bot. */
export const platformDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/wecom/callback',
    summary: '企业微信自建应用回调地址校验：验签并返回解密后的 echostr（仅在配置企业微信后挂载）',
    tags: ['wecom'],
    auth: 'none',
    query: WeComCallbackQuery.extend({ echostr: z.string() }),
    produces: 'text/plain',
  },
  {
    method: 'post',
    path: '/wecom/callback',
    summary:
      '企业微信自建应用消息回调：正文为加密 XML（<xml><Encrypt>…</Encrypt></xml>），验签解密后先存再处理，立即返回空串',
    tags: ['wecom'],
    auth: 'none',
    query: WeComCallbackQuery,
    produces: 'text/plain',
  },
  { method: 'get', path: '/healthz', summary: '进程存活', tags: ['ops'], auth: 'none' },
  {
    method: 'get',
    path: '/readyz',
    summary: '可以接收请求（数据库可用、未在停机）；附各发送渠道的状态',
    tags: ['ops'],
    auth: 'none',
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus 指标',
    tags: ['ops'],
    auth: 'token_or_api_key',
    roles: ['admin'],
    produces: 'text/plain',
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: '本文档（OpenAPI 3.1）',
    tags: ['ops'],
    auth: 'none',
  },
  {
    method: 'get',
    path: '/api/v1/docs',
    summary: '可读的接口说明页',
    tags: ['ops'],
    auth: 'none',
    produces: 'text/html',
  },
  {
    method: 'post',
    path: '/api/v1/auth/wx-login',
    summary: '微信登录（wx.login 的 code；员工首次登录附邀请码）',
    tags: ['auth'],
    auth: 'none',
    body: WxLoginInput,
    response: Session,
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: '用刷新令牌换新令牌（旧刷新令牌作废）',
    tags: ['auth'],
    auth: 'none',
    body: RefreshInput,
    response: Session,
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: '退出登录（吊销刷新令牌）',
    tags: ['auth'],
    auth: 'none',
    body: RefreshInput,
  },
  {
    method: 'post',
    path: '/api/v1/auth/invites',
    summary: '为员工生成一次性邀请码',
    tags: ['auth'],
    auth: 'token_or_api_key',
    body: InviteInput,
    roles: ['admin', 'community_staff'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/api-keys',
    summary: '创建 API 密钥（只显示一次）',
    tags: ['auth'],
    auth: 'token_or_api_key',
    body: ApiKeyInput,
    roles: ['admin'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/dev-login',
    summary: '开发登录（仅开发环境且显式开启）',
    tags: ['auth'],
    auth: 'none',
    body: DevLoginInput,
    response: Session,
  },
  ...consoleTicketDocs(),
  {
    method: 'get',
    path: '/api/v1/bot/status',
    summary: '机器人账号状态：每个账号的登录二维码、健康、自检与今日发送量',
    tags: ['bot'],
    auth: 'token_or_api_key',
    roles: ['admin'],
  },
]

/** Registry, knowledge base, events, notices. */
export const featureDocs: RouteDoc[] = [
  ...(['png', 'svg'] as const).flatMap((f): RouteDoc[] => [
    {
      method: 'get',
      path: `/api/v1/households/:id/qrcode.${f}`,
      summary: `一户一码（${f}）`,
      tags: ['registry'],
      auth: token,
      produces: `image/${f === 'svg' ? 'svg+xml' : 'png'}`,
      roles: STAFF,
    },
    {
      method: 'get',
      path: `/api/v1/grids/:id/qrcode.${f}`,
      summary: `一格一码（${f}）`,
      tags: ['registry'],
      auth: token,
      produces: `image/${f === 'svg' ? 'svg+xml' : 'png'}`,
      roles: STAFF,
    },
  ]),
  {
    method: 'get',
    path: '/api/v1/residents/:id/qrcode.svg',
    summary: '一人一码（本人或工作人员）',
    tags: ['registry'],
    auth: token,
    produces: 'image/svg+xml',
  },
  {
    method: 'get',
    path: '/api/v1/grids/:id/buildings/:building/codes.html',
    summary: '整栋楼门牌码打印页',
    tags: ['registry'],
    auth: token,
    produces: 'text/html',
    roles: STAFF,
  },
  {
    method: 'post',
    path: '/api/v1/admin/import',
    summary:
      '导入居民台账（CSV 或 xlsx 原始内容）：返回新建/更新/未变数量和逐行错误（行号、列名、原因）；只负责一个社区的工作人员默认导入本社区',
    tags: ['registry'],
    auth: 'token_or_api_key',
    query: ImportQuery,
    roles: ['admin', 'community_staff'],
  },
  {
    method: 'post',
    path: '/api/v1/households/bind',
    summary: '扫门牌码绑定住户',
    tags: ['registry'],
    auth: token,
    body: BindInput,
  },
  { method: 'post', path: '/api/v1/kb/ask', summary: '政策问答', tags: ['kb'], auth: token, body: AskBody },
  {
    method: 'post',
    path: '/api/v1/kb/feedback',
    summary: '回答有用/没用',
    tags: ['kb'],
    auth: token,
    body: FeedbackBody,
  },
  {
    method: 'post',
    path: '/api/v1/kb/documents',
    summary: '上传政策文件（JSON 或纯文本）',
    tags: ['kb'],
    auth: 'token_or_api_key',
    body: DocumentBody,
    query: DocumentQuery,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'post',
    path: '/api/v1/kb/files',
    summary:
      '上传政策文件原件（请求体为文件字节；Content-Type: application/pdf、Word .docx、text/html、text/markdown、text/plain，或 application/octet-stream 加 ?name=文件名）',
    tags: ['kb'],
    auth: 'token_or_api_key',
    query: FileQuery,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'get',
    path: '/api/v1/kb/documents',
    summary: '已收录的政策文件',
    tags: ['kb'],
    auth: 'token_or_api_key',
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'patch',
    path: '/api/v1/kb/documents/:docId',
    summary: '调整政策文件的施行、失效、废止或取代关系',
    tags: ['kb'],
    auth: 'token_or_api_key',
    body: DocumentChangeBody,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'post',
    path: '/api/v1/kb/questions/:questionId/review',
    summary: '工作人员评判一条回答（答错/答对）',
    tags: ['kb'],
    auth: 'token_or_api_key',
    body: ReviewBody,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'get',
    path: '/api/v1/kb/questions',
    summary: '问答记录（可按评判筛选）',
    tags: ['kb'],
    auth: 'token_or_api_key',
    query: QuestionsQuery,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'get',
    path: '/api/v1/kb/conflicts',
    summary: '相互矛盾的现行文件',
    tags: ['kb'],
    auth: 'token_or_api_key',
    query: ConflictsQuery,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'get',
    path: '/api/v1/kb/unanswered',
    summary: '没答上来的问题',
    tags: ['kb'],
    auth: 'token_or_api_key',
    query: UnansweredQuery,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'get',
    path: '/api/v1/events',
    summary: '活动列表（本人或某社区）',
    tags: ['events'],
    auth: token,
    query: EventListQuery,
  },
  {
    method: 'post',
    path: '/api/v1/events',
    summary: '发布活动',
    tags: ['events'],
    auth: token,
    body: EventBody,
    roles: STAFF,
  },
  {
    method: 'post',
    path: '/api/v1/events/checkin',
    summary: '活动签到（签到码）',
    tags: ['events'],
    auth: token,
    body: CheckInBody,
  },
  {
    method: 'patch',
    path: '/api/v1/events/:id',
    summary: '修改活动',
    tags: ['events'],
    auth: token,
    body: EventPatchBody,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/events/:id',
    summary: '活动详情（含签到码；本社区工作人员或活动所有网格的网格员）',
    tags: ['events'],
    auth: token,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/events/:id/signups',
    summary: '报名和签到名单（姓名、楼栋单元房号、报名渠道和时间、签到时间；不含电话）',
    tags: ['events'],
    auth: token,
    roles: STAFF,
    response: EventRoster,
  },
  {
    method: 'post',
    path: '/api/v1/events/:id/cancel',
    summary: '取消活动',
    tags: ['events'],
    auth: token,
    body: CancelBody,
    roles: STAFF,
  },
  { method: 'post', path: '/api/v1/events/:id/signup', summary: '报名', tags: ['events'], auth: token },
  { method: 'delete', path: '/api/v1/events/:id/signup', summary: '取消报名', tags: ['events'], auth: token },
  {
    method: 'post',
    path: '/api/v1/notices',
    summary: '起草通知',
    tags: ['notices'],
    auth: token,
    body: NoticeInput,
    roles: STAFF,
  },
  {
    method: 'post',
    path: '/api/v1/notices/:id/send',
    summary: '发送或定时发送（范围大时需 confirm）',
    tags: ['notices'],
    auth: token,
    body: SendBody,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/notices/:id',
    summary: '通知详情',
    tags: ['notices'],
    auth: token,
    roles: STAFF,
  },
  {
    method: 'post',
    path: '/api/v1/notices/:id/wecom-group-drafts',
    summary:
      '企业群发：为本社区工作人员的客户群创建这条通知的群发草稿（在企业微信里确认后发出）；同一通知和发送人只建一次，重复调用返回已有的；企业微信未配置时 409',
    tags: ['notices'],
    auth: token,
    body: GroupDraftBody,
    roles: ['community_staff', 'admin'],
  },
  {
    method: 'post',
    path: '/api/v1/notices/:id/wecom-group-drafts/refresh',
    summary: '企业群发：向企业微信查询各草稿是否已发送（及发到几个群）并记录',
    tags: ['notices'],
    auth: token,
    body: EmptyInput,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/notices/:id/delivery',
    summary: '送达情况',
    tags: ['notices'],
    auth: token,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/notices/:id/acks',
    summary: '已读回执（未回复的居民带楼栋单元房号和跟进人：联系党员或网格员）',
    tags: ['notices'],
    auth: token,
    roles: STAFF,
  },
  {
    method: 'get',
    path: '/api/v1/notices/:id/reach',
    summary: '发送前预览：覆盖的群、人数、有微信的人数，以及没有微信、需要上门告知的重点人群',
    tags: ['notices'],
    auth: token,
    roles: STAFF,
  },
  {
    method: 'post',
    path: '/api/v1/notices/:id/follow-ups',
    summary: '一键请联系党员（或网格员）上门告知一位未回复的居民；同一人只发一次',
    tags: ['notices'],
    auth: token,
    body: FollowUpBody,
    roles: STAFF,
  },
]

/** GeoReport v2: each endpoint as `.json` and `.xml` (same content, the spec's XML element names). */
function open311Docs(): RouteDoc[] {
  return FORMATS.flatMap((f): RouteDoc[] => {
    const as = (response: z.ZodType) => (f === 'json' ? { response } : { produces: 'text/xml' })
    const tags = ['open311']
    return [
      {
        method: 'get',
        path: `/open311/discovery.${f}`,
        summary: 'GeoReport：发现文档（端点地址、支持的格式）',
        tags,
        auth: 'none',
        ...as(Open311DiscoveryBody),
      },
      {
        method: 'get',
        path: `/open311/v2/services.${f}`,
        summary: 'GeoReport：服务（事项类别）列表',
        tags,
        auth: 'none',
        ...as(z.array(Open311ServiceBody)),
      },
      {
        method: 'get',
        path: `/open311/v2/services/:code.${f}`,
        summary: 'GeoReport：服务定义（本平台的服务无附加属性）',
        tags,
        auth: 'none',
        ...as(Open311ServiceDefinitionBody),
      },
      {
        method: 'get',
        path: `/open311/v2/requests.${f}`,
        summary: 'GeoReport：服务请求（工单，无个人信息；lat/long 为 WGS-84）',
        tags,
        auth: 'none',
        query: RequestsQuery,
        ...as(z.array(Open311RequestBody)),
      },
      {
        method: 'get',
        path: `/open311/v2/requests/:id.${f}`,
        summary: 'GeoReport：一个服务请求',
        tags,
        auth: 'none',
        ...as(z.array(Open311RequestBody)),
      },
      {
        method: 'post',
        path: `/open311/v2/requests.${f}`,
        summary:
          'GeoReport：提交服务请求（需 api_key；位置须可确定：address_id、服务范围内的 lat/long 或写明社区的 address_string，否则 400）',
        tags,
        auth: 'api_key',
        query: ApiKeyQuery,
        body: CreateRequestInput,
        ...as(Open311CreatedBody),
      },
    ]
  })
}

/** Open311 GeoReport v2 and the loopback-only simulator. */
export const integrationDocs: RouteDoc[] = [
  ...open311Docs(),
  {
    method: 'get',
    path: '/simulator',
    summary: '微信模拟器页面（仅本机、非生产）',
    tags: ['simulator'],
    auth: 'none',
    produces: 'text/html',
  },
  {
    method: 'post',
    path: '/api/v1/sim/rooms',
    summary: '模拟器：建群',
    tags: ['simulator'],
    auth: 'none',
    body: RoomInput,
  },
  {
    method: 'post',
    path: '/api/v1/sim/contacts',
    summary: '模拟器：建联系人',
    tags: ['simulator'],
    auth: 'none',
    body: ContactInput,
  },
  {
    method: 'post',
    path: '/api/v1/sim/rooms/:roomId/messages',
    summary: '模拟器：群里发言',
    tags: ['simulator'],
    auth: 'none',
    body: RoomMessageInput,
  },
  {
    method: 'post',
    path: '/api/v1/sim/contacts/:contactId/messages',
    summary: '模拟器：私聊机器人',
    tags: ['simulator'],
    auth: 'none',
    body: DirectMessageInput,
  },
  {
    method: 'get',
    path: '/api/v1/sim/rooms/:roomId/messages',
    summary: '模拟器：群聊记录',
    tags: ['simulator'],
    auth: 'none',
  },
  {
    method: 'get',
    path: '/api/v1/sim/contacts/:contactId/messages',
    summary: '模拟器：私聊记录',
    tags: ['simulator'],
    auth: 'none',
  },
]
