import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../../test/db.js'
import { fixedClock } from '../../../lib/clock.js'
import { createFieldCrypto } from '../../../lib/crypto.js'
import { distanceMeters, wgs84ToGcj02 } from '../../../lib/geo.js'
import { GridModel } from '../../../models/registry.model.js'
import { findPlace } from '../registry.places.js'
import { importRegistrySheet } from './import.service.js'

const clock = fixedClock(new Date('2026-03-01T08:00:00Z'))
const crypto = createFieldCrypto({
  encryptionKey: randomBytes(32).toString('hex'),
  hashSecret: 'k',
  env: 'test',
})
const deps = { crypto, clock }

// Building 1 stands at this WGS-84 point; the GCJ-02 sheet gives it as a phone map shows it.
const B1 = { lng: 109.78, lat: 39.61 }
const B1_GCJ = wgs84ToGcj02(B1)
const OUTLINE = '109.779,39.609;109.782,39.609;109.782,39.612;109.779,39.612'

describe('registry import: coordinates of buildings and grid outlines', () => {
  useTestDatabase()

  it('reads 经度/纬度 (GCJ-02 converted to WGS-84) and 网格边界, and finds the building by a point', async () => {
    const sheet = [
      '社区编号,社区,网格编号,楼栋,单元,房号,经度,纬度,坐标系,网格边界',
      `KH,康和社区,KH-01,1号楼,1单元,101室,${B1_GCJ.lng},${B1_GCJ.lat},GCJ-02,"${OUTLINE}"`,
      `KH,康和社区,KH-01,2号楼,1单元,101室,109.781,39.61,WGS-84,`,
      'KH,康和社区,KH-01,3号楼,1单元,101室,200,39.61,,',
      'KH,康和社区,KH-01,4号楼,1单元,101室,109.78,,,',
      'KH,康和社区,KH-01,5号楼,1单元,101室,109.78,39.61,百度,',
      'KH,康和社区,KH-01,6号楼,1单元,101室,,,,"109.7,39.6;109.8"',
    ].join('\r\n')
    const s = await importRegistrySheet(deps, Buffer.from(sheet))
    expect(s.errors.map((e) => [e.row, e.column])).toEqual([
      [4, '经度'],
      [5, '纬度'],
      [6, '坐标系'],
      [7, '网格边界'],
    ])
    const grid = await GridModel.findOne({ code: 'KH-01' }).lean()
    expect(grid?.datum).toBe('WGS-84')
    const b1 = grid?.buildingPlaces.find((b) => b.building === '1')
    expect(distanceMeters(b1 as { lng: number; lat: number }, B1)).toBeLessThan(0.1)
    expect(grid?.buildingPlaces.find((b) => b.building === '2')).toEqual({
      building: '2',
      lng: 109.781,
      lat: 39.61,
    })
    expect(grid?.boundary).toHaveLength(4)
    expect(await findPlace({ lng: 109.7801, lat: 39.6101 })).toMatchObject({
      gridCode: 'KH-01',
      building: '1',
    })

    // Re-importing the same sheet changes nothing; a moved building is written.
    const again = await importRegistrySheet(deps, Buffer.from(sheet))
    expect(again.grids).toEqual({ created: 0, updated: 0, skipped: 1 })
    const moved = await importRegistrySheet(
      deps,
      Buffer.from(['网格编号,楼栋,房号,经度,纬度', 'KH-01,2,101,109.7815,39.6105'].join('\n')),
      { communityCode: 'KH' },
    )
    expect(moved.grids.updated).toBe(1)
    const after = await GridModel.findOne({ code: 'KH-01' }).lean()
    expect(after?.buildingPlaces.find((b) => b.building === '2')).toMatchObject({ lng: 109.7815 })
    expect(after?.buildingPlaces.find((b) => b.building === '1')).toBeTruthy()
  })

  it('takes the datum from the import setting when the sheet has no 坐标系 column', async () => {
    const sheet = [
      '社区编号,社区,网格编号,楼栋,房号,经度,纬度',
      `KH,康和社区,KH-01,1,101,${B1_GCJ.lng},${B1_GCJ.lat}`,
    ]
    await importRegistrySheet(deps, Buffer.from(sheet.join('\n')), { datum: 'GCJ-02' })
    const grid = await GridModel.findOne({ code: 'KH-01' }).lean()
    expect(distanceMeters(grid?.buildingPlaces[0] as { lng: number; lat: number }, B1)).toBeLessThan(0.1)
  })
})
