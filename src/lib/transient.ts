import { isDatabaseUnreachable } from './db-availability.js'
import { DomainError } from './errors.js'

/**
 * A failure that may pass if the same work is done again a moment later: a lock that stayed busy
 * (UNAVAILABLE), or the database out of reach. A refused input or a missing record is not.
 */
export function isTransientFailure(err: unknown): boolean {
  if (err instanceof DomainError) return err.code === 'UNAVAILABLE'
  return isDatabaseUnreachable(err)
}
