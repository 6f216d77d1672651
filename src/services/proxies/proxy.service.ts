import { Types } from 'mongoose'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.js'
import {
  ConflictError,
  DomainError,
  describeIssues,
  ForbiddenError,
  InvalidInputError,
  isDuplicateKeyError,
  NotFoundError,
} from '../../lib/errors.js'
import { AuditModel } from '../../models/audit.model.js'
import {
  type HouseholdProxyDoc,
  HouseholdProxyModel,
  PROXY_RELATIONS,
  type ProxyRelation,
} from '../../models/household-proxy.model.js'
import { HouseholdModel, ResidentModel } from '../../models/registry.model.js'
import { canManage, type StaffActor } from '../events/event.views.js'

const ObjectIdString = z.string({ error: '编号要是文字' }).regex(/^[0-9a-f]{24}$/i, '编号格式不正确')

export const ProxyLinkInput = z
  .object({
    personId: ObjectIdString,
    relation: z.enum(PROXY_RELATIONS, { error: '关系只能是 family（家属）或 lianhuzhang（联户长）' }),
    label: z.string({ error: '称呼要是文字' }).trim().max(20, '称呼最多 20 字').default(''),
  })
  .strict()
export type ProxyLinkInput = z.input<typeof ProxyLinkInput>

/** Refused: the person is not linked to that household. Polite, and says what to do. */
export class NotAProxyError extends DomainError {
  constructor() {
    super('FORBIDDEN', '您还没有登记为这户的代办人，不能替这户办理。请联系社区网格员登记后再试')
  }
}

export interface ProxyView {
  id: string
  householdId: string
  personId: string
  personName: string
  relation: ProxyRelation
  label: string
  /** 3号楼2单元301 */
  address: string
  linkedAs: 'staff' | 'resident'
  createdAt: Date
}

type HouseholdPlace = { building: string; unit?: string | null; room: string }

export function addressOf(h: HouseholdPlace): string {
  return `${h.building}号楼${h.unit ? `${h.unit}单元` : ''}${h.room}`
}

export interface ProxyService {
  /** Links a person to a household as its proxy: staff of its community (audited), or a resident of it. */
  link(householdId: string, input: ProxyLinkInput, actor: StaffActor): Promise<ProxyView>
  revoke(proxyId: string, actor: StaffActor): Promise<void>
  listForHousehold(householdId: string, actor: StaffActor): Promise<ProxyView[]>
  /** The households this person acts for (active links). */
  listForPerson(personId: string): Promise<ProxyView[]>
  /**
   * The active link of `personId` to the household, or NotAProxyError: every proxied act passes here.
   */
  assertProxy(personId: string, householdId: string): Promise<ProxyView>
  /** Household of an address the person acts for; NotAProxyError when not linked (or no such home). */
  findByAddress(
    personId: string,
    place: { building: string; unit?: string; room: string },
  ): Promise<ProxyView>
  /** The people acting for a household (to copy its case updates to). */
  proxiesOf(householdId: string): Promise<string[]>
}

function oid(id: string, what: string): Types.ObjectId {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError(what)
  return new Types.ObjectId(id)
}

export function createProxyService(deps: { clock: Clock }): ProxyService {
  async function household(id: string) {
    const hh = await HouseholdModel.findById(oid(id, '住户')).lean()
    if (!hh) throw new NotFoundError('住户')
    return hh
  }

  async function views(docs: HouseholdProxyDoc[]): Promise<ProxyView[]> {
    if (docs.length === 0) return []
    const [people, homes] = await Promise.all([
      ResidentModel.find({ _id: { $in: docs.map((d) => d.personId) } }, { name: 1 }).lean(),
      HouseholdModel.find(
        { _id: { $in: docs.map((d) => d.householdId) } },
        { building: 1, unit: 1, room: 1 },
      ).lean(),
    ])
    const names = new Map(people.map((p) => [String(p._id), p.name]))
    const places = new Map(homes.map((h) => [String(h._id), addressOf(h)]))
    return docs.map((d) => ({
      id: String(d._id),
      householdId: String(d.householdId),
      personId: String(d.personId),
      personName: names.get(String(d.personId)) ?? '',
      relation: d.relation,
      label: d.label ?? '',
      address: places.get(String(d.householdId)) ?? '',
      linkedAs: d.linkedAs,
      createdAt: d.createdAt,
    }))
  }

  async function assertStaffOf(
    actor: StaffActor,
    hh: { communityId: Types.ObjectId; gridId: Types.ObjectId },
  ) {
    if (!canManage(actor, String(hh.communityId), [String(hh.gridId)]))
      throw new ForbiddenError('只能管理本社区住户的代办人')
  }

  return {
    async link(householdId, raw, actor) {
      const parsed = ProxyLinkInput.safeParse(raw)
      if (!parsed.success)
        throw new InvalidInputError(
          parsed.error.issues[0]?.message ?? '代办人信息不正确',
          describeIssues(parsed.error.issues),
        )
      const input = parsed.data
      const hh = await household(householdId)
      const me = await ResidentModel.findById(oid(actor.personId, '人员'), { householdId: 1 }).lean()
      const ownHome = me?.householdId?.equals(hh._id) === true
      const asStaff = canManage(actor, String(hh.communityId), [String(hh.gridId)])
      if (!asStaff && !ownHome) throw new ForbiddenError('只有本社区工作人员或这户的居民可以登记代办人')
      const person = await ResidentModel.findById(oid(input.personId, '代办人'), { _id: 1 }).lean()
      if (!person) throw new NotFoundError('代办人')
      const at = deps.clock.now()
      let doc: HouseholdProxyDoc
      try {
        doc = (
          await HouseholdProxyModel.create({
            householdId: hh._id,
            personId: person._id,
            relation: input.relation,
            label: input.label,
            linkedById: new Types.ObjectId(actor.personId),
            linkedAs: asStaff ? 'staff' : 'resident',
            createdAt: at,
          })
        ).toObject()
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err
        const old = await HouseholdProxyModel.findOne({ householdId: hh._id, personId: person._id }).lean()
        if (!old || old.status === 'active') throw new ConflictError('这位已经是这户的代办人了')
        await HouseholdProxyModel.updateOne(
          { _id: old._id },
          {
            $set: { status: 'active', relation: input.relation, label: input.label, createdAt: at },
            $unset: { revokedAt: 1 },
          },
        )
        doc = { ...old, status: 'active', relation: input.relation, label: input.label, createdAt: at }
      }
      if (asStaff)
        await AuditModel.create({
          action: 'link_household_proxy',
          actorId: actor.personId,
          residentId: person._id,
          subject: `household:${String(hh._id)}`,
          reason: input.relation === 'lianhuzhang' ? '登记联户长代办' : '登记家属代办',
          at,
        })
      return (await views([doc]))[0] as ProxyView
    },

    async revoke(proxyId, actor) {
      const doc = await HouseholdProxyModel.findById(oid(proxyId, '代办关系')).lean()
      if (!doc) throw new NotFoundError('代办关系')
      await assertStaffOf(actor, await household(String(doc.householdId)))
      await HouseholdProxyModel.updateOne(
        { _id: doc._id },
        { $set: { status: 'revoked', revokedAt: deps.clock.now() } },
      )
      await AuditModel.create({
        action: 'link_household_proxy',
        actorId: actor.personId,
        residentId: doc.personId,
        subject: `household:${String(doc.householdId)}`,
        reason: '取消代办',
        at: deps.clock.now(),
      })
    },

    async listForHousehold(householdId, actor) {
      const hh = await household(householdId)
      const me = await ResidentModel.findById(oid(actor.personId, '人员'), { householdId: 1 }).lean()
      if (!me?.householdId?.equals(hh._id)) await assertStaffOf(actor, hh)
      return views(
        await HouseholdProxyModel.find({ householdId: hh._id, status: 'active' }).lean<HouseholdProxyDoc[]>(),
      )
    },

    async listForPerson(personId) {
      if (!Types.ObjectId.isValid(personId)) return []
      return views(
        await HouseholdProxyModel.find({ personId: new Types.ObjectId(personId), status: 'active' }).lean<
          HouseholdProxyDoc[]
        >(),
      )
    },

    async assertProxy(personId, householdId) {
      if (!Types.ObjectId.isValid(personId) || !Types.ObjectId.isValid(householdId))
        throw new NotAProxyError()
      const doc = await HouseholdProxyModel.findOne({
        householdId: new Types.ObjectId(householdId),
        personId: new Types.ObjectId(personId),
        status: 'active',
      }).lean<HouseholdProxyDoc>()
      if (!doc) throw new NotAProxyError()
      return (await views([doc]))[0] as ProxyView
    },

    async findByAddress(personId, place) {
      const mine = await this.listForPerson(personId)
      const wanted = addressOf({ building: place.building, unit: place.unit ?? '', room: place.room })
      const hit = mine.find((p) => p.address === wanted)
      if (!hit) throw new NotAProxyError()
      return hit
    },

    async proxiesOf(householdId) {
      const docs = await HouseholdProxyModel.find(
        { householdId: new Types.ObjectId(householdId), status: 'active' },
        { personId: 1 },
      ).lean()
      return docs.map((d) => String(d.personId))
    },
  }
}
