/**
 * The console's only way to the data: the same `/api/v1` the mini-program uses, with the signed-in
 * staff member's token. Errors come back as the API's Chinese message.
 */
const TOKEN_KEY = 'linli.console.token'

export interface Session {
  token: string
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
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const token = init.token ?? loadSession()?.token
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...credentials(token),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  const text = await res.text()
  const data = text ? JSON.parse(text) : undefined
  if (!res.ok) {
    const err = (data?.error ?? {}) as { code?: string; message?: string }
    throw new ApiError(res.status, err.code ?? 'ERROR', err.message ?? `请求失败（${res.status}）`)
  }
  return data as T
}

/** Signs in with an access token (from dev login or pasted): asks the API who that is. */
export async function sessionFor(token: string): Promise<Session> {
  const me = await api<Omit<Session, 'token'>>('/me', { token })
  return { token, ...me }
}
