import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from 'exceljs'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { useTestDatabase } from '../../../../test/db.js'
import { fixedClock } from '../../../lib/clock.js'
import { createFieldCrypto } from '../../../lib/crypto.js'
import { distanceMeters, wgs84ToGcj02 } from '../../../lib/geo.js'
import { silentLogger } from '../../../lib/logger.js'
import { GridModel, HouseholdModel, ResidentModel } from '../../../models/registry.model.js'
import { findPlace } from '../registry.places.js'
import { createRegistryService } from '../registry.service.js'
import { idCheckChar } from '../registry.validation.js'
import { type ImportProgress, importRegistrySheet } from './import.service.js'

const clock = fixedClock(new Date('2026-03-01T08:00:00Z'))
const crypto = createFieldCrypto({
  encryptionKey: randomBytes(32).toString('hex'),
  hashSecret: 'k',
  env: 'test',
})
const deps = { crypto, clock }
const id = (first17: string) => first17 + idCheckChar(first17)
const ID1 = id('15020219500101002')
const ID2 = id('15020219880512004')
const badId = `${ID1.slice(0, 17)}${ID1[17] === '0' ? '1' : '0'}`

const SHEET = [
  '社区编号,社区,网格编号,网格名称,网格员,楼栋,单元,房号,姓名,手机号,身份证号,人员类别,政治面貌',
  `KH,康和社区,KH-01,第一网格,王网格,1号楼,1单元,101室,张桂兰,13812345678,${ID1},独居老人、低保,群众`,
  `KH,康和社区,KH-01,第一网格,王网格,1号楼,1单元,101室,李建国,13900001111,${ID2},,中共党员`,
  'KH,康和社区,KH-01,第一网格,王网格,1号楼,1单元,102室,,,,,',
  'KH,康和社区,KH-02,第二网格,李网格,十号楼,三单元,三零一,赵敏,,,残疾人,',
  'KH,康和社区,KH-02,第二网格,李网格,10,3,301,赵敏,,,残疾人,',
  `KH,康和社区,KH-02,第二网格,李网格,10,3,302,钱多多,1381234,,,`,
  `KH,康和社区,KH-02,第二网格,李网格,10,3,303,孙小美,,${badId},,`,
  'KH,康和社区,,第二网格,李网格,10,3,304,周一,,,,',
  'KH,康和社区,KH-02,第二网格,李网格,10,3,,吴二,,,,',
  ',,,,,,,,,,,,',
  'KH,康和社区,KH-02,第二网格,李网格,10,3,305,,13700000000,,,',
].join('\r\n')

describe('registry import', () => {
  useTestDatabase()

  it('imports grids, households and residents from one sheet and lists each bad row with a reason', async () => {
    const progress: ImportProgress[] = []
    const s = await importRegistrySheet(deps, Buffer.from(SHEET), { onProgress: (p) => progress.push(p) })
    expect(s.format).toBe('csv')
    expect(s.communities.created).toBe(1)
    expect(s.grids).toEqual({ created: 2, updated: 0, skipped: 0 })
    expect(s.households).toEqual({ created: 3, updated: 0, skipped: 0 })
    expect(s.residents).toEqual({ created: 3, updated: 0, skipped: 0 })
    expect(s.gridWorkers.created).toBe(2)
    expect(s.errors).toEqual([
      { row: 6, reason: '与第5行重复' },
      { row: 7, column: '手机号', reason: '手机号格式不正确，应为11位手机号' },
      { row: 8, column: '身份证号', reason: '身份证号校验位不正确，请核对' },
      { row: 9, column: '网格编号', reason: '「网格编号」为空' },
      { row: 10, column: '房号', reason: '「房号」为空' },
      { row: 12, column: '姓名', reason: '「姓名」为空' },
    ])
    expect(progress.at(-1)).toMatchObject({ phase: 'done' })

    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    const kh = await registry.getCommunityByCode('KH')
    const hh = await registry.findHouseholdByAddress(kh!.id, { building: '10', unit: '3', room: '301' })
    expect(hh).toBeDefined()
    const grid2 = await registry.getGridByCode('KH-02')
    expect(hh?.gridId).toBe(grid2?.id)
    expect((await registry.listGridWorkers(grid2!.id)).map((w) => w.name)).toEqual(['李网格'])
    const [zhang] = await registry.findResidentsByPhone('13812345678')
    expect(zhang).toMatchObject({ name: '张桂兰', tags: ['独居老人', '低保'], phone: '138****5678' })
    expect((await registry.findResidentByIdNumber(ID2))?.roles).toContain('party_member')
    expect(JSON.stringify(await ResidentModel.find().lean())).not.toContain('13812345678')
  })

  it('changes nothing when the same sheet is imported again, and updates only what changed', async () => {
    await importRegistrySheet(deps, Buffer.from(SHEET))
    const before = await HouseholdModel.find().sort({ _id: 1 }).lean()
    const again = await importRegistrySheet(deps, Buffer.from(SHEET))
    expect(again.grids).toEqual({ created: 0, updated: 0, skipped: 2 })
    expect(again.households).toEqual({ created: 0, updated: 0, skipped: 3 })
    expect(again.residents).toEqual({ created: 0, updated: 0, skipped: 3 })
    expect(again.gridWorkers).toEqual({ created: 0, updated: 0, skipped: 2 })
    expect(again.communities.created).toBe(0)
    expect(await HouseholdModel.find().sort({ _id: 1 }).lean()).toEqual(before)
    expect(await ResidentModel.countDocuments()).toBe(5)

    const changed = SHEET.replace('独居老人、低保', '独居老人、低保、残疾人').replace(
      '1号楼,1单元,102室',
      '1号楼,1单元,103室',
    )
    const third = await importRegistrySheet(deps, Buffer.from(changed))
    expect(third.residents).toEqual({ created: 0, updated: 1, skipped: 2 })
    expect(third.households).toEqual({ created: 1, updated: 0, skipped: 2 })
  })

  it('reads GBK-encoded CSV as Excel in China saves it, and UTF-8 with a BOM', async () => {
    const gbk = iconv.encode(SHEET, 'gbk')
    expect(gbk.toString('utf8')).not.toContain('网格编号')
    const s = await importRegistrySheet(deps, gbk)
    expect(s.encoding).toBe('gbk')
    expect(s.residents.created).toBe(3)
    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    expect((await registry.findResidentByIdNumber(ID1))?.name).toBe('张桂兰')
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SHEET)])
    const s2 = await importRegistrySheet(deps, bom)
    expect(s2.encoding).toBe('utf-8')
    expect(s2.residents.skipped).toBe(3)
  })

  it('streams a file in small batches with the same outcome: duplicates and households across batches', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'linli-import-'))
    const file = path.join(dir, '台账.csv')
    // GBK (as Excel in China saves it), longer than the 64 KiB read at once.
    const padding = Array.from(
      { length: 1200 },
      (_, i) => `KH,康和社区,KH-03,第三网格,,20号楼,1单元,${1000 + i},,,,,`,
    )
    const [header, ...rows] = SHEET.split('\r\n')
    await writeFile(file, iconv.encode([header, ...padding, ...rows].join('\r\n'), 'gbk'))
    const s = await importRegistrySheet(deps, { path: file }, { batchSize: 2 })
    expect(s.encoding).toBe('gbk')
    expect(s.rows).toBe(1200 + 11)
    expect(s.grids).toEqual({ created: 3, updated: 0, skipped: 0 })
    expect(s.households).toEqual({ created: 1203, updated: 0, skipped: 0 })
    expect(s.residents).toEqual({ created: 3, updated: 0, skipped: 0 })
    expect(s.errors[0]).toEqual({ row: 1206, reason: '与第1205行重复' })
    expect(s.errors).toHaveLength(6)
    const again = await importRegistrySheet(deps, { path: file }, { batchSize: 7 })
    expect(again.households).toEqual({ created: 0, updated: 0, skipped: 1203 })
    expect(again.residents).toEqual({ created: 0, updated: 0, skipped: 3 })
    expect(again.grids).toEqual({ created: 0, updated: 0, skipped: 3 })
    expect(await HouseholdModel.countDocuments()).toBe(1203)
    await rm(dir, { recursive: true })
  })

  it('reads XLSX with header aliases, a title row above the header and numbers stored as numbers', async () => {
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('居民信息')
    ws.addRow(['康和社区居民信息登记表'])
    ws.addRow(['所属网格', '楼号', '单元号', '门牌号', '居民姓名', '联系电话', '证件号码', '特殊人群'])
    ws.addRow(['KH-01', '3栋', '2', 501, '马丽', 13512345678, ID1, '低保'])
    ws.addRow(['KH-01', '3栋', '2', 502, '郑强', '', 150202195001010000, ''])
    const bytes = Buffer.from(await wb.xlsx.writeBuffer())
    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    await registry.upsertCommunity({ code: 'KH', name: '康和社区' })
    const s = await importRegistrySheet(deps, bytes, { communityCode: 'KH' })
    expect(s.format).toBe('xlsx')
    expect(s.grids.created).toBe(1)
    expect(s.households.created).toBe(1)
    expect(s.residents.created).toBe(1)
    expect(s.errors).toEqual([
      { row: 4, column: '身份证号', reason: '身份证号被 Excel 存成了数字，请把该列设为“文本”格式后重新导出' },
    ])
    expect((await registry.findResidentsByPhone('13512345678'))[0]?.name).toBe('马丽')
    expect((await GridModel.findOne({ code: 'KH-01' }).lean())?.buildings).toEqual(['3'])
  })

  it('rejects a sheet without the required columns, naming the missing one', async () => {
    const wrong = '姓名,手机号,楼栋,房号\n张三,13812345678,1,101\n'
    await expect(importRegistrySheet(deps, Buffer.from(wrong))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('网格编号（也可写作 网格代码、所属网格'),
    })
    const noAddress = '网格编号,姓名\nKH-01,张三\n'
    await expect(importRegistrySheet(deps, Buffer.from(noAddress))).rejects.toThrow(/楼栋.*房号/)
    await expect(importRegistrySheet(deps, Buffer.alloc(0))).rejects.toThrow('文件是空的')
  })

  it('reports rows whose community cannot be found instead of guessing', async () => {
    const registry = createRegistryService({ clock, crypto, logger: silentLogger })
    await registry.upsertCommunity({ code: 'KH', name: '康和社区' })
    await registry.upsertCommunity({ code: 'XY', name: '新园社区' })
    const s = await importRegistrySheet(deps, Buffer.from('网格编号,地址\nKH-09,5号楼1单元201\n'))
    expect(s.errors).toEqual([{ row: 2, reason: '无法确定所属社区，请加“社区编号”列或用 --community 指定' }])
    const ok = await importRegistrySheet(
      deps,
      Buffer.from('网格编号,地址\nKH-09,5号楼1单元201\nKH-09,5-1-202\n'),
      { communityCode: 'kh' },
    )
    expect(ok.households.created).toBe(2)
    await expect(
      importRegistrySheet(deps, Buffer.from('网格编号,地址\nKH-09,5-1-201\n'), { communityCode: 'NO' }),
    ).rejects.toThrow('社区 NO 不存在')
  })
})

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
