import { readdirSync } from 'node:fs'
import path from 'node:path'
import mongoose from 'mongoose'
import { beforeAll, describe, expect, it } from 'vitest'
import { PG_INDEXED_FIELDS } from '../../src/lib/storage/index.js'

/**
 * Every hot-path query — what a chat message, a per-request API path or the outbox runs each time —
 * with the top-level equality fields it filters on. Each must be answered from an index on both
 * stores: on MongoDB a declared mongoose index (or `_id`) whose leading keys are exactly those fields;
 * on the embedded PostgreSQL backend a GIN expression index of src/lib/storage/pg-indexes.ts on one of them.
 * A new hot query gets a row here; the test then says which index it lacks.
 */
const HOT_PATHS: ReadonlyArray<{ path: string; collection: string; filter: readonly string[] }> = [
  // A chat message (src/handlers, src/bot): stored under its puppet id, deduplicated, routed.
  { path: 'chat: store the message', collection: 'chat_messages', filter: ['messageId'] },
  { path: 'chat: re-delivery check', collection: 'chat_messages', filter: ['dedupeKey'] },
  { path: 'chat: re-delivery check (2nd key)', collection: 'chat_messages', filter: ['dedupeKey2'] },
  { path: 'chat: the sender', collection: 'residents', filter: ['_id'] },
  { path: 'chat: contact, case number, source key → document', collection: 'lookup_keys', filter: ['_id'] },
  { path: 'chat: the bound room', collection: 'room_bindings', filter: ['roomId'] },
  {
    path: 'chat and API: the registry and memory versions, one read',
    collection: 'registry_versions',
    filter: ['set'],
  },
  {
    path: 'chat: duplicate candidates of a grid and category',
    collection: 'intake_entries',
    filter: ['set'],
  },
  { path: 'chat: what the bot asked this contact or room', collection: 'chat_asks', filter: ['subject'] },
  { path: 'chat: a case by number', collection: 'cases', filter: ['number'] },
  { path: 'chat: a report by source key', collection: 'cases', filter: ['sourceKey'] },
  { path: 'chat: a worker’s open workload', collection: 'cases', filter: ['holderId'] },
  { path: 'chat: the grid', collection: 'grids', filter: ['_id'] },
  { path: 'chat: the department of a category', collection: 'departments', filter: ['categories'] },
  { path: 'chat: a WeCom staff member', collection: 'residents', filter: ['wecomUserId'] },
  { path: 'chat: a household’s members', collection: 'residents', filter: ['householdId'] },
  {
    path: 'chat: staff of a grid, community or department (routing, alerts)',
    collection: 'residents',
    filter: ['staffKeys'],
  },
  { path: 'chat: a claim or lease', collection: 'locks', filter: ['_id'] },
  { path: 'chat: a maintained counter', collection: 'counters', filter: ['_id'] },
  // Per-request API paths.
  { path: 'GET cases/mine', collection: 'cases', filter: ['reporterId'] },
  { path: 'GET cases/mine (followed)', collection: 'case_follows', filter: ['personId'] },
  { path: 'worker inbox', collection: 'cases', filter: ['assigneeId'] },
  { path: 'department case list', collection: 'cases', filter: ['departmentId'] },
  { path: 'cases posted to a department', collection: 'cases', filter: ['postedDepartmentIds'] },
  { path: 'staff board: a community’s cases', collection: 'cases', filter: ['communityId'] },
  {
    path: 'staff board, map: a community’s cases in one status',
    collection: 'cases',
    filter: ['communityId', 'status'],
  },
  { path: 'one grid’s cases in one status', collection: 'cases', filter: ['gridId', 'status'] },
  {
    path: 'statistics, trends: a community’s cases in a period',
    collection: 'cases',
    filter: ['communityId'],
  },
  { path: 'statistics: a grid’s name', collection: 'grids', filter: ['_id'] },
  { path: 'one grid’s households', collection: 'households', filter: ['gridId'] },
  { path: 'household by door code', collection: 'households', filter: ['token'] },
  { path: 'resident by phone (login, staff search)', collection: 'residents', filter: ['phoneHash'] },
  { path: 'resident by ID number', collection: 'residents', filter: ['idNumberHash'] },
  { path: 'sign-in refresh', collection: 'refresh_tokens', filter: ['hash'] },
  { path: 'API key', collection: 'api_keys', filter: ['hash'] },
  { path: 'intake desk: open cases nobody handles', collection: 'cases', filter: ['unowned'] },
  {
    path: 'intake desk, board 无人负责: a community’s unowned cases',
    collection: 'cases',
    filter: ['unowned', 'communityId'],
  },
  { path: 'a community’s notices', collection: 'notices', filter: ['communityId'] },
  { path: 'a street notice: its communities’ notices', collection: 'notices', filter: ['batchId'] },
  { path: 'a notice’s groups (one read a notice)', collection: 'room_bindings', filter: ['communityId'] },
  { path: 'a notice acknowledged', collection: 'notice_acks', filter: ['noticeId', 'personId'] },
  { path: 'event sign-up', collection: 'event_signups', filter: ['eventId', 'personId'] },
  { path: 'a person’s points', collection: 'points_ledger', filter: ['personId'] },
  { path: 'a points entry by its key', collection: 'points_ledger', filter: ['refKey'] },
  { path: 'a grid’s points leaderboard', collection: 'points_ledger', filter: ['gridMonth'] },
  // The outbox sender.
  { path: 'outbox: enqueue once', collection: 'outbox', filter: ['key'] },
  { path: 'outbox: a lane’s waiting messages', collection: 'outbox', filter: ['pendingLane', 'account'] },
]

/** Each declared index's keys, by collection name. */
const models = new Map<string, Array<Record<string, unknown>>>()

beforeAll(async () => {
  const dir = path.resolve(import.meta.dirname, '../../src/models')
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.model.ts'))) await import(path.join(dir, f))
  for (const name of mongoose.modelNames()) {
    const m = mongoose.model(name)
    models.set(
      m.collection.collectionName,
      m.schema.indexes().map(([keys]) => keys as Record<string, unknown>),
    )
  }
})

/** The declared index whose leading keys are exactly the filter's fields (any order), if any. */
function mongoIndexFor(collection: string, filter: readonly string[]): string | undefined {
  if (filter.length === 1 && filter[0] === '_id') return '_id'
  for (const keys of models.get(collection) ?? []) {
    const lead = Object.keys(keys).slice(0, filter.length)
    if (lead.length === filter.length && filter.every((f) => lead.includes(f)))
      return Object.keys(keys).join('+')
  }
  return undefined
}

/** The GIN expression index (or FerretDB's own `_id` index) the PostgreSQL backend answers it with. */
function pgIndexFor(collection: string, filter: readonly string[]): string | undefined {
  if (filter.includes('_id')) return '_id'
  return filter.find((f) => PG_INDEXED_FIELDS[collection]?.includes(f))
}

describe('hot-path queries and the indexes they rely on', () => {
  it('every hot-path collection has a model', () => {
    expect(HOT_PATHS.map((h) => h.collection).filter((c) => !models.has(c))).toEqual([])
  })

  it('on MongoDB, each is served by a declared index whose leading keys are its filter', () => {
    const missing = HOT_PATHS.filter((h) => !mongoIndexFor(h.collection, h.filter)).map(
      (h) => `${h.path}: ${h.collection} {${h.filter.join(', ')}}`,
    )
    expect(missing).toEqual([])
  })

  it('on the embedded PostgreSQL backend, each is served by a GIN expression index (or _id)', () => {
    const missing = HOT_PATHS.filter((h) => !pgIndexFor(h.collection, h.filter)).map(
      (h) => `${h.path}: ${h.collection} {${h.filter.join(', ')}}`,
    )
    expect(missing).toEqual([])
  })
})
