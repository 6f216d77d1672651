import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import supertest from 'supertest'
import { createApp } from '../../src/http/app.js'
import { createMetrics } from '../../src/http/metrics.js'
import { authenticate } from '../../src/http/middleware/auth.js'
import { createApiDocs } from '../../src/http/openapi.js'
import { fixedClock } from '../../src/lib/clock.js'
import { loadConfig } from '../../src/lib/config.js'
import { silentLogger } from '../../src/lib/logger.js'
import { buildRouters, buildServices } from '../../src/main.js'
import { CommunityModel, ResidentModel } from '../../src/models/registry.model.js'
import { makeCaseWorld } from '../case-world.js'
import { createGrid, createPerson } from '../factories.js'

export const API_NOW = new Date('2026-11-27T09:00:00+08:00')

/**
 * The service's own composition (buildServices + buildRouters) over a fresh data folder and a fixed
 * clock; `env` adds settings (e.g. a WeChat stand-in's WECHAT_* values).
 */
export function makeApiApp(now = API_NOW, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'linli-api-'))
  const config = loadConfig(
    { LINLI_ENV: 'test', LINLI_TOKEN_SECRET: 'api-tests', LINLI_DATA_DIR: dataDir, ...env },
    {},
  )
  const clock = fixedClock(now)
  const services = buildServices(config, silentLogger, clock)
  const docs = createApiDocs()
  const routers = buildRouters({
    services,
    config,
    metrics: createMetrics(),
    docs,
    pingDatabase: async () => undefined,
    isShuttingDown: () => false,
  })
  const app = createApp({
    logger: silentLogger,
    bodyLimitKb: config.http.bodyLimitKb,
    middleware: [authenticate(services.auth)],
    routers,
    allowedMethods: (path) => docs.allowedMethods(path),
  })
  const http = supertest(app.callback())
  const bearer = async (personId: unknown) =>
    `Bearer ${(await services.auth.issueSession(String(personId))).accessToken}`
  return { config, clock, services, docs, routers, app, http, bearer, dataDir }
}

export type ApiApp = ReturnType<typeof makeApiApp>

/**
 * makeCaseWorld plus an admin, the other community's grid and resident, and the people by role:
 * `people.<role>` is a person id, `headers(role)` the Authorization header (none for anonymous).
 */
export async function makeApiWorld(api: ApiApp) {
  const w = await makeCaseWorld()
  // One worker per grid, so every KH-01 case goes to 王网格 (routing otherwise alternates).
  await ResidentModel.updateOne({ _id: w.partTime._id }, { $set: { 'staff.onDuty': false } })
  const other = await CommunityModel.findOne({ code: 'QT' }).orFail()
  const otherGrid = await createGrid(other._id, 'QT-01')
  const find = (name: string) => ResidentModel.findOne({ name }).orFail()
  const [otherStaff, deptA, deptB] = await Promise.all([find('外社区'), find('热力甲'), find('热力乙')])
  const admin = await createPerson('管理员', ['admin'])
  const outsider = await createPerson('外社区居民', ['resident'], {
    communityId: other._id,
    gridId: otherGrid._id,
  })
  // A local merchant's verifier login (商户核销员) of KH: it may verify 老王理发店's pickup codes only.
  const merchant = await createPerson('理发店核销员', ['merchant'])
  await ResidentModel.updateOne(
    { _id: merchant._id },
    { $set: { 'staff.communityIds': [w.community._id], 'staff.merchantName': '老王理发店' } },
  )
  const people = {
    reporter: w.zhang._id,
    neighbour: w.li._id,
    worker: w.worker._id,
    worker2: w.worker2._id,
    dept: deptA._id,
    deptB: deptB._id,
    staff: w.staff._id,
    otherStaff: otherStaff._id,
    admin: admin._id,
    outsider: outsider._id,
    merchant: merchant._id,
  }
  type Who = keyof typeof people | 'anonymous'
  const tokens = new Map<string, string>()
  async function headers(who: Who): Promise<Record<string, string>> {
    if (who === 'anonymous') return {}
    const id = String(people[who])
    if (!tokens.has(id)) tokens.set(id, await api.bearer(id))
    return { authorization: tokens.get(id) as string }
  }
  return { ...w, other, otherGrid, otherStaff, deptA, deptB, admin, outsider, people, headers }
}

export type ApiWorld = Awaited<ReturnType<typeof makeApiWorld>>
export type Who = Parameters<ApiWorld['headers']>[0]
