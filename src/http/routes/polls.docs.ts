import type { RouteDoc } from '../openapi.js'
import { EmptyInput } from './cases.schemas.js'
import {
  DecisionBody,
  OpinionBody,
  PollBody,
  PollListQuery,
  TopicBody,
  TopicListQuery,
  VoteBody,
} from './polls.routes.js'

const STAFF = ['community_staff', 'admin', 'grid_worker']
const token = 'token' as const

/** Polls 投票 and 议事 topics. */
export const pollsDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/v1/polls',
    status: [201],
    summary:
      '发起投票（范围：社区、网格或指定住户；每户一票或每人一票；截止时间；结果谁可见），并发到范围内的群（住户名单则逐户私聊）',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    body: PollBody,
  },
  {
    method: 'get',
    path: '/api/v1/polls',
    summary: '投票列表（社区工作人员：本社区；网格员：本人网格范围内的）',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    query: PollListQuery,
  },
  {
    method: 'get',
    path: '/api/v1/polls/open',
    summary: '我可以参加的进行中的投票（小程序）',
    tags: ['polls'],
    auth: token,
  },
  {
    method: 'get',
    path: '/api/v1/polls/:id',
    summary:
      '投票详情：管理的工作人员含结果和各网格参与率；范围内居民含自己（本户）的投票，结果按可见设置给出；其他人 403',
    tags: ['polls'],
    auth: token,
  },
  {
    method: 'post',
    path: '/api/v1/polls/:id/close',
    summary: '结束投票；结果对居民可见时把结果发到范围内的群',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    body: EmptyInput,
  },
  {
    method: 'post',
    path: '/api/v1/polls/:id/votes',
    status: [201],
    summary:
      '投票（选项序号从 1 起）。每户（或每人）只计一票：已投过时 409 并说明投的是哪项；不在范围内 403；按户投票而未登记住户 409',
    tags: ['polls'],
    auth: token,
    body: VoteBody,
  },
  {
    method: 'post',
    path: '/api/v1/deliberations',
    status: [201],
    summary: '发起议事（主题、背景、范围、征求意见截止时间），并发到范围内的群',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    body: TopicBody,
  },
  {
    method: 'get',
    path: '/api/v1/deliberations',
    summary: '议事列表（本社区或本人网格范围内的）',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    query: TopicListQuery,
  },
  {
    method: 'get',
    path: '/api/v1/deliberations/:id',
    summary: '议事详情和决定（管理的工作人员或范围内的居民）',
    tags: ['polls'],
    auth: token,
  },
  {
    method: 'get',
    path: '/api/v1/deliberations/:id/opinions',
    summary: '居民意见：工作人员看到姓名，范围内的其他居民看到遮挡后的姓名（如「张*」）',
    tags: ['polls'],
    auth: token,
  },
  {
    method: 'post',
    path: '/api/v1/deliberations/:id/opinions',
    status: [201],
    summary: '发表意见（范围内的居民，征求意见期间）',
    tags: ['polls'],
    auth: token,
    body: OpinionBody,
  },
  {
    method: 'post',
    path: '/api/v1/deliberations/:id/decision',
    summary: '记录议事决定（内容和依据，可关联投票），结束议事并通知范围内的群；只能记录一次',
    tags: ['polls'],
    auth: token,
    roles: STAFF,
    body: DecisionBody,
  },
]
