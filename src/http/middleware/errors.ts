import type { Context, Next } from 'koa'
import { z } from 'zod'
import { DomainError, describeIssues, type ErrorCode } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { toXml } from '../../lib/xml.js'

/** The HTTP adapter's one table from domain error codes to status codes. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_TRANSITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
}

interface HttpLikeError {
  status?: number
  statusCode?: number
  expose?: boolean
  type?: string
  message?: string
}

function fromHttpError(err: HttpLikeError): { status: number; code: ErrorCode; message: string } | undefined {
  const status = err.status ?? err.statusCode
  if (!status || status < 400 || status >= 500) return undefined
  if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE', message: '请求内容太大' }
  if (status === 415) return { status: 400, code: 'INVALID_INPUT', message: '不支持的内容类型' }
  if (status === 400)
    return { status, code: 'INVALID_INPUT', message: '请求格式不正确（例如 JSON 无法解析）' }
  if (status === 401) return { status, code: 'UNAUTHENTICATED', message: '请先登录' }
  if (status === 403) return { status, code: 'FORBIDDEN', message: '没有权限进行此操作' }
  if (status === 404) return { status, code: 'NOT_FOUND', message: '资源不存在' }
  if (status === 405) return { status, code: 'INVALID_INPUT', message: '不支持的请求方法' }
  return { status, code: 'INVALID_INPUT', message: '请求无效' }
}

/**
 * Installed first: turns typed errors into `{error:{code,message,details}}`. 4xx messages are shown;
 * anything else becomes a 500 whose message is hidden and which is logged once with its request id.
 */
export function errorMiddleware(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    await handleAll(ctx, next)
    if (ctx.path.startsWith('/open311/')) asGeoReportError(ctx)
  }
  async function handleAll(ctx: Context, next: Next): Promise<void> {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404
        ctx.body = { error: { code: 'NOT_FOUND', message: '接口不存在' } }
      }
      // The routers' allowedMethods answer a known path with the wrong method (405) or an unknown
      // method such as PROPFIND (501) without a body; both are the caller's mistake: 405 with one.
      if ((ctx.status === 405 || ctx.status === 501) && !ctx.body) {
        ctx.status = 405
        ctx.body = { error: { code: 'INVALID_INPUT', message: '不支持的请求方法' } }
      }
    } catch (err) {
      if (err instanceof DomainError) {
        ctx.status = STATUS_BY_CODE[err.code]
        ctx.body = {
          error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
        }
        if (ctx.status >= 500) logger.warn({ reqId: ctx.state.reqId, code: err.code }, err.message)
        return
      }
      if (err instanceof z.ZodError) {
        ctx.status = 400
        ctx.body = {
          error: { code: 'INVALID_INPUT', message: '输入不符合要求', details: describeIssues(err.issues) },
        }
        return
      }
      const mapped = fromHttpError(err as HttpLikeError)
      if (mapped) {
        ctx.status = mapped.status
        ctx.body = { error: { code: mapped.code, message: mapped.message } }
        return
      }
      logger.error({ reqId: ctx.state.reqId, err, method: ctx.method, path: ctx.path }, 'unhandled error')
      ctx.status = 500
      ctx.body = {
        error: {
          code: 'INTERNAL',
          message: '服务器内部错误，请稍后再试',
          details: { requestId: ctx.state.reqId },
        },
      }
    }
  }
}

/**
 * Open311 clients read errors in GeoReport's shape only: an error answered before the Open311 router
 * (a body that does not parse, a wrong method, an unknown path) is rewritten into
 * `[{code, description}]`, or `<errors><error>…` when the path asks for XML.
 */
function asGeoReportError(ctx: Context): void {
  const body = ctx.body as { error?: { message?: unknown } } | undefined
  if (ctx.status < 400 || typeof body?.error?.message !== 'string') return
  const errors = [{ code: ctx.status, description: body.error.message }]
  if (ctx.path.endsWith('.xml')) {
    const status = ctx.status
    ctx.type = 'text/xml; charset=utf-8'
    ctx.body = toXml('errors', errors, { errors: 'error' })
    ctx.status = status
  } else ctx.body = errors
}
