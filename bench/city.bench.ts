import { Types } from 'mongoose'
import type { Config } from '../src/lib/config.js'
import { fieldCryptoFromConfig } from '../src/lib/crypto.js'
import { silentLogger } from '../src/lib/logger.js'
import type { Services } from '../src/main.js'
import { CommunityModel, GridModel } from '../src/models/registry.model.js'
import { RoomBindingModel } from '../src/models/room-binding.model.js'
import { importRegistrySheet } from '../src/services/registry/import/import.service.js'
import { idCheckChar } from '../src/services/registry/registry.validation.js'
import { seedCity } from '../src/services/registry/seed-city.js'
import { type Metric, round } from './measure.js'

const pad = (n: number, w: number) => String(n).padStart(w, '0')

/** A household sheet of `rows` rows (one resident each) in its own communities and grids. */
export function householdSheet(rows: number): Buffer {
  const lines = ['社区编号,社区,网格编号,网格名称,楼栋,单元,房号,姓名,手机号,身份证号']
  const perGrid = 116
  for (let i = 0; i < rows; i++) {
    const g = Math.floor(i / perGrid)
    const c = Math.floor(g / 15)
    const k = i % perGrid
    const building = (g % 15) * 4 + (k % 4) + 1
    const slot = Math.floor(k / 4)
    const room = (Math.floor(slot / 2) + 1) * 100 + (slot % 2) + 1
    const birth = `${1940 + (i % 60)}${pad(1 + (Math.floor(i / 60) % 12), 2)}${pad(1 + (Math.floor(i / 720) % 28), 2)}`
    const first17 = `150602${birth}${pad(Math.floor(i / 20160) % 1000, 3)}`
    lines.push(
      [
        `I${pad(c + 1, 4)}`,
        `导入社区${c + 1}`,
        `I${pad(c + 1, 4)}-${pad((g % 15) + 1, 2)}`,
        `第${(g % 15) + 1}网格`,
        `${building}号楼`,
        `${(slot % 2) + 1}单元`,
        String(room),
        `居民${i}`,
        `139${pad(i, 8)}`,
        first17 + idCheckChar(first17),
      ].join(','),
    )
  }
  return Buffer.from(lines.join('\n'), 'utf8')
}

/** City seed time; the sheet import next to the seed's own raw household insert rate. */
export async function benchCity(
  services: Services,
  config: Config,
  o: { households: number; importRows: number },
): Promise<Metric[]> {
  const seed = await seedCity({ clock: services.clock }, { households: o.households })
  const seedS = seed.durationMs / 1000
  const sheet = householdSheet(o.importRows)
  const crypto = fieldCryptoFromConfig(config, silentLogger)
  const summary = await importRegistrySheet({ crypto, clock: services.clock }, sheet, { batchSize: 1000 })
  const imported = summary.households.created + summary.households.updated
  const importRate = (imported * 1000) / summary.durationMs
  const rawRate = (seed.inserted.households * 1000) / seed.durationMs
  return [
    {
      metric: 'seed_city_s',
      value: round(seedS),
      unit: 's',
      note: `${seed.communities} communities, ${seed.grids} grids, ${seed.gridWorkers} workers, ${seed.households} households (bulk insertMany)`,
    },
    {
      metric: 'import_households_per_s',
      value: round(importRate),
      unit: 'rows/s',
      note: `${o.importRows}-row CSV (${round(sheet.length / 2 ** 20)} MiB), ${imported} households + ${summary.residents.created} residents in ${round(summary.durationMs / 1000)} s, ${summary.errors.length} bad rows`,
    },
    {
      metric: 'seed_households_per_s',
      value: round(rawRate),
      unit: 'docs/s',
      note: 'baseline: the city seed’s bulk insert of bare household documents',
    },
  ]
}

/** A notice to every grid group of the city (one per community), planned and enqueued. */
export async function benchBroadcast(services: Services): Promise<Metric[]> {
  const grids = await GridModel.find({ code: /^C\d{4}-/ }, { code: 1, communityId: 1 }).lean()
  const communities = await CommunityModel.find({ code: /^C\d{4}$/ }, { code: 1 }).lean()
  const codeOf = new Map(communities.map((c) => [String(c._id), c.code]))
  await RoomBindingModel.insertMany(
    grids.map((g) => ({
      roomId: `city-${g.code}@chatroom`,
      topic: `${g.code}网格群`,
      scope: 'grid',
      gridId: g._id,
      gridCode: g.code,
      communityId: g.communityId,
      communityCode: codeOf.get(String(g.communityId)) ?? 'C0000',
    })),
    { ordered: false },
  )
  const actor = {
    personId: String(new Types.ObjectId()),
    roles: ['admin' as const],
    communityIds: [],
    gridIds: [],
  }
  const started = performance.now()
  let enqueued = 0
  for (const c of communities) {
    const n = await services.notices.create(
      {
        communityId: String(c._id),
        title: '停水通知',
        body: '明天上午9点至12点因管网检修停水，请提前储水。',
      },
      actor,
    )
    enqueued += (await services.notices.send(n.id, { confirm: true }, actor)).enqueued
  }
  const planMs = performance.now() - started
  const t = performance.now()
  const raw = await services.outbox.enqueueMany(
    grids.map((g) => ({
      key: `bench-raw:${g.code}`,
      to: { type: 'room' as const, id: `city-${g.code}@chatroom` },
      text: '明天上午9点至12点因管网检修停水，请提前储水。',
      kind: 'notice',
    })),
  )
  const rawMs = performance.now() - t
  return [
    {
      metric: 'broadcast_plan_ms',
      value: round(planMs),
      unit: 'ms',
      note: `${communities.length} notices (one per community), ${enqueued} group messages enqueued for ${grids.length} grids`,
    },
    {
      metric: 'outbox_bulk_enqueue_ms',
      value: round(rawMs),
      unit: 'ms',
      note: `baseline: one enqueueMany of ${raw} messages`,
    },
  ]
}
