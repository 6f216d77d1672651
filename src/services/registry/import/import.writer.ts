import { type AnyBulkWriteOperation, Types } from 'mongoose'
import { GridModel, HouseholdModel, ResidentModel } from '../../../models/registry.model.js'
import { newToken } from '../registry.views.js'
import type { PersonRow } from './import.rows.js'
import type { ImportDeps, ImportSummary, PlacedRow } from './import.service.js'

interface KnownHousehold {
  _id: Types.ObjectId
  gridId: Types.ObjectId
}

interface KnownResident {
  _id: Types.ObjectId
  name: string
  householdId?: Types.ObjectId | null
  idNumberHash?: string | null
  phoneHash?: string | null
  tags: string[]
  roles: string[]
}

type Doc = Record<string, unknown>

const addressKey = (r: PlacedRow) =>
  `${r.communityId}|${r.address.building}|${r.address.unit}|${r.address.room}`

/** Everything an import must compare against, loaded once into maps (no query per row). */
async function loadKnown(rows: PlacedRow[]) {
  const communityIds = [...new Set(rows.map((r) => String(r.communityId)))].map(
    (id) => new Types.ObjectId(id),
  )
  const households = await HouseholdModel.find(
    { communityId: { $in: communityIds } },
    { communityId: 1, gridId: 1, building: 1, unit: 1, room: 1 },
  ).lean()
  const byAddress = new Map<string, KnownHousehold>()
  for (const h of households) byAddress.set(`${h.communityId}|${h.building}|${h.unit ?? ''}|${h.room}`, h)
  const residents = (await ResidentModel.find(
    { communityId: { $in: communityIds }, erasedAt: null },
    { name: 1, householdId: 1, idNumberHash: 1, phoneHash: 1, tags: 1, roles: 1 },
  ).lean()) as KnownResident[]
  const grids = await GridModel.find(
    { code: { $in: [...new Set(rows.map((r) => r.gridCode))] } },
    { code: 1 },
  ).lean()
  return { byAddress, residents, gridIds: new Map(grids.map((g) => [g.code, g._id])) }
}

function indexResidents(residents: KnownResident[]) {
  const byId = new Map<string, KnownResident>()
  const byPhoneName = new Map<string, KnownResident>()
  const byHouseholdName = new Map<string, KnownResident>()
  const add = (r: KnownResident) => {
    if (r.idNumberHash) byId.set(r.idNumberHash, r)
    if (r.phoneHash) byPhoneName.set(`${r.phoneHash}|${r.name}`, r)
    if (r.householdId) byHouseholdName.set(`${r.householdId}|${r.name}`, r)
  }
  for (const r of residents) add(r)
  return { byId, byPhoneName, byHouseholdName, add }
}

/** Writes households and residents of an import in bulk, counting created/updated/skipped. */
export async function createHouseholdWriter(deps: ImportDeps, rows: PlacedRow[], summary: ImportSummary) {
  const known = await loadKnown(rows)
  const people = indexResidents(known.residents)
  const sheetAddress = new Map<string, { row: number; gridId: Types.ObjectId }>()
  const { crypto } = deps

  function household(
    r: PlacedRow,
    gridId: Types.ObjectId,
    ops: AnyBulkWriteOperation[],
  ): KnownHousehold | undefined {
    const key = addressKey(r)
    const inSheet = sheetAddress.get(key)
    if (inSheet) {
      if (inSheet.gridId.equals(gridId)) return known.byAddress.get(key)
      summary.errors.push({ row: r.row, reason: `该地址在第${inSheet.row}行属于另一个网格` })
      return undefined
    }
    sheetAddress.set(key, { row: r.row, gridId })
    const found = known.byAddress.get(key)
    if (found?.gridId.equals(gridId)) {
      summary.households.skipped++
      return found
    }
    if (found) {
      ops.push({ updateOne: { filter: { _id: found._id }, update: { $set: { gridId } } } })
      found.gridId = gridId
      summary.households.updated++
      return found
    }
    const created = { _id: new Types.ObjectId(), gridId }
    const { building, unit, room } = r.address
    ops.push({
      insertOne: {
        document: { ...created, communityId: r.communityId, building, unit, room, token: newToken() },
      },
    })
    known.byAddress.set(key, created)
    summary.households.created++
    return created
  }

  function match(
    p: PersonRow,
    hh: KnownHousehold,
    idHash?: string,
    phoneHash?: string,
  ): KnownResident | undefined {
    if (idHash && people.byId.has(idHash)) return people.byId.get(idHash)
    const candidate =
      (phoneHash ? people.byPhoneName.get(`${phoneHash}|${p.name}`) : undefined) ??
      people.byHouseholdName.get(`${hh._id}|${p.name}`)
    // Someone with another ID number is another person of the same name.
    if (candidate && idHash && candidate.idNumberHash && candidate.idNumberHash !== idHash) return undefined
    return candidate
  }

  function changes(
    r: PlacedRow,
    p: PersonRow,
    hh: KnownHousehold,
    ex: KnownResident,
    idHash?: string,
    phoneHash?: string,
  ) {
    const set: Doc = {}
    if (ex.name !== p.name) set.name = p.name
    if (!ex.householdId?.equals(hh._id))
      Object.assign(set, { householdId: hh._id, communityId: r.communityId, gridId: hh.gridId })
    const tags = [...new Set([...ex.tags, ...p.tags])]
    if (tags.length !== ex.tags.length) set.tags = tags
    if (p.partyMember && !ex.roles.includes('party_member')) set.roles = [...ex.roles, 'party_member']
    if (phoneHash && ex.phoneHash !== phoneHash)
      Object.assign(set, { phoneEnc: crypto.encrypt(p.phone as string), phoneHash })
    if (idHash && ex.idNumberHash !== idHash)
      Object.assign(set, { idNumberEnc: crypto.encrypt(p.idNumber as string), idNumberHash: idHash })
    return set
  }

  function resident(r: PlacedRow, hh: KnownHousehold, ops: AnyBulkWriteOperation[]): void {
    const p = r.person as PersonRow
    const idHash = p.idNumber ? crypto.lookupHash('idNumber', p.idNumber) : undefined
    const phoneHash = p.phone ? crypto.lookupHash('phone', p.phone) : undefined
    const existing = match(p, hh, idHash, phoneHash)
    if (existing) {
      const set = changes(r, p, hh, existing, idHash, phoneHash)
      if (Object.keys(set).length === 0) summary.residents.skipped++
      else {
        ops.push({ updateOne: { filter: { _id: existing._id }, update: { $set: set } } })
        Object.assign(existing, set)
        summary.residents.updated++
      }
      return
    }
    const doc: KnownResident = {
      _id: new Types.ObjectId(),
      name: p.name,
      householdId: hh._id,
      idNumberHash: idHash,
      phoneHash,
      tags: p.tags,
      roles: p.partyMember ? ['resident', 'party_member'] : ['resident'],
    }
    ops.push({
      insertOne: {
        document: {
          ...doc,
          communityId: r.communityId,
          gridId: hh.gridId,
          token: newToken(),
          ...(p.phone ? { phoneEnc: crypto.encrypt(p.phone) } : {}),
          ...(p.idNumber ? { idNumberEnc: crypto.encrypt(p.idNumber) } : {}),
        },
      },
    })
    people.add(doc)
    summary.residents.created++
  }

  return {
    /** Plans and writes one batch of rows (households first, then their residents). */
    async writeBatch(batch: PlacedRow[]): Promise<void> {
      const householdOps: AnyBulkWriteOperation[] = []
      const residentOps: AnyBulkWriteOperation[] = []
      for (const r of batch) {
        const gridId = known.gridIds.get(r.gridCode)
        if (!gridId) continue // its grid could not be written; reported there
        const hh = household(r, gridId, householdOps)
        if (hh && r.person) resident(r, hh, residentOps)
      }
      if (householdOps.length > 0) await HouseholdModel.bulkWrite(householdOps, { ordered: false })
      if (residentOps.length > 0) await ResidentModel.bulkWrite(residentOps, { ordered: false })
    },
  }
}
