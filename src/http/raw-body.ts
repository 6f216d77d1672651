import type { Context } from 'koa'
import { DomainError } from '../lib/errors.js'

/**
 * Reads a raw request body (uploads, sheets) up to `limit` bytes. A declared or actual size over the
 * limit is refused with 413 as soon as it is known, without buffering the rest.
 */
export async function readRawBody(ctx: Context, limit: number, what: string): Promise<Buffer> {
  const tooLarge = () =>
    new DomainError('PAYLOAD_TOO_LARGE', `${what}太大，最大 ${Math.round(limit / 1048576)} MB`)
  if (Number(ctx.request.length ?? 0) > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length
    if (size > limit) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
