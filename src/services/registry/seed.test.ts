import { randomBytes } from 'node:crypto'
import mongoose from 'mongoose'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../test/db.js'
import { fixedClock } from '../../lib/clock.js'
import { createFieldCrypto } from '../../lib/crypto.js'
import { silentLogger } from '../../lib/logger.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { findPlace, invalidatePlaces } from './registry.places.js'
import { createRegistryService } from './registry.service.js'
import { demoBuildingPoint, seedDemo } from './seed.js'
import { seedCity } from './seed-city.js'

const clock = fixedClock(new Date('2026-03-01T08:00:00Z'))
const crypto = createFieldCrypto({
  encryptionKey: randomBytes(32).toString('hex'),
  hashSecret: 'k',
  env: 'test',
})

async function snapshot(): Promise<Record<string, unknown[]>> {
  const db = mongoose.connection.db
  if (!db) throw new Error('not connected')
  const out: Record<string, unknown[]> = {}
  for (const c of await db.collections()) out[c.collectionName] = await c.find().sort({ _id: 1 }).toArray()
  return out
}

describe('seed', () => {
  useTestDatabase()

  it('creates the demo community with named staff, routed departments and party links; a second run changes nothing', async () => {
    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    const demo = await seedDemo(registry)
    expect(demo.community).toMatchObject({ code: 'KH', name: '康和社区' })
    expect(demo.grids.map((g) => g.code)).toEqual([
      'KH-01',
      'KH-02',
      'KH-03',
      'KH-04',
      'KH-05',
      'KH-06',
      'KH-07',
      'KH-08',
    ])
    expect(demo.grids[0]).toMatchObject({
      primaryWorker: { name: '王网格' },
      partTimeWorker: { name: '周兼职' },
      buildings: ['1', '2', '3'],
    })
    expect(demo.households).toBe(480)
    expect(demo.residents).toBeGreaterThan(400)
    expect(demo.partyMembers).toHaveLength(16)
    expect(demo.partyMembers.every((p) => p.householdIds.length === 5)).toBe(true)
    expect((await registry.listGridWorkers(demo.grids[0]!.id)).map((w) => w.name)).toEqual([
      '王网格',
      '周兼职',
    ])
    expect(
      (await registry.listDepartmentsForCategory('heating_utilities', demo.community.id)).map((d) => d.name),
    ).toEqual(['供热公司', '供水公司', '供电公司'])
    expect((await registry.listDepartmentsForCategory('parking_traffic')).map((d) => d.name).sort()).toEqual(
      ['交警', '城管'].sort(),
    )
    const tags = (await ResidentModel.find({ tags: { $ne: [] } }).lean()).flatMap((r) => r.tags)
    expect(new Set(tags)).toEqual(new Set(['独居老人', '残疾人', '低保']))
    expect((await registry.gridOfBuilding(demo.community.id, '10号楼'))?.code).toBe('KH-04')
    expect(await registry.getResident(demo.intakeDesk.id)).toMatchObject({
      name: '孟窗口',
      roles: expect.arrayContaining(['intake_desk']),
      staff: { communityIds: [], onDuty: true },
    })
    expect(demo.communityStaff).toHaveLength(3)

    const before = await snapshot()
    const again = await seedDemo(registry)
    expect(again).toEqual(demo)
    expect(await snapshot()).toEqual(before)
  }, 90_000)

  it('places the demo community in Kangbashi: every building has a point, every grid an outline', async () => {
    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    await seedDemo(registry)
    const grids = await GridModel.find({ code: /^KH-0/ }).lean()
    expect(grids).toHaveLength(8)
    for (const g of grids) {
      expect(g.buildingPlaces.map((b) => b.building).sort()).toEqual([...g.buildings].sort())
      expect(g.boundary).toHaveLength(4)
      for (const b of g.buildingPlaces) {
        expect(b.lng).toBeGreaterThan(109.7)
        expect(b.lng).toBeLessThan(109.9)
        expect(b.lat).toBeGreaterThan(39.55)
        expect(b.lat).toBeLessThan(39.65)
      }
    }
    invalidatePlaces()
    const p5 = demoBuildingPoint(5)
    expect(await findPlace({ lng: p5.lng + 0.0002, lat: p5.lat })).toMatchObject({
      gridCode: 'KH-02',
      building: '5',
    })
  })

  it('generates a city-scale registry in batches and completes it idempotently', async () => {
    const progress: string[] = []
    const small = { grids: 30, gridWorkers: 50, households: 1000, gridsPerCommunity: 15, batchSize: 300 }
    const first = await seedCity({ clock }, { ...small, onProgress: (p) => progress.push(p.phase) })
    expect(first.inserted).toEqual({ communities: 2, grids: 30, gridWorkers: 50, households: 1000 })
    expect(progress).toContain('households')
    expect(await HouseholdModel.countDocuments()).toBe(1000)
    const grid = await GridModel.findOne({ code: 'C0001-01' }).lean()
    expect(grid?.partTimeWorkerIds).toHaveLength(1)
    expect(await HouseholdModel.countDocuments({ gridId: grid?._id })).toBe(34)
    const second = await seedCity({ clock }, small)
    expect(second.inserted).toEqual({ communities: 0, grids: 0, gridWorkers: 0, households: 0 })
    // The grid workers and the city's intake desk.
    expect(await ResidentModel.countDocuments()).toBe(51)
    expect(await ResidentModel.countDocuments({ roles: 'intake_desk' })).toBe(1)
  })
})
