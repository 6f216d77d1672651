import type { RouteDoc } from '../openapi.js'
import { CHANNEL_STATUS_ROLES, ChannelStatusBody, ChannelStatusQuery } from './channels.routes.js'
import { SubscriptionsBody, SubscriptionsInput } from './subscriptions.routes.js'

/** Channels beyond the group bot (issue 15): their health for the console, subscribe-message answers. */
export const channelDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/console/channels',
    summary:
      '渠道状态：每个发送渠道（及群机器人账号）的状态、最近自检、今日发送与失败条数、排队条数；未配置的渠道列出缺少的设置项',
    tags: ['console'],
    auth: 'token',
    query: ChannelStatusQuery,
    response: ChannelStatusBody,
    roles: [...CHANNEL_STATUS_ROLES],
  },
  {
    method: 'get',
    path: '/api/v1/me/subscriptions',
    summary: '我的订阅消息授权（每个模板：最近一次的选择、还能收几条）',
    tags: ['me'],
    auth: 'token',
    response: SubscriptionsBody,
    roles: ['any signed-in'],
  },
  {
    method: 'post',
    path: '/api/v1/me/subscriptions',
    summary: '记录 wx.requestSubscribeMessage 的结果（一次性订阅每次同意可收一条）',
    tags: ['me'],
    auth: 'token',
    body: SubscriptionsInput,
    response: SubscriptionsBody,
    roles: ['any signed-in'],
  },
]
