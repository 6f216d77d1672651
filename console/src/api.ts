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

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const session = loadSession()
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(session ? { authorization: `Bearer ${session.token}` } : {}),
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
