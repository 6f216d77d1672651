import { Types } from 'mongoose'
import type { Clock } from '../../../lib/clock.js'
import type { FieldCrypto } from '../../../lib/crypto.js'
import { DomainError, InvalidInputError } from '../../../lib/errors.js'
import type { Datum, LngLat } from '../../../lib/geo.js'
import { CommunityModel, type Grid, GridModel, ResidentModel } from '../../../models/registry.model.js'
import { rememberBuildings } from '../registry.buildings.js'
import { createPeopleService } from '../registry.people.js'
import { invalidatePlaces } from '../registry.places.js'
import { newToken } from '../registry.views.js'
import { type HeaderMap, mapHeaders } from './import.headers.js'
import { isRowError, type ParsedRow, parseRow, type RowError, rowKey } from './import.rows.js'
import { createHouseholdWriter } from './import.writer.js'
import { readSheet, type Sheet } from './sheet.reader.js'

export interface ImportCounts {
  created: number
  updated: number
  skipped: number
}

/** What an import did: counts per kind, and each bad row with its sheet row number and reason. */
export interface ImportSummary {
  format: Sheet['format']
  encoding?: Sheet['encoding']
  rows: number
  communities: ImportCounts
  grids: ImportCounts
  households: ImportCounts
  residents: ImportCounts
  gridWorkers: ImportCounts
  errors: RowError[]
  durationMs: number
}

export interface ImportProgress {
  phase: 'read' | 'grids' | 'rows' | 'done'
  done: number
  total: number
}

export interface ImportOptions {
  /** Community (by code) for rows that do not name one. */
  communityCode?: string
  onProgress?: (p: ImportProgress) => void
  /** When set (a community's own staff), rows of any other community are refused. */
  allowedCommunityIds?: string[]
  /** Rows per bulk write (default 1000). */
  batchSize?: number
  /** The datum of 经度/纬度 and 网格边界 for rows without a 坐标系 cell (default WGS-84). */
  datum?: Datum
}

export interface ImportDeps {
  crypto: FieldCrypto
  clock: Clock
}

const counts = (): ImportCounts => ({ created: 0, updated: 0, skipped: 0 })

/** Finds the header row (offices often put a title above it) among the first rows. */
function findHeader(rows: string[][]): { map: HeaderMap; index: number } {
  let first: unknown
  for (let i = 0; i < Math.min(rows.length, 5); i++) {
    try {
      return { map: mapHeaders(rows[i] ?? []), index: i }
    } catch (err) {
      first ??= err
    }
  }
  throw first ?? new InvalidInputError('表格中没有表头')
}

/** Parses data rows, dropping empty ones, and flags duplicates within the sheet. */
function parseRows(rows: string[][], headerIndex: number, map: HeaderMap, now: Date, datum?: Datum) {
  const good: ParsedRow[] = []
  const errors: RowError[] = []
  const seen = new Map<string, number>()
  const seenPerson = new Map<string, number>()
  for (let i = headerIndex + 1; i < rows.length; i++) {
    const cells = rows[i] ?? []
    if (cells.every((c) => !c || c.trim() === '')) continue
    const parsed = parseRow(cells, map, i + 1, now, datum)
    if (isRowError(parsed)) {
      errors.push(parsed)
      continue
    }
    const person =
      parsed.person?.idNumber ??
      (parsed.person?.phone ? `${parsed.person.phone}|${parsed.person.name}` : undefined)
    const dup = seen.get(rowKey(parsed)) ?? (person ? seenPerson.get(person) : undefined)
    if (dup !== undefined) {
      errors.push({ row: i + 1, reason: `与第${dup}行重复` })
      continue
    }
    seen.set(rowKey(parsed), i + 1)
    if (person) seenPerson.set(person, i + 1)
    good.push(parsed)
  }
  return { good, errors }
}

/**
 * Imports a CSV or XLSX sheet of grids, households and residents. Idempotent: households match by
 * address, residents by ID number, then phone + name, then household + name; unchanged rows are
 * skipped. Bad rows are reported and the good ones imported.
 */
export async function importRegistrySheet(
  deps: ImportDeps,
  bytes: Buffer,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = Date.now()
  const sheet = await readSheet(bytes)
  const { map, index } = findHeader(sheet.rows)
  const { good, errors } = parseRows(sheet.rows, index, map, deps.clock.now(), options.datum)
  const summary: ImportSummary = {
    format: sheet.format,
    encoding: sheet.encoding,
    rows: sheet.rows.length - index - 1,
    communities: counts(),
    grids: counts(),
    households: counts(),
    residents: counts(),
    gridWorkers: counts(),
    errors,
    durationMs: 0,
  }
  options.onProgress?.({ phase: 'read', done: good.length, total: good.length })
  const placed = await placeRows(good, summary, options)
  await writeGrids(deps, placed, summary, options)
  await writeHouseholdsAndResidents(deps, placed, summary, options)
  summary.errors.sort((a, b) => a.row - b.row)
  summary.durationMs = Date.now() - started
  options.onProgress?.({ phase: 'done', done: placed.length, total: placed.length })
  return summary
}

/** A good row whose community is known. */
export interface PlacedRow extends ParsedRow {
  communityId: Types.ObjectId
}

type CommunityLite = { _id: Types.ObjectId; code: string; name: string }

/** Decides each row's community: the grid's own, the row's 社区编号/社区, --community, or the only one. */
async function placeRows(
  rows: ParsedRow[],
  summary: ImportSummary,
  options: ImportOptions,
): Promise<PlacedRow[]> {
  const communities = (await CommunityModel.find({}, { code: 1, name: 1 }).lean()) as CommunityLite[]
  const byCode = new Map(communities.map((c) => [c.code, c]))
  const byName = new Map(communities.map((c) => [c.name, c]))
  const fallback = options.communityCode ? byCode.get(options.communityCode.toUpperCase()) : undefined
  if (options.communityCode && !fallback)
    throw new DomainError('NOT_FOUND', `社区 ${options.communityCode} 不存在`)
  const only = communities.length === 1 ? communities[0] : undefined
  const grids = await GridModel.find({}, { code: 1, communityId: 1 }).lean()
  const gridCommunity = new Map(grids.map((g) => [g.code, g.communityId]))
  const allowed = options.allowedCommunityIds
  const out: PlacedRow[] = []
  for (const r of rows) {
    const named = r.communityCode
      ? byCode.get(r.communityCode)
      : r.communityName
        ? byName.get(r.communityName)
        : undefined
    const existingGrid = gridCommunity.get(r.gridCode)
    let community = existingGrid
      ? { _id: existingGrid }
      : (named ?? fallback ?? (r.communityName ? undefined : only))
    if (!community && r.communityCode && !allowed)
      community = await createCommunity(r, byCode, byName, summary)
    const reason = placementProblem(r, community?._id, named?._id, allowed)
    if (reason || !community) summary.errors.push({ row: r.row, reason: reason ?? '无法确定所属社区' })
    else out.push({ ...r, communityId: community._id })
  }
  return out
}

function placementProblem(
  r: ParsedRow,
  community: Types.ObjectId | undefined,
  named: Types.ObjectId | undefined,
  allowed: string[] | undefined,
): string | undefined {
  if (community && named && !named.equals(community)) {
    return `网格 ${r.gridCode} 属于另一个社区，与本行填写的社区不一致`
  }
  if (!community) {
    return r.communityName
      ? `社区「${r.communityName}」不存在，请加“社区编号”列或先创建社区`
      : '无法确定所属社区，请加“社区编号”列或用 --community 指定'
  }
  if (allowed && !allowed.includes(String(community))) return '无权导入其他社区的数据'
  return undefined
}

async function createCommunity(
  r: ParsedRow,
  byCode: Map<string, CommunityLite>,
  byName: Map<string, CommunityLite>,
  summary: ImportSummary,
): Promise<CommunityLite> {
  const code = r.communityCode as string
  const set = { name: r.communityName ?? code, street: r.street ?? '', district: r.district ?? '' }
  const doc = (await CommunityModel.findOneAndUpdate(
    { code },
    { $setOnInsert: set },
    { upsert: true, returnDocument: 'after' },
  ).lean()) as CommunityLite
  summary.communities.created++
  byCode.set(doc.code, doc)
  byName.set(doc.name, doc)
  return doc
}

interface GridPlan {
  communityId: Types.ObjectId
  name?: string
  buildings: Set<string>
  worker?: { name: string; phone?: string; row: number }
  /** Building points and the outline given in the sheet (WGS-84); the last given wins. */
  points: Map<string, LngLat>
  outline?: LngLat[]
}

function planGrids(rows: PlacedRow[]): Map<string, GridPlan> {
  const plans = new Map<string, GridPlan>()
  for (const r of rows) {
    let plan = plans.get(r.gridCode)
    if (!plan) {
      plan = { communityId: r.communityId, buildings: new Set(), points: new Map() }
      plans.set(r.gridCode, plan)
    }
    plan.name ??= r.gridName
    plan.buildings.add(r.address.building)
    if (r.point) plan.points.set(r.address.building, r.point)
    if (r.gridOutline) plan.outline = r.gridOutline
    if (r.gridWorker && !plan.worker)
      plan.worker = { name: r.gridWorker, phone: r.gridWorkerPhone, row: r.row }
  }
  return plans
}

/** Creates missing grids, adds new buildings and names to existing ones, and their primary workers. */
async function writeGrids(
  deps: ImportDeps,
  rows: PlacedRow[],
  summary: ImportSummary,
  options: ImportOptions,
): Promise<void> {
  const plans = planGrids(rows)
  const existing = await GridModel.find({ code: { $in: [...plans.keys()] } }).lean()
  const byCode = new Map(existing.map((g) => [g.code, g]))
  let done = 0
  for (const [code, plan] of plans) {
    const grid = byCode.get(code)
    const gridId = grid?._id ?? new Types.ObjectId()
    const places = placesOf(plan, grid)
    if (!grid) {
      await GridModel.create({
        _id: gridId,
        code,
        name: plan.name ?? code,
        communityId: plan.communityId,
        buildings: [...plan.buildings],
        token: newToken(),
        ...places,
      })
      summary.grids.created++
    } else {
      const newBuildings = [...plan.buildings].filter((b) => !grid.buildings.includes(b))
      const rename = plan.name && plan.name !== grid.name ? { name: plan.name } : {}
      if (newBuildings.length === 0 && !rename.name && !places) summary.grids.skipped++
      else {
        await GridModel.updateOne(
          { _id: gridId },
          { $set: { ...rename, ...places }, $addToSet: { buildings: { $each: newBuildings } } },
        )
        summary.grids.updated++
      }
    }
    if (places) invalidatePlaces()
    await rememberBuildings(plan.communityId, gridId, [...plan.buildings], deps.clock.now())
    if (plan.worker) await writeGridWorker(deps, gridId, plan, grid?.primaryWorkerId ?? undefined, summary)
    options.onProgress?.({ phase: 'grids', done: ++done, total: plans.size })
  }
}

type GridPlaces = Pick<Grid, 'buildingPlaces' | 'boundary'>

/** The grid's places after the sheet: its building points merged in, its outline replaced; undefined when unchanged. */
function placesOf(plan: GridPlan, grid: Pick<Grid, 'buildingPlaces' | 'boundary'> | undefined) {
  const before = grid?.buildingPlaces ?? []
  const merged = new Map(before.map((b) => [b.building, { building: b.building, lng: b.lng, lat: b.lat }]))
  for (const [building, p] of plan.points) merged.set(building, { building, lng: p.lng, lat: p.lat })
  const buildingPlaces = [...merged.values()]
  const boundary = plan.outline?.map((p) => ({ lng: p.lng, lat: p.lat }))
  const changed: Partial<GridPlaces> = {}
  const moved = [...plan.points].some(([building, p]) => {
    const was = before.find((b) => b.building === building)
    return was?.lng !== p.lng || was?.lat !== p.lat
  })
  if (moved) changed.buildingPlaces = buildingPlaces as Grid['buildingPlaces']
  if (boundary && JSON.stringify(boundary) !== JSON.stringify(grid?.boundary)) changed.boundary = boundary
  return Object.keys(changed).length ? changed : undefined
}

async function writeGridWorker(
  deps: ImportDeps,
  gridId: Types.ObjectId,
  plan: GridPlan,
  currentPrimary: Types.ObjectId | undefined,
  summary: ImportSummary,
): Promise<void> {
  const worker = plan.worker as NonNullable<GridPlan['worker']>
  const phoneHash = worker.phone ? deps.crypto.lookupHash('phone', worker.phone) : undefined
  const match = await ResidentModel.findOne({
    name: worker.name,
    erasedAt: null,
    ...(phoneHash ? { phoneHash } : { roles: 'grid_worker', communityId: plan.communityId }),
  }).lean()
  if (match && currentPrimary?.equals(match._id) && match.roles.includes('grid_worker')) {
    summary.gridWorkers.skipped++
    return
  }
  const id = match?._id ?? new Types.ObjectId()
  if (!match) {
    await ResidentModel.create({
      _id: id,
      name: worker.name,
      communityId: plan.communityId,
      roles: ['grid_worker'],
      token: newToken(),
      ...(worker.phone ? { phoneEnc: deps.crypto.encrypt(worker.phone), phoneHash } : {}),
      staff: { gridIds: [gridId], communityIds: [] },
    })
    summary.gridWorkers.created++
  } else {
    await ResidentModel.updateOne(
      { _id: id },
      { $addToSet: { roles: 'grid_worker', 'staff.gridIds': gridId } },
    )
    summary.gridWorkers.updated++
  }
  await GridModel.updateOne(
    { _id: gridId },
    { $set: { primaryWorkerId: id }, $pull: { partTimeWorkerIds: id } },
  )
}

/** Loads what exists, then writes households and residents in bulk batches. */
async function writeHouseholdsAndResidents(
  deps: ImportDeps,
  rows: PlacedRow[],
  summary: ImportSummary,
  options: ImportOptions,
): Promise<void> {
  const writer = await createHouseholdWriter(deps, rows, summary)
  const batch = options.batchSize ?? 1000
  for (let i = 0; i < rows.length; i += batch) {
    await writer.writeBatch(rows.slice(i, i + batch))
    options.onProgress?.({ phase: 'rows', done: Math.min(i + batch, rows.length), total: rows.length })
  }
  await assignWeComIds(deps, writer.weCom, summary)
}

/**
 * Sets the 企业微信账号 of the people written (few: staff), one at a time through the people service
 * so each id goes to one person only; a clash becomes that row's error.
 */
async function assignWeComIds(
  deps: ImportDeps,
  rows: Array<{ row: number; personId: string; wecomUserId: string }>,
  summary: ImportSummary,
): Promise<void> {
  if (rows.length === 0) return
  const people = createPeopleService({ crypto: deps.crypto, now: () => deps.clock.now() })
  for (const r of rows) {
    try {
      await people.updateResident(r.personId, { wecomUserId: r.wecomUserId })
    } catch (err) {
      if (!(err instanceof DomainError)) throw err
      summary.errors.push({ row: r.row, column: '企业微信账号', reason: err.message })
    }
  }
}
