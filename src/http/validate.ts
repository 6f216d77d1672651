import type { Context } from 'koa'
import type { z } from 'zod'
import { InvalidInputError } from '../lib/errors.js'

/** Rejects any object key that MongoDB would read as an operator or a path (`$ne`, `a.b`). */
function assertNoOperators(value: unknown, path: string[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      assertNoOperators(v, [...path, String(i)])
    })
    return
  }
  if (typeof value !== 'object' || value === null) return
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$') || k.includes('\u0000')) {
      throw new InvalidInputError('输入中含有不允许的字段名', [
        { path: [...path, k].join('.'), message: 'operator keys are not allowed' },
      ])
    }
    assertNoOperators(v, [...path, k])
  }
}

/** Validates the JSON body with a zod schema (400 with details when it does not fit). */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const body: unknown = (ctx.request as { body?: unknown }).body ?? {}
  assertNoOperators(body)
  return schema.parse(body)
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
