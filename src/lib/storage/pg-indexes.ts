import { createHash } from 'node:crypto'
import { type PgConnection, psql } from '../embedded-pg.js'

/**
 * The top-level fields Linli's queries filter on by equality, per collection: on the PostgreSQL
 * backend each gets a GIN expression index, because FerretDB 1.24 pushes an equality on a top-level
 * field down to SQL as `_jsonb->'field' @> value`, which FerretDB's own btree indexes never serve and
 * `USING gin ((_jsonb->'field') jsonb_path_ops)` does. The same containment also matches an array
 * holding the value, so array fields (`postedDepartmentIds`, `roles`) are served too. `_id` is
 * indexed in every collection FerretDB has, listed here or not.
 *
 * Dotted paths (`location.gridId`) are not pushed down by FerretDB 1.24 (only behind its experimental
 * `--test-enable-nested-pushdown`): such a filter reads the whole table, so they are not listed.
 * This is the one list: add a field here when a new hot query filters on it (the mongoose indexes
 * in src/models stay what MongoDB uses). Equalities only; ranges and sorts are done by FerretDB.
 * src/lib/storage/pg-indexes.test.ts checks with PostgreSQL's own plans that FerretDB's queries use them.
 */
export const PG_INDEXED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  cases: [
    'number',
    'sourceKey',
    'status',
    'assigneeId',
    'holderId',
    'reporterId',
    'departmentId',
    'postedDepartmentIds',
    'category',
    'communityId',
    'gridId',
    'unowned',
  ],
  case_follows: ['personId'],
  chat_asks: ['subject'],
  chat_messages: ['messageId', 'dedupeKey', 'dedupeKey2', 'status', 'chatKey'],
  communities: ['code'],
  grids: ['code', 'communityId', 'primaryWorkerId', 'token'],
  intake_entries: ['set'],
  households: ['gridId', 'token', 'partyMemberId', 'communityId'],
  residents: [
    'householdId',
    'communityId',
    'gridId',
    'phoneHash',
    'idNumberHash',
    'token',
    'roles',
    'staffKeys',
    'wecomUserId',
    'wecomExternalUserId',
  ],
  departments: ['code', 'categories'],
  registry_versions: ['set'],
  room_bindings: ['roomId', 'communityId'],
  outbox: ['key', 'status', 'account', 'pendingLane'],
  events: ['code', 'checkinCode', 'status', 'communityId'],
  event_signups: ['eventId', 'personId'],
  notices: ['status', 'communityId', 'batchId'],
  notice_acks: ['noticeId', 'personId'],
  notice_household_acks: ['noticeId', 'householdId'],
  points_ledger: ['refKey', 'personId', 'gridMonth'],
  audit: ['actorId', 'residentId'],
  refresh_tokens: ['hash', 'personId', 'family'],
  api_keys: ['hash'],
  invites: ['hash'],
  auth_sessions: ['personId'],
  kb_documents: ['docId'],
  kb_chunks: ['docId'],
  kb_questions: ['questionId'],
  mp_subscriptions: ['personId'],
  mp_subscription_uses: ['grantId', 'personId'],
  job_runs: ['name'],
  wecom_messages: ['state'],
  wecom_kf_messages: ['openKfId', 'state'],
}

/** Marks the indexes Linli owns, so one dropped from the list is dropped from the database too. */
const PREFIX = 'lgin_'

export interface PgIndexPlan {
  collection: string
  table: string
  field: string
  name: string
}

export interface PgIndexResult {
  /** Every index the list asks for in this database (created now or already there). */
  indexes: PgIndexPlan[]
  created: string[]
  dropped: string[]
}

/** SQL string literal. */
function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

/** SQL identifier. */
function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`
}

/** The expression FerretDB's pushdown uses for a top-level field. */
export function fieldExpression(field: string): string {
  return `_jsonb->${lit(field)}`
}

/** `lgin_<table>_<field>`, or a hashed name when that would pass PostgreSQL's 63 bytes. */
export function indexName(table: string, field: string): string {
  const plain = `${PREFIX}${table}_${field.replace(/\./g, '_')}`.toLowerCase()
  if (Buffer.byteLength(plain) <= 63) return plain
  return `${PREFIX}${createHash('sha256').update(`${table}.${field}`).digest('hex').slice(0, 16)}`
}

/** FerretDB's collection → table map of one database (its schema), read from its metadata table. */
export async function ferretTables(pg: PgConnection, dbName: string): Promise<Map<string, string>> {
  const meta = `${ident(dbName)}._ferretdb_database_metadata`
  const exists = await psql(pg, `SELECT to_regclass(${lit(meta)}) IS NOT NULL`)
  const tables = new Map<string, string>()
  if (exists.trim() !== 't') return tables
  const out = await psql(pg, `SELECT _jsonb->>'_id', _jsonb->>'table' FROM ${meta}`)
  for (const line of out.split('\n')) {
    const [collection, table] = line.split('|')
    if (collection && table) tables.set(collection, table)
  }
  return tables
}

/**
 * Creates the GIN expression indexes of PG_INDEXED_FIELDS (and `_id` everywhere) on the FerretDB
 * tables of database `dbName`, `IF NOT EXISTS`, and drops Linli's indexes the list no longer asks for.
 * Run at every start, after the models' collections exist.
 */
export async function ensurePgIndexes(
  pg: PgConnection,
  dbName: string,
  fields: Readonly<Record<string, readonly string[]>> = PG_INDEXED_FIELDS,
): Promise<PgIndexResult> {
  const tables = await ferretTables(pg, dbName)
  const indexes: PgIndexPlan[] = []
  for (const [collection, table] of tables) {
    for (const field of ['_id', ...(fields[collection] ?? [])])
      indexes.push({ collection, table, field, name: indexName(table, field) })
  }
  const existing = new Set(
    (
      await psql(
        pg,
        `SELECT indexname FROM pg_indexes WHERE schemaname = ${lit(dbName)} AND indexname LIKE ${lit(`${PREFIX}%`)}`,
      )
    )
      .split('\n')
      .filter(Boolean),
  )
  const wanted = new Set(indexes.map((i) => i.name))
  const dropped = [...existing].filter((n) => !wanted.has(n))
  const missing = indexes.filter((i) => !existing.has(i.name))
  const statements = [
    ...dropped.map((n) => `DROP INDEX IF EXISTS ${ident(dbName)}.${ident(n)};`),
    ...missing.map(
      (i) =>
        `CREATE INDEX IF NOT EXISTS ${ident(i.name)} ON ${ident(dbName)}.${ident(i.table)} ` +
        `USING gin ((${fieldExpression(i.field)}) jsonb_path_ops);`,
    ),
  ]
  if (statements.length > 0) await psql(pg, statements.join('\n'))
  return { indexes, created: missing.map((i) => i.name), dropped }
}
