import type { Database } from './database.js'
import type { Logger } from './logger.js'

/**
 * Households up to which the embedded server on PostgreSQL is known to keep chat replies and
 * per-request paths fast on a 2-core machine: the largest point of the capacity curve
 * (`npm run bench -- --curve`, figures in docs/benchmarks.md: chat reply p95 59–102 ms and
 * `cases/mine` p97.5 9–16 ms at 283,000 households with the whole city's grids and workers). Beyond
 * it nothing was measured: production belongs on MongoDB (docs/deploy.md).
 */
export const EMBEDDED_PG_SERVES_HOUSEHOLDS = 283_000

/**
 * The same on the SQLite fallback: the curve's last point where every chat message was answered
 * (p95 148 ms at 50,000 households, 8 Dec). At 283,000, 5 of 30 messages went unanswered for 60 s
 * and its server took 1.4 GiB. Paths off the chat (statistics, exports) read whole collections.
 */
export const EMBEDDED_SQLITE_SERVES_HOUSEHOLDS = 50_000

const DEPLOY_DOC = 'docs/deploy.md'

/** The start-up warning for this database and household count; undefined when there is none. */
export function capacityWarning(
  db: Pick<Database, 'source' | 'backend'>,
  households: number,
): string | undefined {
  if (db.source !== 'ferretdb') return undefined
  if (db.backend === 'sqlite')
    return households > EMBEDDED_SQLITE_SERVES_HOUSEHOLDS
      ? `${households} households on the embedded FerretDB on SQLite, beyond the ${EMBEDDED_SQLITE_SERVES_HOUSEHOLDS} where the capacity curve still answered every chat message; install PostgreSQL (the embedded default) or run on MongoDB, see ${DEPLOY_DOC}`
      : `embedded FerretDB on SQLite (${households} households): the fallback, for a demo or a pilot (measured to ${EMBEDDED_SQLITE_SERVES_HOUSEHOLDS} households); it reads whole collections for statistics and exports; run production on MongoDB, see ${DEPLOY_DOC}`
  if (households > EMBEDDED_PG_SERVES_HOUSEHOLDS)
    return `${households} households on the embedded FerretDB + PostgreSQL, beyond the ${EMBEDDED_PG_SERVES_HOUSEHOLDS} the capacity curve measured; run production on MongoDB, see ${DEPLOY_DOC}`
  return undefined
}

/** Counts households (an estimate from collection metadata, no scan) and warns when beyond the curve. */
export async function warnAboutCapacity(
  db: Pick<Database, 'source' | 'backend'>,
  countHouseholds: () => Promise<number>,
  logger: Logger,
): Promise<void> {
  if (db.source !== 'ferretdb') return
  const households = await countHouseholds().catch(() => 0)
  const warning = capacityWarning(db, households)
  if (warning) logger.warn({ households, backend: db.backend, see: DEPLOY_DOC }, warning)
}
