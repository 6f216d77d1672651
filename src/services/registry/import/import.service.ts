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
import { createHouseholdWriter, DigestTable, keyDigest } from './import.writer.js'
import { openSheet, type Sheet, type SheetInput } from './sheet.reader.js'

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
  /** Sheet rows read so far. */
  done: number
  /** All rows of the sheet; 0 while it is still being read (a stream's length is known at its end). */
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
async function findHeader(rows: AsyncIterator<string[]>): Promise<{ map: HeaderMap; index: number }> {
  let first: unknown
  for (let i = 0; i < 5; i++) {
    const r = await rows.next()
    if (r.done) break
    try {
      return { map: mapHeaders(r.value), index: i }
    } catch (err) {
      first ??= err
    }
  }
  throw first ?? new InvalidInputError('表格中没有表头')
}

/**
 * Remembers which rows of this sheet were taken, to flag duplicates: by 48-bit digests of their keys
 * (at most 48 bytes a row, never the rows themselves).
 */
function duplicateFinder() {
  const seen = new DigestTable()
  const seenPerson = new DigestTable()
  return (parsed: ParsedRow): RowError | undefined => {
    const p = parsed.person
    const person = p?.idNumber ?? (p?.phone ? `${p.phone}|${p.name}` : undefined)
    const key = keyDigest(rowKey(parsed))
    const personKey = person ? keyDigest(person) : undefined
    const dup = seen.get(key) ?? (personKey !== undefined ? seenPerson.get(personKey) : undefined)
    if (dup !== undefined) return { row: parsed.row, reason: `与第${dup}行重复` }
    seen.set(key, parsed.row)
    if (personKey !== undefined) seenPerson.set(personKey, parsed.row)
    return undefined
  }
}

/**
 * Imports a CSV or XLSX sheet of grids, households and residents. Idempotent: households match by
 * address, residents by ID number, then phone + name, then household + name; unchanged rows are
 * skipped. Bad rows are reported and the good ones imported.
 *
 * Streams: rows are read and parsed as they come and written in batches of `batchSize`; what an
 * import compares against is loaded per community (a few at a time), so memory stays bounded by the
 * batch and the largest community, not by the file (283,000 rows: see `import_peak_rss_mb`).
 */
export async function importRegistrySheet(
  deps: ImportDeps,
  input: SheetInput,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const started = Date.now()
  const sheet = await openSheet(input)
  const rows = sheet.rows[Symbol.asyncIterator]()
  const { map, index } = await findHeader(rows)
  const summary: ImportSummary = {
    format: sheet.format,
    encoding: sheet.encoding,
    rows: 0,
    communities: counts(),
    grids: counts(),
    households: counts(),
    residents: counts(),
    gridWorkers: counts(),
    errors: [],
    durationMs: 0,
  }
  const placement = await loadPlacement(options)
  const grids = gridProgress()
  const writer = createHouseholdWriter(deps, summary)
  const isDuplicate = duplicateFinder()
  const now = deps.clock.now()
  const batchSize = options.batchSize ?? 1000
  let batch: ParsedRow[] = []
  const write = async () => {
    const placed = await placeRows(batch, summary, options, placement)
    batch = []
    await writeGrids(deps, placed, summary, grids, placement)
    await writer.writeBatch(placed, grids.ids)
    options.onProgress?.({ phase: 'rows', done: summary.rows, total: 0 })
  }
  for (let r = await rows.next(); !r.done; r = await rows.next()) {
    const cells = r.value
    const row = index + 2 + summary.rows++
    if (cells.every((c) => !c || c.trim() === '')) continue
    const parsed = parseRow(cells, map, row, now, options.datum)
    const problem = isRowError(parsed) ? parsed : isDuplicate(parsed)
    if (problem) summary.errors.push(problem)
    else batch.push(parsed as ParsedRow)
    if (batch.length >= batchSize) await write()
  }
  if (batch.length > 0) await write()
  grids.count(summary)
  await assignWeComIds(deps, writer.weCom, summary)
  summary.errors.sort((a, b) => a.row - b.row)
  summary.durationMs = Date.now() - started
  options.onProgress?.({ phase: 'done', done: summary.rows, total: summary.rows })
  return summary
}

/** A good row whose community is known. */
export interface PlacedRow extends ParsedRow {
  communityId: Types.ObjectId
}

type CommunityLite = { _id: Types.ObjectId; code: string; name: string }

/** What places rows in communities: the communities and each grid's community (few: loaded once). */
interface Placement {
  byCode: Map<string, CommunityLite>
  byName: Map<string, CommunityLite>
  fallback?: CommunityLite
  only?: CommunityLite
  gridCommunity: Map<string, Types.ObjectId>
}

async function loadPlacement(options: ImportOptions): Promise<Placement> {
  const communities = (await CommunityModel.find({}, { code: 1, name: 1 }).lean()) as CommunityLite[]
  const byCode = new Map(communities.map((c) => [c.code, c]))
  const byName = new Map(communities.map((c) => [c.name, c]))
  const fallback = options.communityCode ? byCode.get(options.communityCode.toUpperCase()) : undefined
  if (options.communityCode && !fallback)
    throw new DomainError('NOT_FOUND', `社区 ${options.communityCode} 不存在`)
  const only = communities.length === 1 ? communities[0] : undefined
  const grids = await GridModel.find({}, { code: 1, communityId: 1 }).lean()
  const gridCommunity = new Map(grids.map((g) => [g.code, g.communityId]))
  return { byCode, byName, fallback, only, gridCommunity }
}

/** Decides each row's community: the grid's own, the row's 社区编号/社区, --community, or the only one. */
async function placeRows(
  rows: ParsedRow[],
  summary: ImportSummary,
  options: ImportOptions,
  placement: Placement,
): Promise<PlacedRow[]> {
  const { byCode, byName, fallback, only, gridCommunity } = placement
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

type GridOutcome = 'created' | 'updated' | 'skipped'

/** What the import did to each grid over all batches (a sheet has a few thousand grids at most). */
function gridProgress() {
  const outcome = new Map<string, GridOutcome>()
  const ids = new Map<string, Types.ObjectId>()
  const workerDone = new Set<string>()
  return {
    outcome,
    ids,
    workerDone,
    /** Records a batch's outcome for a grid: created stays created, a later change makes updated. */
    note(code: string, o: GridOutcome) {
      const was = outcome.get(code)
      if (!was || (was === 'skipped' && o === 'updated')) outcome.set(code, o)
    },
    count(summary: ImportSummary) {
      for (const o of outcome.values()) summary.grids[o]++
    },
  }
}

/** Creates missing grids, adds new buildings and names to existing ones, and their primary workers. */
async function writeGrids(
  deps: ImportDeps,
  rows: PlacedRow[],
  summary: ImportSummary,
  progress: ReturnType<typeof gridProgress>,
  placement: Placement,
): Promise<void> {
  const plans = planGrids(rows)
  // One indexed equality per grid of the batch (a batch holds a handful), not a scan of all grids.
  const existing = await Promise.all([...plans.keys()].map((code) => GridModel.findOne({ code }).lean()))
  const byCode = new Map(existing.filter((g) => g !== null).map((g) => [g.code, g]))
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
      progress.note(code, 'created')
    } else {
      const newBuildings = [...plan.buildings].filter((b) => !grid.buildings.includes(b))
      const rename = plan.name && plan.name !== grid.name ? { name: plan.name } : {}
      if (newBuildings.length === 0 && !rename.name && !places) progress.note(code, 'skipped')
      else {
        await GridModel.updateOne(
          { _id: gridId },
          { $set: { ...rename, ...places }, $addToSet: { buildings: { $each: newBuildings } } },
        )
        progress.note(code, 'updated')
      }
    }
    progress.ids.set(code, gridId)
    if (!placement.gridCommunity.has(code)) placement.gridCommunity.set(code, plan.communityId)
    if (places) invalidatePlaces()
    await rememberBuildings(plan.communityId, gridId, [...plan.buildings], deps.clock.now())
    if (plan.worker && !progress.workerDone.has(code)) {
      progress.workerDone.add(code)
      await writeGridWorker(deps, gridId, plan, grid?.primaryWorkerId ?? undefined, summary)
    }
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
