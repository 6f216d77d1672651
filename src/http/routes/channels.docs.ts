import type { RouteDoc } from '../openapi.js'
import { SubscriptionsBody, SubscriptionsInput } from './subscriptions.routes.js'

/** Channels beyond the group bot (issue 15): the mini-program's subscribe-message answers. */
export const channelDocs: RouteDoc[] = [
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
