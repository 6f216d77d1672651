import { readFile } from 'node:fs/promises'
import Router from '@koa/router'
import type { Context } from 'koa'
import { ForbiddenError, InvalidInputError, NotFoundError } from '../../lib/errors.js'
import { isCommunityStaffFor } from '../../services/cases/case.access.js'
import type { Page } from '../../services/cases/case.queries.js'
import type { CaseService, CaseSummary, CaseView } from '../../services/cases/case.service.js'
import { canAccessResident } from '../../services/registry/registry.privacy.js'
import type { RegistryService } from '../../services/registry/registry.service.js'
import { type Actor, isCityAdmin, requireActor, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'
import {
  CallbackBody,
  CaseNumberParams,
  CasePhotoParams,
  CommentInput,
  CommunityCasesQuery,
  DepartmentListQuery,
  EmptyInput,
  IDEMPOTENCY_KEY_RE,
  IntakeCasesQuery,
  isYes,
  MergeInput,
  MyCasesQuery,
  NoteInput,
  OpenMyCaseInput,
  PageQuery,
  PostBody,
  RateCaseInput,
  ReasonInput,
  RelocateBody,
  TransferBody,
  WalkInInput,
  WorkerCasesQuery,
} from './cases.schemas.js'
import { assertUploadsExist, uploadPath } from './uploads.routes.js'

export interface CaseRouteDeps {
  cases: CaseService
  /** Where `POST /api/v1/uploads` stores photos (to check refs). */
  uploadsDir: string
  /** To check that a walk-in's named reporter is someone the worker serves. */
  registry: Pick<RegistryService, 'getResident' | 'listDepartmentsForCommunity'>
}

type CaseParts = Pick<
  CaseSummary,
  'reporterId' | 'assigneeId' | 'departmentId' | 'postedDepartmentIds' | 'location'
> & { subscribers?: CaseView['subscribers'] }

/**
 * Who may see a case: its reporter and subscribers, the grid's workers, the assignee, the claiming or
 * posted department, the community's staff and a city-wide admin.
 */
export function canViewCase(actor: Actor, c: CaseParts): boolean {
  const me = actor.personId
  if (c.reporterId === me || c.assigneeId === me) return true
  if (c.subscribers?.some((s) => s.personId === me)) return true
  if (isCommunityStaffFor(actor, c.location.communityId)) return true
  const worker = actor.roles.includes('grid_worker')
  if (worker && c.location.gridId && actor.gridIds.includes(c.location.gridId)) return true
  const dept = actor.roles.includes('department_staff') ? actor.departmentId : undefined
  return Boolean(dept && (c.departmentId === dept || c.postedDepartmentIds.includes(dept)))
}

const photos = (refs: readonly string[]) => refs.map((ref) => ({ kind: 'image' as const, ref }))

/** The `Idempotency-Key` header of a mini-program request: a retry with the same key changes nothing. */
export function requestKey(ctx: Context): string {
  const key = ctx.get('idempotency-key').trim()
  if (!IDEMPOTENCY_KEY_RE.test(key))
    throw new InvalidInputError('请求缺少 Idempotency-Key（8–100 位字母数字），以免重复提交')
  return key
}

/**
 * `/api/v1/cases…`, `/api/v1/worker…`, `/api/v1/marketplace`, `/api/v1/community/cases`: residents
 * report and follow cases, grid workers handle them, departments claim them, community staff run them.
 * Every handler: parse → check who → call the case service → present.
 */
export function casesRoutes(deps: CaseRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' })
  mountResidentRoutes(router, deps)
  mountWorkerRoutes(router, deps)
  mountStaffRoutes(router, deps)
  return router
}

/** Loads the case and 403s unless the actor may see it. */
async function visibleCase(deps: CaseRouteDeps, ctx: Context): Promise<{ actor: Actor; view: CaseView }> {
  const actor = requireActor(ctx)
  const { number } = parseParams(ctx, CaseNumberParams)
  const view = await deps.cases.get(number)
  if (!canViewCase(actor, view)) throw new ForbiddenError('您无权查看这张工单')
  return { actor, view }
}

const MAX_SCANNED_PAGES = 10

/**
 * The reporter's cases, newest first. The case service pages without a status filter, so with one
 * we read on (up to ten pages) until the page is full; the cursor is the last case returned.
 */
async function myCases(
  cases: CaseService,
  personId: string,
  q: { cursor?: string; limit: number; status?: string },
): Promise<Page<CaseSummary>> {
  if (!q.status) return cases.listForReporter({ personId }, q)
  const wanted = q.status.split(',')
  const items: CaseSummary[] = []
  let cursor = q.cursor
  for (let i = 0; i < MAX_SCANNED_PAGES; i++) {
    const page = await cases.listForReporter({ personId }, { cursor, limit: 100 })
    items.push(...page.items.filter((c) => wanted.includes(c.status)))
    if (items.length >= q.limit) {
      const taken = items.slice(0, q.limit)
      return { items: taken, nextCursor: taken[taken.length - 1]?.id }
    }
    if (!page.nextCursor) return { items }
    cursor = page.nextCursor
  }
  return { items, nextCursor: cursor }
}

/** The JSON of lists whose summaries are shared (a busy list is serialised once, not per request). */
const listJson = new WeakMap<readonly CaseSummary[], string>()

function pageJson(page: Page<CaseSummary>): string {
  let json = listJson.get(page.items)
  if (json === undefined) {
    json = JSON.stringify(page)
    listJson.set(page.items, json)
  }
  return json
}

function mountResidentRoutes(router: Router, deps: CaseRouteDeps): void {
  const { cases } = deps
  router.post('/cases', async (ctx) => {
    const actor = requireActor(ctx)
    const body = parseBody(ctx, OpenMyCaseInput)
    const key = requestKey(ctx)
    await assertUploadsExist(deps.uploadsDir, body.photos)
    const opened = await cases.open({
      channel: 'miniprogram',
      sourceKey: `mp:${actor.personId}:${key}`,
      reporter: { personId: actor.personId },
      text: body.text,
      category: body.category,
      location: body.location ?? {},
      attachments: photos(body.photos),
    })
    ctx.status = opened.created ? 201 : 200
    ctx.body = { case: opened.case, created: opened.created, duplicateOf: opened.duplicateOf }
  })
  router.get('/cases/mine', async (ctx) => {
    const actor = requireActor(ctx)
    const q = parseQuery(ctx, MyCasesQuery)
    const page = await myCases(cases, actor.personId, q)
    ctx.type = 'application/json'
    ctx.body = pageJson(page)
  })
  router.get('/cases/:number', async (ctx) => {
    ctx.body = (await visibleCase(deps, ctx)).view
  })
  router.get('/cases/:number/photos/:file', async (ctx) => {
    const { view } = await visibleCase(deps, ctx)
    const { file } = parseParams(ctx, CasePhotoParams)
    const ref = `upload:${file}`
    const refs = [...view.attachments, ...view.timeline.flatMap((t) => t.attachments ?? [])].map((a) => a.ref)
    const stored = refs.includes(ref) ? await uploadPath(deps.uploadsDir, ref) : undefined
    if (!stored) throw new NotFoundError('这张照片')
    ctx.type = file.slice(file.lastIndexOf('.') + 1)
    ctx.set('cache-control', 'private, max-age=3600')
    ctx.body = await readFile(stored)
  })
  router.post('/cases/:number/comments', async (ctx) => {
    const { actor, view } = await visibleCase(deps, ctx)
    const body = parseBody(ctx, CommentInput)
    await assertUploadsExist(deps.uploadsDir, body.photos)
    ctx.status = 201
    ctx.body = await cases.comment(view.number, actor, body.note, photos(body.photos))
  })
  router.post('/cases/:number/rate', async (ctx) => {
    const { actor, view } = await visibleCase(deps, ctx)
    const body = parseBody(ctx, RateCaseInput)
    ctx.body = await cases.rate(view.number, { personId: actor.personId }, body.score, body.comment)
  })
  router.post('/cases/:number/reopen', async (ctx) => {
    const { actor, view } = await visibleCase(deps, ctx)
    ctx.body = await cases.reopen(view.number, actor, parseBody(ctx, ReasonInput).reason)
  })
}

function mountWorkerRoutes(router: Router, deps: CaseRouteDeps): void {
  const { cases } = deps
  router.get('/worker/cases', async (ctx) => {
    const actor = requireRole(ctx, 'grid_worker')
    const q = parseQuery(ctx, WorkerCasesQuery)
    if (q.gridId && !actor.gridIds.includes(q.gridId)) throw new ForbiddenError('只能查看自己网格的工单')
    ctx.body = q.gridId ? await cases.listForGrid(q.gridId, q) : await cases.listForWorker(actor.personId, q)
  })
  const act = (path: string, run: (ctx: Context, actor: Actor, view: CaseView) => Promise<CaseView>) =>
    router.post(`/cases/:number/${path}`, async (ctx) => {
      const { actor, view } = await visibleCase(deps, ctx)
      ctx.body = await run(ctx, actor, view)
    })
  act('accept', (ctx, actor, v) => {
    parseBody(ctx, EmptyInput)
    return cases.accept(v.number, actor)
  })
  act('progress', async (ctx, actor, v) => {
    const b = parseBody(ctx, NoteInput)
    await assertUploadsExist(deps.uploadsDir, b.photos)
    return cases.progress(v.number, actor, b.note, photos(b.photos))
  })
  act('resolve', async (ctx, actor, v) => {
    const b = parseBody(ctx, NoteInput)
    await assertUploadsExist(deps.uploadsDir, b.photos)
    return cases.resolve(v.number, actor, b.note, photos(b.photos))
  })
  act('transfer', (ctx, actor, v) => cases.transfer(v.number, actor, parseBody(ctx, TransferBody)))
  act('return', (ctx, actor, v) => cases.returnCase(v.number, actor, parseBody(ctx, ReasonInput).reason))
  router.post('/worker/walk-in', async (ctx) => {
    const actor = requireRole(ctx, 'grid_worker', 'admin')
    const body = parseBody(ctx, WalkInInput)
    const key = requestKey(ctx)
    if (!actor.gridIds.includes(body.location.gridId) && !isCityAdmin(actor))
      throw new ForbiddenError('只能为自己网格的居民代录')
    if (body.reporterId && !canAccessResident(actor, await deps.registry.getResident(body.reporterId)))
      throw new ForbiddenError('只能为自己网格的居民代录')
    await assertUploadsExist(deps.uploadsDir, body.photos)
    const opened = await cases.open({
      channel: 'walk_in',
      sourceKey: `walkin:${actor.personId}:${key}`,
      reporter: body.reporterId ? { personId: body.reporterId } : {},
      text: body.text,
      category: body.category,
      urgency: body.urgency,
      location: body.location,
      attachments: photos(body.photos),
      enteredById: actor.personId,
    })
    ctx.status = opened.created ? 201 : 200
    ctx.body = { case: opened.case, created: opened.created, duplicateOf: opened.duplicateOf }
  })
  router.get('/marketplace', async (ctx) => {
    const actor = requireRole(ctx, 'department_staff')
    if (!actor.departmentId) throw new ForbiddenError('您的账号没有关联部门')
    ctx.body = await cases.listMarketplace(actor.departmentId, parseQuery(ctx, PageQuery))
  })
  router.post('/cases/:number/claim', async (ctx) => {
    const actor = requireRole(ctx, 'department_staff')
    const { number } = parseParams(ctx, CaseNumberParams)
    parseBody(ctx, EmptyInput)
    if (!actor.departmentId) throw new ForbiddenError('您的账号没有关联部门')
    ctx.body = await cases.claim(number, actor.departmentId, actor)
  })
}

function mountStaffRoutes(router: Router, deps: CaseRouteDeps): void {
  const { cases } = deps
  router.get('/community/cases', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, CommunityCasesQuery)
    const communityId = q.communityId ?? (actor.communityIds.length === 1 ? actor.communityIds[0] : undefined)
    if (!communityId) throw new InvalidInputError('请指定社区（communityId）')
    if (!isCommunityStaffFor(actor, communityId)) throw new ForbiddenError('只能查看本社区的数据')
    const { status, category, urgency, channel, from, to } = q
    ctx.body = await cases.listForCommunity(
      communityId,
      {
        status,
        category,
        gridId: q.grid,
        urgency,
        channel,
        from,
        to,
        q: q.q,
        overdue: isYes(q.overdue),
        rework: isYes(q.rework),
        unowned: isYes(q.unowned),
        count: isYes(q.count),
      },
      { cursor: q.cursor, limit: q.limit },
    )
  })
  const staffCase = async (ctx: Context) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const { number } = parseParams(ctx, CaseNumberParams)
    const view = await cases.get(number)
    if (!isCommunityStaffFor(actor, view.location.communityId))
      throw new ForbiddenError(`只有工单 ${number} 所属社区的工作人员可以进行此操作`)
    return { actor, view }
  }
  router.post('/cases/:number/merge', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    const { into } = parseBody(ctx, MergeInput)
    const target = await cases.get(into)
    if (!isCommunityStaffFor(actor, target.location.communityId))
      throw new ForbiddenError('只能合并到本社区的工单')
    ctx.body = await cases.merge(view.number, into, actor)
  })
  router.post('/cases/:number/reassign', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    ctx.body = await cases.transfer(view.number, actor, parseBody(ctx, TransferBody))
  })
  router.post('/cases/:number/post', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    ctx.body = await cases.post(view.number, actor, parseBody(ctx, PostBody))
  })
  router.post('/cases/:number/close', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    ctx.body = await cases.close(view.number, actor, parseBody(ctx, ReasonInput).reason)
  })
  router.post('/cases/:number/reject', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    ctx.body = await cases.reject(view.number, actor, parseBody(ctx, ReasonInput).reason)
  })
  router.post('/cases/:number/callbacks', async (ctx) => {
    const { actor, view } = await staffCase(ctx)
    ctx.status = 201
    ctx.body = await cases.recordCallback(view.number, actor, parseBody(ctx, CallbackBody))
  })
  router.get('/departments', async (ctx) => {
    const actor = requireRole(ctx, 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, DepartmentListQuery)
    const communityId = q.communityId ?? (actor.communityIds.length === 1 ? actor.communityIds[0] : undefined)
    if (!communityId) throw new InvalidInputError('请指定社区（communityId）')
    if (!isCommunityStaffFor(actor, communityId)) throw new ForbiddenError('只能查看本社区的数据')
    const items = await deps.registry.listDepartmentsForCommunity(communityId)
    ctx.body = { items: items.map((d) => ({ id: d.id, name: d.name, categories: d.categories })) }
  })
  mountIntakeRoutes(router, deps)
}

/** The communities whose held cases the actor may list; undefined: every community. */
function intakeScope(actor: Actor, communityId: string | undefined): string[] | undefined {
  const everywhere = actor.roles.includes('intake_desk') || isCityAdmin(actor)
  if (everywhere) return communityId ? [communityId] : undefined
  if (communityId && !isCommunityStaffFor(actor, communityId))
    throw new ForbiddenError('只能查看本社区的数据')
  return communityId ? [communityId] : actor.communityIds
}

/** The intake desk (受理窗口): its list of held and unowned cases, and saying where a case is. */
function mountIntakeRoutes(router: Router, deps: CaseRouteDeps): void {
  const { cases } = deps
  router.get('/intake/cases', async (ctx) => {
    const actor = requireRole(ctx, 'intake_desk', 'community_staff', 'street_staff', 'admin')
    const q = parseQuery(ctx, IntakeCasesQuery)
    const communityIds = intakeScope(actor, q.communityId)
    ctx.body = await cases.listAtIntakeDesk(communityIds ? { communityIds } : {}, {
      cursor: q.cursor,
      limit: q.limit,
    })
  })
  router.post('/cases/:number/relocate', async (ctx) => {
    const actor = requireActor(ctx)
    const { number } = parseParams(ctx, CaseNumberParams)
    ctx.body = await cases.relocate(number, actor, parseBody(ctx, RelocateBody))
  })
}
