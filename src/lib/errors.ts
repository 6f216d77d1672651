/**
 * The one error type the domain throws. Adapters translate `code` into an HTTP status or a polite
 * Chinese sentence; anything that is not a DomainError is treated as an internal failure.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'ILLEGAL_TRANSITION',
  'PAYLOAD_TOO_LARGE',
  'UNPROCESSABLE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export class DomainError extends Error {
  readonly code: ErrorCode
  /** Safe to show to the caller: never secrets or personal data. */
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, details?: unknown) {
    // 「工单 261207-9999 不存在」: a space after a number or code, as before it.
    super('NOT_FOUND', /[0-9A-Za-z]$/.test(what) ? `${what} 不存在` : `${what}不存在`, details)
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('INVALID_INPUT', message, details)
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = '没有权限进行此操作', details?: unknown) {
    super('FORBIDDEN', message, details)
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('CONFLICT', message, details)
  }
}

export class UnavailableError extends DomainError {
  constructor(message = '服务暂时不可用，请稍后再试', details?: unknown, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, details, options)
  }
}

/** True for MongoDB's duplicate-key error (E11000), from the driver or mongoose. */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 11000
}

/** Turns zod issues into the `details` array that HTTP and the CLI show. */
export function describeIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): Array<{ path: string; message: string }> {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
}
