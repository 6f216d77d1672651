import { createHash } from 'node:crypto'
import { Types } from 'mongoose'
import type { Clock } from '../../lib/clock.js'
import { CommunityModel, GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { staffKeysOf } from '../../models/staff-keys.js'
import { newToken } from './registry.views.js'

/**
 * A city-scale registry for benchmarks, shaped like Ordos as published: 2,445 grids, 5,169 grid
 * workers, 283,000 households, 15 grids a community. Every document has a deterministic id, so a
 * second run (or a run after a crash) inserts only what is missing and changes nothing else.
 */
export interface CitySeedOptions {
  grids?: number
  gridWorkers?: number
  households?: number
  gridsPerCommunity?: number
  batchSize?: number
  onProgress?: (p: { phase: string; done: number; total: number }) => void
}

export interface CitySeedSummary {
  communities: number
  grids: number
  gridWorkers: number
  households: number
  inserted: { communities: number; grids: number; gridWorkers: number; households: number }
  durationMs: number
}

const DISTRICTS = ['康巴什区', '东胜区', '伊金霍洛旗', '达拉特旗']

/** A stable ObjectId for a name, so re-runs hit the same documents. */
function stableId(name: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(`linli-city:${name}`).digest().subarray(0, 12))
}

interface BulkError {
  writeErrors?: Array<{ code?: number }> | { code?: number }
  result?: { insertedCount?: number }
  insertedCount?: number
  code?: number
}

/** Inserts in batches; documents that already exist (duplicate keys) are left as they are. */
async function insertAll(
  collection: {
    insertMany(docs: Record<string, unknown>[], o: { ordered: boolean }): Promise<{ insertedCount: number }>
  },
  docs: Record<string, unknown>[],
  batchSize: number,
  progress: (done: number) => void,
): Promise<number> {
  let inserted = 0
  for (let i = 0; i < docs.length; i += batchSize) {
    try {
      inserted += (await collection.insertMany(docs.slice(i, i + batchSize), { ordered: false }))
        .insertedCount
    } catch (err) {
      const e = err as BulkError
      const errors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [e]
      if (!errors.every((w) => w.code === 11000)) throw err
      inserted += e.result?.insertedCount ?? e.insertedCount ?? 0
    }
    progress(Math.min(i + batchSize, docs.length))
  }
  return inserted
}

function planCity(o: Required<Omit<CitySeedOptions, 'onProgress'>>, now: Date) {
  const stamp = { createdAt: now, updatedAt: now }
  const communityCount = Math.ceil(o.grids / o.gridsPerCommunity)
  const communities = Array.from({ length: communityCount }, (_, c) => ({
    _id: stableId(`community:${c}`),
    code: `C${String(c + 1).padStart(4, '0')}`,
    name: `城市社区${c + 1}`,
    street: `第${Math.floor(c / 8) + 1}街道`,
    district: DISTRICTS[c % DISTRICTS.length],
    city: '鄂尔多斯市',
    ...stamp,
  }))
  const grids = Array.from({ length: o.grids }, (_, g) => {
    const c = Math.floor(g / o.gridsPerCommunity)
    const inCommunity = g % o.gridsPerCommunity
    return {
      _id: stableId(`grid:${g}`),
      code: `C${String(c + 1).padStart(4, '0')}-${String(inCommunity + 1).padStart(2, '0')}`,
      name: `第${inCommunity + 1}网格`,
      communityId: stableId(`community:${c}`),
      buildings: [1, 2, 3, 4].map((b) => String(inCommunity * 4 + b)),
      primaryWorkerId: stableId(`worker:${g}`),
      partTimeWorkerIds: [] as Types.ObjectId[],
      token: newToken(),
      ...stamp,
    }
  })
  return { communities, grids, stamp }
}

function planWorkers(grids: ReturnType<typeof planCity>['grids'], total: number, stamp: object) {
  return Array.from({ length: total }, (_, w) => {
    const grid = grids[w % grids.length] as (typeof grids)[number]
    if (w >= grids.length) grid.partTimeWorkerIds.push(stableId(`worker:${w}`))
    return {
      _id: stableId(`worker:${w}`),
      name: `网格员${w + 1}`,
      communityId: grid.communityId,
      roles: ['grid_worker'],
      tags: [],
      token: newToken(),
      staff: { gridIds: [grid._id], communityIds: [], onDuty: true },
      staffKeys: staffKeysOf({ roles: ['grid_worker'], staff: { gridIds: [grid._id] } }),
      wechat: { contactId: `city-gw-${w + 1}` },
      ...stamp,
    }
  })
}

function planIntakeDesk(stamp: object): Record<string, unknown> {
  return {
    _id: stableId('intake-desk'),
    name: '市级受理窗口',
    roles: ['intake_desk'],
    tags: [],
    token: newToken(),
    staff: { gridIds: [], communityIds: [], onDuty: true },
    staffKeys: staffKeysOf({ roles: ['intake_desk'] }),
    wechat: { contactId: 'city-desk' },
    ...stamp,
  }
}

function planHouseholds(grids: ReturnType<typeof planCity>['grids'], total: number, stamp: object) {
  const out: Record<string, unknown>[] = []
  const base = Math.floor(total / grids.length)
  const extra = total - base * grids.length
  for (const [g, grid] of grids.entries()) {
    const count = base + (g < extra ? 1 : 0)
    for (let k = 0; k < count; k++) {
      const building = grid.buildings[k % 4] as string
      const slot = Math.floor(k / 4) // 0 … ~29 per building: 2 units × floors × 2 rooms
      const unit = String((slot % 2) + 1)
      const floor = Math.floor(slot / 4) + 1
      const room = String(floor * 100 + (Math.floor(slot / 2) % 2) + 1)
      out.push({
        communityId: grid.communityId,
        gridId: grid._id,
        building,
        unit,
        room,
        token: newToken(),
        ...stamp,
      })
    }
  }
  return out
}

/** Generates (or completes) the city-scale registry with bulk inserts in batches. */
export async function seedCity(
  deps: { clock: Clock },
  options: CitySeedOptions = {},
): Promise<CitySeedSummary> {
  const started = Date.now()
  const o = {
    grids: options.grids ?? 2445,
    gridWorkers: options.gridWorkers ?? 5169,
    households: options.households ?? 283_000,
    gridsPerCommunity: options.gridsPerCommunity ?? 15,
    batchSize: options.batchSize ?? 2000,
  }
  const { communities, grids, stamp } = planCity(o, deps.clock.now())
  const workers = planWorkers(grids, o.gridWorkers, stamp)
  const households = planHouseholds(grids, o.households, stamp)
  const report = (phase: string, total: number) => (done: number) =>
    options.onProgress?.({ phase, done, total })
  const inserted = {
    communities: await insertAll(
      CommunityModel.collection,
      communities,
      o.batchSize,
      report('communities', communities.length),
    ),
    grids: await insertAll(GridModel.collection, grids, o.batchSize, report('grids', grids.length)),
    gridWorkers: await insertAll(
      ResidentModel.collection,
      workers,
      o.batchSize,
      report('gridWorkers', workers.length),
    ),
    households: await insertAll(
      HouseholdModel.collection,
      households,
      o.batchSize,
      report('households', households.length),
    ),
  }
  // The city's intake desk (受理窗口), so that a case of no known community has an owner.
  await insertAll(ResidentModel.collection, [planIntakeDesk(stamp)], 1, () => undefined)
  return {
    communities: communities.length,
    grids: grids.length,
    gridWorkers: workers.length,
    households: households.length,
    inserted,
    durationMs: Date.now() - started,
  }
}
