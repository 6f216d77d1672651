import type { Types } from 'mongoose'
import { ConflictError, InvalidInputError, isDuplicateKeyError, NotFoundError } from '../../lib/errors.js'
import { CommunityModel, DepartmentModel, GridModel, HouseholdModel } from '../../models/registry.model.js'
import { findGridOfBuilding, rememberBuildings } from './registry.buildings.js'
import { type Address, normalizeBuilding, normalizeRoom, normalizeUnit } from './registry.validation.js'
import {
  type CommunityView,
  type DepartmentView,
  type GridView,
  type HouseholdView,
  newToken,
  objectId,
  toCommunityView,
  toDepartmentView,
  toGridView,
  toHouseholdView,
} from './registry.views.js'

export interface CommunityInput {
  code: string
  name: string
  street?: string
  district?: string
  city?: string
}

export interface GridInput {
  code: string
  name: string
  communityId: string
  buildings?: string[]
  /** GeoJSON Polygon, stored as given. */
  boundary?: unknown
}

export interface HouseholdInput {
  communityId: string
  /** Optional: found from the grid that lists the building. */
  gridId?: string
  building: string
  unit?: string
  room: string
}

export interface DepartmentInput {
  code: string
  name: string
  categories: string[]
  communityIds?: string[]
  contactIds?: string[]
  isDefault?: boolean
}

/** Retries an upsert once when two writers inserted the same unique key at the same time. */
async function upsertOnce<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err
    return fn()
  }
}

/** Grid codes are compared without spaces and in upper case: "kh-01 " → "KH-01". */
export function normalizeGridCode(code: string): string {
  return code.replace(/\s/g, '').toUpperCase()
}

/** Sort key putting 2号楼 before 10号楼 and 1单元 before 2单元. */
export function addressOrder(h: { building: string; unit: string; room: string }): string {
  return [h.building.padStart(6, '0'), h.unit.padStart(4, '0'), h.room.padStart(6, '0')].join('|')
}

/** Normalises an address typed in any accepted spelling. */
export function canonicalAddress(a: { building: string; unit?: string; room: string }): Address {
  const address = {
    building: normalizeBuilding(a.building),
    unit: normalizeUnit(a.unit ?? ''),
    room: normalizeRoom(a.room),
  }
  if (!address.building || !address.room) throw new InvalidInputError('地址需要楼栋和房号')
  return address
}

/** Communities, grids, households and departments: the places and bodies Linli routes between. */
export function createStructureService() {
  async function requireCommunity(id: string): Promise<Types.ObjectId> {
    const _id = objectId(id, '社区')
    if (!(await CommunityModel.exists({ _id }))) throw new NotFoundError('社区')
    return _id
  }

  /** Read through the `building-grid:` lookup key (see `findGridOfBuilding`). */
  async function gridOfBuilding(communityId: string, building: string): Promise<GridView | undefined> {
    const gridId = await findGridOfBuilding(objectId(communityId, '社区'), building)
    const grid = gridId ? await GridModel.findById(gridId).lean() : null
    return grid ? toGridView(grid) : undefined
  }

  async function resolveGridId(input: HouseholdInput, building: string): Promise<Types.ObjectId> {
    if (input.gridId) {
      const grid = await GridModel.findById(objectId(input.gridId, '网格')).lean()
      if (!grid) throw new NotFoundError('网格')
      if (String(grid.communityId) !== input.communityId) throw new InvalidInputError('该网格不属于这个社区')
      return grid._id
    }
    const grid = await gridOfBuilding(input.communityId, building)
    if (!grid) throw new InvalidInputError(`找不到${building}号楼所属的网格，请先把楼栋划入网格`)
    return objectId(grid.id, '网格')
  }

  return {
    /** Creates the community or updates its names (matched by code). */
    async upsertCommunity(input: CommunityInput): Promise<CommunityView> {
      const { code, ...rest } = input
      const doc = await upsertOnce(() =>
        CommunityModel.findOneAndUpdate(
          { code },
          { $set: rest },
          { upsert: true, returnDocument: 'after' },
        ).lean(),
      )
      return toCommunityView(doc)
    },

    async getCommunityByCode(code: string): Promise<CommunityView | undefined> {
      const doc = await CommunityModel.findOne({ code }).lean()
      return doc ? toCommunityView(doc) : undefined
    },

    /**
     * The community a resident names in a sentence (「康和社区 5号楼」, 「我住康和」, 「KH」): its
     * full name, its name without 「社区」, or its code. The longest match wins. Communities are few
     * (about 160 in a city), so they are read whole.
     */
    async findCommunityInText(text: string): Promise<CommunityView | undefined> {
      const t = text.trim()
      if (t === '') return undefined
      const all = await CommunityModel.find({}).lean()
      let best: { view: CommunityView; length: number } | undefined
      for (const c of all) {
        const short = c.name.replace(/社区$/, '')
        const names = [c.name, short.length >= 2 ? short : '']
        const byName = names.filter((n) => n !== '' && t.includes(n)).sort((a, b) => b.length - a.length)[0]
        const byCode = new RegExp(`(^|[^A-Za-z])${c.code}([^A-Za-z0-9-]|$)`, 'i').test(t) ? c.code : ''
        const length = Math.max(byName?.length ?? 0, byCode.length)
        if (length > 0 && (!best || length > best.length)) best = { view: toCommunityView(c), length }
      }
      return best?.view
    },

    async getCommunity(id: string): Promise<CommunityView> {
      const doc = await CommunityModel.findById(objectId(id, '社区')).lean()
      if (!doc) throw new NotFoundError('社区')
      return toCommunityView(doc)
    },

    /** Creates the grid (with a fresh token) or updates it, matched by code; buildings are added. */
    async upsertGrid(input: GridInput): Promise<GridView> {
      const communityId = await requireCommunity(input.communityId)
      const code = normalizeGridCode(input.code)
      const existing = await GridModel.findOne({ code }).lean()
      if (existing && String(existing.communityId) !== input.communityId) {
        throw new ConflictError(`网格编号 ${code} 已属于另一个社区`)
      }
      const buildings = (input.buildings ?? []).map(normalizeBuilding)
      const set = { name: input.name, communityId, ...(input.boundary ? { boundary: input.boundary } : {}) }
      const doc = await upsertOnce(() =>
        GridModel.findOneAndUpdate(
          { code },
          { $set: set, $setOnInsert: { token: newToken() }, $addToSet: { buildings: { $each: buildings } } },
          { upsert: true, returnDocument: 'after' },
        ).lean(),
      )
      await rememberBuildings(communityId, doc._id, buildings)
      return toGridView(doc)
    },

    async getGrid(id: string): Promise<GridView> {
      const doc = await GridModel.findById(objectId(id, '网格')).lean()
      if (!doc) throw new NotFoundError('网格')
      return toGridView(doc)
    },

    async getGridByCode(code: string): Promise<GridView | undefined> {
      const doc = await GridModel.findOne({ code: normalizeGridCode(code) }).lean()
      return doc ? toGridView(doc) : undefined
    },

    async getGridByToken(token: string): Promise<GridView | undefined> {
      const doc = await GridModel.findOne({ token }).lean()
      return doc ? toGridView(doc) : undefined
    },

    /** The grid a building of a community belongs to. */
    gridOfBuilding,

    async listGrids(communityId: string): Promise<GridView[]> {
      const docs = await GridModel.find({ communityId: objectId(communityId, '社区') })
        .sort({ code: 1 })
        .lean()
      return docs.map(toGridView)
    },

    /** Creates the household at this address or returns the existing one (a no-op when unchanged). */
    async upsertHousehold(input: HouseholdInput): Promise<HouseholdView> {
      const communityId = await requireCommunity(input.communityId)
      const address = canonicalAddress(input)
      const gridId = await resolveGridId(input, address.building)
      const doc = await upsertOnce(() =>
        HouseholdModel.findOneAndUpdate(
          { communityId, ...address },
          { $set: { gridId }, $setOnInsert: { token: newToken() } },
          { upsert: true, returnDocument: 'after' },
        ).lean(),
      )
      await GridModel.updateOne(
        { _id: gridId, buildings: { $ne: address.building } },
        {
          $addToSet: { buildings: address.building },
        },
      )
      await rememberBuildings(communityId, gridId, [address.building])
      return toHouseholdView(doc)
    },

    async getHousehold(id: string): Promise<HouseholdView> {
      const doc = await HouseholdModel.findById(objectId(id, '住户')).lean()
      if (!doc) throw new NotFoundError('住户')
      return toHouseholdView(doc)
    },

    async findHouseholdByAddress(
      communityId: string,
      address: { building: string; unit?: string; room: string },
    ): Promise<HouseholdView | undefined> {
      const doc = await HouseholdModel.findOne({
        communityId: objectId(communityId, '社区'),
        ...canonicalAddress(address),
      }).lean()
      return doc ? toHouseholdView(doc) : undefined
    },

    async findHouseholdByToken(token: string): Promise<HouseholdView | undefined> {
      const doc = await HouseholdModel.findOne({ token }).lean()
      return doc ? toHouseholdView(doc) : undefined
    },

    /** Every household of a grid, in building/unit/room order. */
    async listGridHouseholds(gridId: string): Promise<HouseholdView[]> {
      const docs = await HouseholdModel.find({ gridId: objectId(gridId, '网格') }).lean()
      return docs.map(toHouseholdView).sort((a, b) => addressOrder(a).localeCompare(addressOrder(b)))
    },

    /** Households of one building of a grid, in unit/room order (for the printable code sheet). */
    async listBuildingHouseholds(gridId: string, building: string): Promise<HouseholdView[]> {
      const docs = await HouseholdModel.find({
        gridId: objectId(gridId, '网格'),
        building: normalizeBuilding(building),
      }).lean()
      return docs.map(toHouseholdView).sort((a, b) => addressOrder(a).localeCompare(addressOrder(b)))
    },

    /** Creates or updates a department, matched by code. */
    async upsertDepartment(input: DepartmentInput): Promise<DepartmentView> {
      const { code, communityIds, contactIds, ...rest } = input
      const set = {
        ...rest,
        ...(communityIds ? { communityIds: communityIds.map((id) => objectId(id, '社区')) } : {}),
        ...(contactIds ? { contactIds: contactIds.map((id) => objectId(id, '居民')) } : {}),
      }
      const doc = await upsertOnce(() =>
        DepartmentModel.findOneAndUpdate(
          { code },
          { $set: set },
          { upsert: true, returnDocument: 'after' },
        ).lean(),
      )
      return toDepartmentView(doc)
    },

    async getDepartmentByCode(code: string): Promise<DepartmentView | undefined> {
      const doc = await DepartmentModel.findOne({ code }).lean()
      return doc ? toDepartmentView(doc) : undefined
    },

    /** Departments that handle a category, those of the community first, then city-wide ones. */
    async listDepartmentsForCategory(category: string, communityId?: string): Promise<DepartmentView[]> {
      const docs = await DepartmentModel.find({ categories: category }).lean()
      const views = docs.map(toDepartmentView)
      const serves = (d: DepartmentView) =>
        d.communityIds.length === 0 || (communityId !== undefined && d.communityIds.includes(communityId))
      const local = (d: DepartmentView) => (communityId && d.communityIds.includes(communityId) ? 0 : 1)
      return views.filter(serves).sort((a, b) => local(a) - local(b))
    },

    /** Departments that serve a community (its own and city-wide ones), by name. */
    async listDepartmentsForCommunity(communityId: string): Promise<DepartmentView[]> {
      const id = objectId(communityId, '社区')
      const cityWide = [{ communityIds: { $size: 0 } }, { communityIds: { $exists: false } }]
      const docs = await DepartmentModel.find({ $or: [{ communityIds: id }, ...cityWide] })
        .sort({ name: 1 })
        .lean()
      return docs.map(toDepartmentView)
    },
  }
}

export type StructureService = ReturnType<typeof createStructureService>
