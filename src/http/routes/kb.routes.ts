import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { DomainError, InvalidInputError } from '../../lib/errors.js'
import type { ImportResult, KbService } from '../../services/kb/kb.service.js'
import {
  DocumentRefusedError,
  documentIdFor,
  extensionForContentType,
  refuse,
  SUPPORTED_EXTENSIONS,
} from '../../services/kb/kb-formats.js'
import { requireActor, requireRole } from '../middleware/auth.js'
import { parseBody, parseParams, parseQuery } from '../validate.js'

export { LifecycleChangeInput as DocumentChangeBody } from '../../services/kb/kb-curation.js'
export { ReviewInput as ReviewBody } from '../../services/kb/kb-review.js'

export interface KbRouteDeps {
  kb: KbService
  /** Largest accepted document upload, in KiB (`kb.maxDocumentKb`). */
  maxDocumentKb: number
}

export const AskBody = z.object({
  question: z.string().trim().min(1, '请输入问题').max(500, '问题太长了（500字以内）'),
})
export const FeedbackBody = z
  .object({
    questionId: z.string().min(1).max(100).optional(),
    answerId: z.string().min(1).max(100).optional(),
    helpful: z.boolean(),
  })
  .refine((f) => f.questionId ?? f.answerId, { message: '缺少 questionId' })
  .meta({ anyOf: [{ required: ['questionId'] }, { required: ['answerId'] }] })
export const DocumentBody = z.object({
  id: z.string().min(1).max(120),
  text: z.string().min(1, '文档内容为空'),
  title: z.string().max(200).optional(),
  issuer: z.string().max(200).optional(),
  date: z.string().max(40).optional(),
  url: z.string().max(500).optional(),
})
export const DocumentQuery = z.object({
  id: z.string().min(1).max(120).optional(),
  title: z.string().max(200).optional(),
})
/** `POST /files`: the document's fields ride in the query; the body is the file's bytes. */
export const FileQuery = z.object({
  id: z.string().min(1).max(120).optional(),
  /** The file's name; its extension says the format when the Content-Type does not. */
  name: z.string().min(1).max(255).optional(),
  title: z.string().max(400).optional(),
  issuer: z.string().max(200).optional(),
  date: z.string().max(40).optional(),
  url: z.string().max(500).optional(),
})
export const UnansweredQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) })
export const QuestionsQuery = z.object({
  verdict: z.enum(['wrong', 'right']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
export const ConflictsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) })
const DocIdParams = z.object({ docId: z.string().min(1).max(120) })
const QuestionIdParams = z.object({ questionId: z.string().min(1).max(100) })
/** Any JSON object: the service checks the fields and answers with a precise Chinese message. */
const JsonObject = z.record(z.string(), z.unknown(), { error: '请求内容应为 JSON 对象' })

const STAFF_ROLES = ['community_staff', 'admin'] as const
const TEXT_TYPES = ['text/plain', 'text/markdown', 'text/x-markdown']

/** Reads a raw body (the body parser leaves all but JSON and forms alone), refusing more than `limit` bytes. */
async function readBytes(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0)
  if (declared > limit) throw new DomainError('PAYLOAD_TOO_LARGE', '文档太大')
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw new DomainError('PAYLOAD_TOO_LARGE', '文档太大')
    parts.push(buf)
  }
  return Buffer.concat(parts)
}

/** The file name an upload stands for: `?name=` when it has a known extension, else id + Content-Type. */
function uploadFileName(ctx: Context, query: z.infer<typeof FileQuery>): string {
  const fromName = query.name && SUPPORTED_EXTENSIONS.some((e) => query.name?.toLowerCase().endsWith(e))
  if (query.name && fromName) return query.name
  const ext = extensionForContentType(ctx.get('content-type'))
  const id = query.id ?? (query.name ? documentIdFor(query.name) : undefined)
  if (!id)
    throw new InvalidInputError(
      '请在地址中给出文档编号或文件名，例如 ?id=low-income-2026 或 ?name=低保通知.pdf',
    )
  if (ext) return `${id}${ext}`
  if (query.name) return query.name
  throw new DocumentRefusedError(refuse('UNSUPPORTED_TYPE'))
}

/**
 * `/api/v1/kb`: residents ask and rate answers; community staff upload documents and see what
 * residents asked in vain.
 */
export function kbRoutes(deps: KbRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1/kb' })

  router.post('/ask', async (ctx) => {
    const actor = requireActor(ctx)
    const { question } = parseBody(ctx, AskBody)
    ctx.body = await deps.kb.ask(question, { askerId: actor.personId })
  })

  router.post('/feedback', async (ctx) => {
    const actor = requireActor(ctx)
    const body = parseBody(ctx, FeedbackBody)
    const staff = actor.roles.some((r) => (STAFF_ROLES as readonly string[]).includes(r))
    await deps.kb.feedback({ ...body, ...(staff ? {} : { askerId: actor.personId }) })
    ctx.body = { ok: true }
  })

  router.post('/documents', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    const limit = deps.maxDocumentKb * 1024
    let result: ImportResult
    if (ctx.is(TEXT_TYPES)) {
      const query = parseQuery(ctx, DocumentQuery)
      if (!query.id) throw new InvalidInputError('请在地址中给出文档编号，例如 ?id=heating-fees')
      // Read as a file: UTF-8 or GBK, a BOM stripped, binary garbage refused.
      const { docId, outcome, chunks } = await deps.kb.importFile({
        fileName: `${query.id}${extensionForContentType(ctx.get('content-type')) ?? '.txt'}`,
        bytes: await readBytes(ctx, limit),
        id: query.id,
        ...(query.title !== undefined ? { title: query.title } : {}),
        source: 'upload',
      })
      result = { docId, outcome, chunks }
    } else {
      const input = parseBody(ctx, DocumentBody)
      if (Buffer.byteLength(input.text) > limit) throw new DomainError('PAYLOAD_TOO_LARGE', '文档太大')
      result = await deps.kb.importDocument({ ...input, source: 'upload' })
    }
    ctx.status = result.outcome === 'imported' ? 201 : 200
    ctx.body = result
  })

  router.post('/files', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    if (ctx.is('json', 'urlencoded', 'multipart'))
      throw new InvalidInputError(
        '请把文件内容直接作为请求体上传，并用 Content-Type 说明文件类型（例如 application/pdf），不要用 JSON 或表单',
      )
    const query = parseQuery(ctx, FileQuery)
    const fileName = uploadFileName(ctx, query)
    const { name: _name, ...fields } = query
    const result = await deps.kb.importFile({
      ...fields,
      fileName,
      bytes: await readBytes(ctx, deps.maxDocumentKb * 1024),
      source: 'upload',
    })
    ctx.status = result.outcome === 'imported' ? 201 : 200
    ctx.body = result
  })

  router.get('/documents', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    ctx.body = { documents: await deps.kb.listDocuments() }
  })

  router.patch('/documents/:docId', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF_ROLES)
    const { docId } = parseParams(ctx, DocIdParams)
    const change = parseBody(ctx, JsonObject)
    ctx.body = await deps.kb.changeDocument(docId, change, actor.personId)
  })

  router.post('/questions/:questionId/review', async (ctx) => {
    const actor = requireRole(ctx, ...STAFF_ROLES)
    const { questionId } = parseParams(ctx, QuestionIdParams)
    const review = parseBody(ctx, JsonObject)
    ctx.body = await deps.kb.reviewAnswer(questionId, review, actor.personId)
  })

  router.get('/questions', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    const query = parseQuery(ctx, QuestionsQuery)
    ctx.body = { items: await deps.kb.listQuestions(query) }
  })

  router.get('/conflicts', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    const { limit } = parseQuery(ctx, ConflictsQuery)
    ctx.body = { items: await deps.kb.listConflicts({ limit }) }
  })

  router.get('/unanswered', async (ctx) => {
    requireRole(ctx, ...STAFF_ROLES)
    const { limit } = parseQuery(ctx, UnansweredQuery)
    ctx.body = { items: await deps.kb.unanswered({ limit }) }
  })

  return router
}
