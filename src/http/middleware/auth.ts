import type { Context, Next } from 'koa'
import { DomainError, ForbiddenError } from '../../lib/errors.js'
import type { Role } from '../../models/registry.model.js'
import type { Actor, AuthService } from '../../services/auth/auth.service.js'
import { withRegistrySnapshot } from '../../services/registry/registry.cache.js'

export type { Actor }

/** The caller, or 401 when the request carries no valid credentials. */
export function requireActor(ctx: Context): Actor {
  const actor = ctx.state.actor as Actor | undefined
  if (!actor) throw new DomainError('UNAUTHENTICATED', '请先登录')
  return actor
}

/** The caller when they hold one of the roles, else 403. */
export function requireRole(ctx: Context, ...roles: Role[]): Actor {
  const actor = requireActor(ctx)
  if (!actor.roles.some((r) => roles.includes(r))) throw new ForbiddenError()
  return actor
}

/**
 * Reads `Authorization: Bearer <access token>` or `X-Api-Key: <key>` and sets `ctx.state.actor`.
 * A request without credentials passes through anonymous (routes decide); bad credentials are a 401.
 */
export function authenticate(auth: Pick<AuthService, 'verifyAccessToken' | 'verifyApiKey'>) {
  return async function authenticateRequest(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization')
    const apiKey = ctx.get('x-api-key')
    if (!header && !apiKey) return next()
    // What this process remembers (sessions, people, case lists) is checked against the versions
    // read once as the request starts, in one command shared with concurrent requests.
    return withRegistrySnapshot(
      async () => {
        if (header) {
          const m = /^Bearer\s+(\S+)$/i.exec(header)
          if (!m) throw new DomainError('UNAUTHENTICATED', '登录凭证格式不正确')
          ctx.state.actor = await auth.verifyAccessToken(m[1] as string)
        } else ctx.state.actor = await auth.verifyApiKey(apiKey)
        await next()
      },
      { eager: true },
    )
  }
}

/** True when the actor is an admin with no community restriction (city-wide). */
export function isCityAdmin(actor: Actor): boolean {
  return actor.roles.includes('admin') && actor.communityIds.length === 0
}

/** 403 unless the actor may act for this community (its staff, or a city-wide admin). */
export function requireCommunity(actor: Actor, communityId: string): void {
  if (isCityAdmin(actor)) return
  if (!actor.communityIds.includes(communityId)) throw new ForbiddenError('只能查看本社区的数据')
}
