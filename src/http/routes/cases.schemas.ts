import { z } from 'zod'
import { CASE_CHANNELS } from '../../models/case.model.js'
import { CASE_NUMBER_RE } from '../../services/cases/case.number.js'
import { SEARCH_MAX } from '../../services/cases/case.queries.js'

/** Schemas of the case endpoints; the routes validate with them and the OpenAPI document shows them. */
export const ObjectIdString = z.string().regex(/^[0-9a-f]{24}$/i, '编号格式不正确')
const Text = (what: string, max = 1000) =>
  z
    .string({ error: `请填写${what}` })
    .trim()
    .min(2, `请填写${what}`)
    .max(max, `${what}请控制在 ${max} 字以内`)

/** What an `Idempotency-Key` header must look like (8–100 letters, digits, `_ . : -`). */
export const IDEMPOTENCY_KEY_RE = /^[\w.:-]{8,100}$/

export const CaseNumberParams = z.object({ number: z.string().regex(CASE_NUMBER_RE, '工单编号格式不正确') })

/** An uploaded photo (`POST /api/v1/uploads`) referenced from a case. */
export const UploadRef = z.string().regex(/^upload:[0-9a-f]{64}\.(jpg|png|webp)$/, '图片引用格式不正确')
export const AttachmentRefs = z.array(UploadRef).max(9, '照片最多 9 张').default([])

export const CaseLocationInput = z
  .object({
    gridId: ObjectIdString.optional(),
    householdId: ObjectIdString.optional(),
    building: z.string().trim().max(20).optional(),
    unit: z.string().trim().max(20).optional(),
    room: z.string().trim().max(20).optional(),
  })
  .strict()

/** A resident's report from the mini-program. Status, assignee, deadlines and points are not settable. */
export const OpenMyCaseInput = z
  .object({
    text: Text('问题描述', 2000),
    category: z.string().trim().min(1).max(40).optional(),
    location: CaseLocationInput.optional(),
    photos: AttachmentRefs,
  })
  .strict()
export type OpenMyCaseInput = z.infer<typeof OpenMyCaseInput>

/** 代录: a grid worker (or community staff) types in a walk-in resident's report. */
export const WalkInInput = z
  .object({
    text: Text('问题描述', 2000),
    category: z.string().trim().min(1).max(40).optional(),
    urgency: z.enum(['urgent', 'normal']).optional(),
    location: CaseLocationInput.extend({ gridId: ObjectIdString }).strict(),
    reporterId: ObjectIdString.optional(),
    photos: AttachmentRefs,
  })
  .strict()
export type WalkInInput = z.infer<typeof WalkInInput>

export const PageQuery = z
  .object({
    cursor: ObjectIdString.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict()

const StatusList = z
  .string()
  .regex(/^[a-z_]+(,[a-z_]+)*$/, '状态格式不正确')
  .max(200)
export const MyCasesQuery = PageQuery.extend({ status: StatusList.optional() }).strict()
export const WorkerCasesQuery = PageQuery.extend({
  status: StatusList.optional(),
  gridId: ObjectIdString.optional(),
}).strict()
const QueryFlag = z.enum(['true', 'false', '1', '0'], { error: '请填写 true 或 false' }).optional()
const Day = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${what}请按“年-月-日”填写，如 2026-11-27`)
    .meta({ format: 'date', example: '2026-11-27' })
/** A yes/no query value as a boolean. */
export const isYes = (v: string | undefined): boolean => v === 'true' || v === '1'

export const CommunityCasesQuery = PageQuery.extend({
  communityId: ObjectIdString.optional(),
  status: StatusList.optional(),
  category: z.string().trim().min(1).max(40).optional(),
  grid: ObjectIdString.optional(),
  urgency: z.enum(['urgent', 'normal']).optional(),
  overdue: QueryFlag,
  /** Only cases sent back for re-work (不满意重办) or reopened. */
  rework: QueryFlag,
  /** Only open cases nobody handles (held at a queue or without an owner), as the intake list. */
  unowned: QueryFlag,
  channel: z.enum(CASE_CHANNELS, { error: '来源渠道不正确' }).optional(),
  /** First day (YYYY-MM-DD, Beijing time) the case was reported on. */
  from: Day('开始日期').optional(),
  /** Last day (YYYY-MM-DD, Beijing time), included. */
  to: Day('结束日期').optional(),
  /** Text in the case number, the description or the place (building, unit, room, address). */
  q: z.string().trim().max(SEARCH_MAX, `搜索内容请控制在 ${SEARCH_MAX} 字以内`).optional(),
  /** `true`: the answer also carries `total`, the number of matching cases (board column counts). */
  count: QueryFlag,
}).strict()

/** The intake desk's list: cases held at a queue or with no owner; staff see their communities'. */
export const IntakeCasesQuery = PageQuery.extend({
  communityId: ObjectIdString.optional(),
}).strict()

/** Where a case really is (at least one of community, grid or building). */
export const RelocateBody = z
  .object({
    communityId: ObjectIdString.optional(),
    gridCode: z.string().trim().min(1).max(40).optional(),
    building: z.string().trim().min(1).max(20).optional(),
    unit: z.string().trim().max(20).optional(),
    room: z.string().trim().max(20).optional(),
    note: z.string().trim().max(200).optional(),
  })
  .strict()
  .refine((b) => b.communityId || b.gridCode || b.building, { message: '请说明社区、网格或楼栋' })
  .meta({ anyOf: [{ required: ['communityId'] }, { required: ['gridCode'] }, { required: ['building'] }] })

export const NoteInput = z.object({ note: Text('说明'), photos: AttachmentRefs }).strict()
export const CommentInput = z.object({ note: Text('留言'), photos: AttachmentRefs }).strict()
export const RateCaseInput = z
  .object({
    score: z.number().int().min(1, '请打 1 到 5 分').max(5, '请打 1 到 5 分'),
    comment: z.string().trim().max(500).optional(),
  })
  .strict()
export const ReasonInput = z.object({ reason: Text('原因') }).strict()
export const TransferBody = z
  .object({
    toWorkerId: ObjectIdString.optional(),
    toDepartmentId: ObjectIdString.optional(),
    reason: Text('转派原因'),
  })
  .strict()
  .refine((t) => Boolean(t.toWorkerId) !== Boolean(t.toDepartmentId), '请选择转派给一位工作人员或一个部门')
  .meta({ oneOf: [{ required: ['toWorkerId'] }, { required: ['toDepartmentId'] }] })
export const MergeInput = z.object({ into: z.string().regex(CASE_NUMBER_RE, '工单编号格式不正确') }).strict()
export const EmptyInput = z.object({}).strict()

/** 社区下单: the departments to offer the case to, and why. */
export const PostBody = z
  .object({
    departmentIds: z.array(ObjectIdString).min(1, '请选择至少一个部门').max(10, '一次最多发布给 10 个部门'),
    reason: Text('下单说明'),
  })
  .strict()
/** 电话回访: whether the resident was reached and content, and what they said. */
export const CallbackBody = z
  .object({
    reached: z.boolean({ error: '请说明是否联系上居民' }),
    satisfied: z.boolean().optional(),
    note: Text('回访情况'),
  })
  .strict()
/** A stored photo of a case (the file part of its `upload:` ref). */
export const CasePhotoParams = CaseNumberParams.extend({
  file: z.string().regex(/^[0-9a-f]{64}\.(jpg|png|webp)$/, '图片编号格式不正确'),
})
export const DepartmentListQuery = z.object({ communityId: ObjectIdString.optional() }).strict()
export const DepartmentList = z.object({
  items: z.array(z.object({ id: z.string(), name: z.string(), categories: z.array(z.string()) })),
})

/** What list endpoints return (summaries; see `CaseSummary`). */
export const CasePage = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  nextCursor: z.string().optional(),
})
/** The community list: a page, with `total` when asked for (`count=true`). */
export const CommunityCasePage = CasePage.extend({ total: z.number().int().optional() })
export const CaseBody = z.record(z.string(), z.unknown())
export const UploadResult = z.object({
  ref: UploadRef,
  kind: z.literal('image'),
  size: z.number(),
  type: z.string(),
})
