import { z } from 'zod'
import type { RouteDoc } from '../openapi.js'

const Me = z.object({
  personId: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  communityIds: z.array(z.string()),
  gridIds: z.array(z.string()),
  departmentId: z.string().optional(),
})

const DevStaff = z.object({
  items: z.array(z.object({ personId: z.string(), name: z.string(), roles: z.array(z.string()) })),
})

/** The staff console's pages, the signed-in actor, and the dev sign-in list. */
export const consoleDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/console',
    summary: '社区工作台（网页）',
    tags: ['console'],
    auth: 'none',
    produces: 'text/html',
  },
  {
    method: 'get',
    path: '/console/*path',
    summary: '社区工作台的页面与静态文件（数据只经 /api/v1 读取）',
    tags: ['console'],
    auth: 'none',
    produces: 'text/html',
  },
  {
    method: 'get',
    path: '/api/v1/me',
    summary: '当前登录的账号：姓名、角色、所属社区与网格',
    tags: ['auth'],
    auth: 'token_or_api_key',
    response: Me,
  },
  {
    method: 'get',
    path: '/api/v1/auth/dev-staff',
    summary: '开发登录可选的工作人员（仅开发环境且开启开发登录）',
    tags: ['auth'],
    auth: 'none',
    response: DevStaff,
  },
]
