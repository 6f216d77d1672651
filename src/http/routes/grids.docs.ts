import type { RouteDoc } from '../openapi.js'
import { GridHouseholdsQuery, GridListQuery, MissingPartyQuery, PartyMemberBody } from './grids.routes.js'

const STAFF = ['grid_worker', 'community_staff', 'street_staff', 'admin']

/** Grids, households and party-member links. */
export const gridsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/v1/grids',
    summary: '网格列表，含主网格员姓名和住户数（社区工作人员：本社区；网格员：本人网格）',
    tags: ['registry'],
    auth: 'token_or_api_key',
    roles: STAFF,
    query: GridListQuery,
  },
  {
    method: 'get',
    path: '/api/v1/grids/:id/households',
    summary:
      '网格（或某楼栋）的住户列表，含居住人数、人员类别和联系党员；可按地址或姓名查找、分页（limit/offset，total 为匹配总数），不含门牌码',
    tags: ['registry'],
    auth: 'token_or_api_key',
    roles: STAFF,
    query: GridHouseholdsQuery,
  },
  {
    method: 'get',
    path: '/api/v1/households/mine',
    summary: '我绑定的住户、所属网格和联系党员',
    tags: ['registry'],
    auth: 'token',
  },
  {
    method: 'get',
    path: '/api/v1/households/:id/party-member',
    summary: '住户的联系党员（本户居民或工作人员可查）',
    tags: ['registry'],
    auth: 'token_or_api_key',
  },
  {
    method: 'put',
    path: '/api/v1/households/:id/party-member',
    summary: '为住户指定联系党员（党员联系户）',
    tags: ['registry'],
    auth: 'token_or_api_key',
    roles: ['community_staff', 'admin'],
    body: PartyMemberBody,
  },
  {
    method: 'get',
    path: '/api/v1/party-links/missing',
    summary: '尚未联系党员的住户',
    tags: ['registry'],
    auth: 'token_or_api_key',
    roles: STAFF,
    query: MissingPartyQuery,
  },
]
