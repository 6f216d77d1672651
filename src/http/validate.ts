import type { Context } from 'koa'
import type { z } from 'zod'
import { InvalidInputError } from '../lib/errors.js'
import { stripNulDeep } from '../lib/nul.js'

/** Deepest nesting of objects and arrays a request may carry (real bodies need fewer than 6 levels). */
export const MAX_INPUT_DEPTH = 32

/**
 * Rejects any object key that MongoDB would read as an operator or a path (`$ne`, `a.b`), and input
 * nested deeper than MAX_INPUT_DEPTH. Iterative, so a 40,000-level body is a 400, not a stack overflow.
 */
function assertNoOperators(value: unknown): void {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }]
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number }
    if (typeof v !== 'object' || v === null) continue
    if (depth > MAX_INPUT_DEPTH) {
      throw new InvalidInputError('输入的嵌套层级太深', [
        { path, message: `nested deeper than ${MAX_INPUT_DEPTH}` },
      ])
    }
    for (const [k, child] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k
      if (!Array.isArray(v) && (k.startsWith('$') || k.includes('\u0000'))) {
        throw new InvalidInputError('输入中含有不允许的字段名', [
          { path: at, message: 'operator keys are not allowed' },
        ])
      }
      stack.push({ v: child, path: at, depth: depth + 1 })
    }
  }
}

/** Validates the JSON body with a zod schema (400 with details when it does not fit). */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const body: unknown = (ctx.request as { body?: unknown }).body ?? {}
  assertNoOperators(body)
  // NUL has no meaning in anything a person sends, and PostgreSQL (FerretDB's backend) cannot store
  // it: removed from every string at the door, so it never reaches a Mixed field or a log.
  return schema.parse(stripNulDeep(body))
}

/** Validates the query string with a zod schema; repeated keys arrive as arrays. */
export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  assertNoOperators(ctx.query)
  return schema.parse(ctx.query)
}

/** Validates route params (ids) with a zod schema. */
export function parseParams<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  return schema.parse((ctx as Context & { params?: unknown }).params ?? {})
}
