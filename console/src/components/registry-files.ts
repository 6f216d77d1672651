import { ApiError, api, loadSession } from '../api'

/**
 * Files over the same `/api/v1` as `api()`: a picked file sent as the raw request body (the roster
 * import and policy document uploads take bytes, not JSON), and a printable page opened with the
 * staff member's token. Errors come back as the API's Chinese message.
 */
function authHeaders(): Record<string, string> {
  const token = loadSession()?.token
  if (!token) return {}
  return token.startsWith('lk_') ? { 'x-api-key': token } : { authorization: `Bearer ${token}` }
}

async function failure(res: Response): Promise<ApiError> {
  const data = (await res.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string } }
    | undefined
  const err = data?.error ?? {}
  return new ApiError(res.status, err.code ?? 'ERROR', err.message ?? `请求失败（${res.status}）`)
}

/**
 * Sends the request with the session's token; on 401 lets `api()` renew the access token (or return
 * to the sign-in page) through `/me`, then tries once more.
 */
async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const go = () => fetch(`/api/v1${path}`, { ...init, headers: { ...init.headers, ...authHeaders() } })
  const res = await go()
  if (res.status !== 401) return res
  await api('/me').catch(() => undefined)
  return go()
}

/** Uploads `file` as the body of a POST to `path`, typed by the file (or as plain bytes). */
export async function uploadFile<T>(path: string, file: File): Promise<T> {
  const res = await send(path, {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  })
  if (!res.ok) throw await failure(res)
  return (await res.json()) as T
}

/** Opens a printable page the API renders (door code sheets) in a new tab. */
export async function openPrintable(path: string): Promise<void> {
  const tab = window.open('', '_blank')
  const res = await send(path)
  if (!res.ok) {
    tab?.close()
    throw await failure(res)
  }
  const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }))
  if (tab) tab.location.href = url
  else window.location.assign(url)
}

/** Offers `text` as a file download (the roster template). */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** The API's Chinese message, or a general one for a network failure. */
export const messageOf = (err: unknown, fallback = '操作失败，请稍后再试'): string =>
  err instanceof ApiError ? err.message : fallback
