import { createHash } from 'node:crypto'
import { access, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import Router from '@koa/router'
import { InvalidInputError } from '../../lib/errors.js'
import { requireActor } from '../middleware/auth.js'
import { readRawBody } from '../raw-body.js'

export interface UploadRouteDeps {
  /** Folder the photos are stored in (under the data folder). */
  dir: string
  /** `http.uploadLimitMb`. */
  limitMb: number
}

const TYPES = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const
type ImageType = keyof typeof TYPES

/** The image type the bytes really are (magic numbers), whatever the client claimed. */
export function sniffImage(bytes: Buffer): ImageType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png'
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp'
  return undefined
}

/** The stored file of an upload ref, or undefined when the ref is unknown. */
export async function uploadPath(dir: string, ref: string): Promise<string | undefined> {
  const m = /^upload:([0-9a-f]{64}\.(?:jpg|png|webp))$/.exec(ref)
  if (!m?.[1]) return undefined
  const file = path.join(dir, m[1])
  return access(file).then(
    () => file,
    () => undefined,
  )
}

/** 400 unless every ref names a stored upload. */
export async function assertUploadsExist(dir: string, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    if (!(await uploadPath(dir, ref))) throw new InvalidInputError('照片未找到，请重新上传', { ref })
  }
}

/**
 * `POST /api/v1/uploads`: a raw image body (jpeg, png or webp, checked by its first bytes) is stored
 * content-addressed under the data folder; the reply's `ref` is what a case's `photos` list takes.
 */
export function uploadsRoutes(deps: UploadRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1' })
  router.post('/uploads', async (ctx) => {
    requireActor(ctx)
    const claimed = (ctx.request.type || '').toLowerCase()
    if (!(claimed in TYPES))
      throw new InvalidInputError('只能上传 JPG、PNG 或 WebP 图片', { contentType: claimed })
    const bytes = await readRawBody(ctx, deps.limitMb * 1024 * 1024, '图片')
    const real = sniffImage(bytes)
    if (!real || real !== claimed) throw new InvalidInputError('文件内容不是所声明的图片格式')
    const name = `${createHash('sha256').update(bytes).digest('hex')}.${TYPES[real]}`
    await mkdir(deps.dir, { recursive: true })
    await writeFile(path.join(deps.dir, name), bytes)
    ctx.status = 201
    ctx.body = { ref: `upload:${name}`, kind: 'image', size: bytes.length, type: real }
  })
  return router
}
