import type { Database } from './database.js'
import type { Logger } from './logger.js'

/**
 * Households up to which the embedded server on PostgreSQL is known to keep chat replies and
 * per-request paths fast on a 2-core machine: the largest point of the capacity curve
 * (`npm run bench -- --curve`, figures in docs/benchmarks.md: chat reply p95 about 0.1 s and
 * `cases/mine` p97.5 16 ms at 283,000 households with the whole city's grids and workers). Beyond it
 * nothing was measured, and on the SQLite backend the paths off the chat (statistics, lists) read
 * whole collections: production belongs on MongoDB (docs/deploy.md).
 */
export const EMBEDDED_PG_SERVES_HOUSEHOLDS = 283_000

const DEPLOY_DOC = 'docs/deploy.md'

/** The start-up warning for this database and household count; undefined when there is none. */
export function capacityWarning(
  db: Pick<Database, 'source' | 'backend'>,
  households: number,
): string | undefined {
  if (db.source !== 'ferretdb') return undefined
  if (db.backend === 'sqlite')
    return `embedded FerretDB on SQLite (${households} households): it reads whole collections for most queries and suits a demo only; run production on MongoDB, see ${DEPLOY_DOC}`
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
