/**
 * The console's only way to the data: the same `/api/v1` the mini-program uses, with the signed-in
 * staff member's token. Errors come back as the API's Chinese message.
 */
const TOKEN_KEY = 'linli.console.token'

export interface Session {
  token: string
  /** From dev login (or a future sign-in): lets the console renew the 15-minute access token. */
  refreshToken?: string
  personId: string
  name: string
  roles: string[]
  communityIds: string[]
  gridIds: string[]
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export function loadSession(): Session | undefined {
  const raw = sessionStorage.getItem(TOKEN_KEY)
  return raw ? (JSON.parse(raw) as Session) : undefined
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session))
  else sessionStorage.removeItem(TOKEN_KEY)
}

/** API keys (`lk_…`) go in X-Api-Key; access tokens as a Bearer token. */
function credentials(token: string | undefined): Record<string, string> {
  if (!token) return {}
  return token.startsWith('lk_') ? { 'x-api-key': token } : { authorization: `Bearer ${token}` }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await send(path, init, init.token ?? loadSession()?.token)
  if (res.status === 401 && init.token === undefined && (await renew()))
    return parse<T>(await send(path, init, loadSession()?.token))
  if (res.status === 401 && init.token === undefined && loadSession()) {
    // Expired and not renewable (a pasted token): back to the sign-in page.
    saveSession(undefined)
    window.location.assign('/console/login')
  }
  return parse<T>(res)
}

function send(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> },
  token: string | undefined,
) {
  return fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...init.headers,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...credentials(token),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text()
  const data = text ? JSON.parse(text) : undefined
  if (!res.ok) {
    const err = (data?.error ?? {}) as { code?: string; message?: string }
    throw new ApiError(res.status, err.code ?? 'ERROR', err.message ?? `请求失败（${res.status}）`)
  }
  return data as T
}

/** Rotates the refresh token for a new access token; false when there is none or it is refused. */
async function renew(): Promise<boolean> {
  const session = loadSession()
  if (!session?.refreshToken) return false
  const res = await send(
    '/auth/refresh',
    { method: 'POST', body: { refreshToken: session.refreshToken } },
    undefined,
  )
  if (!res.ok) return false
  const fresh = (await res.json()) as { accessToken: string; refreshToken: string }
  saveSession({ ...session, token: fresh.accessToken, refreshToken: fresh.refreshToken })
  return true
}

/** Signs in with an access token (from dev login or pasted): asks the API who that is. */
export async function sessionFor(token: string, refreshToken?: string): Promise<Session> {
  const me = await api<Omit<Session, 'token'>>('/me', { token })
  return { token, ...(refreshToken ? { refreshToken } : {}), ...me }
}
