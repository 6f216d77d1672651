import type { Context } from 'koa'
import { DomainError, ForbiddenError } from '../../lib/errors.js'
import type { Role } from '../../models/registry.model.js'

/**
 * Who is calling. Set on `ctx.state.actor` by the authentication middleware (access token,
 * admin API key, or the development login); route modules only read it through the helpers below.
 */
export interface Actor {
  personId: string
  roles: Role[]
  /** Communities a community_staff/admin acts for (admin with none: every community). */
  communityIds: string[]
  /** Grids a grid_worker serves. */
  gridIds: string[]
  departmentId?: string
  via: 'token' | 'api_key' | 'dev'
}

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
